"""A stack of your own that makes one machine a well-configured Docker host with docker-host's Python SDK
(pulumi_docker_host, generated from docker-host's schema; see README, "Use it from your stack")."""

import pulumi
import pulumi_docker_host as docker_host

config = pulumi.Config()

# Optional: serve the Docker API over TLS with client verification (npm run tls in a docker-host checkout
# makes the PEMs); the server key is a secret.
tls = None
if config.get("tlsServerCert"):
    tls = docker_host.TlsCertificatesArgs(
        ca_cert_pem=config.require("tlsCaCert"),
        server_cert_pem=config.require("tlsServerCert"),
        server_key_pem=config.require_secret("tlsServerKey"),
    )

host = docker_host.DockerHost(
    "web-1",
    connection=docker_host.SshConnectionArgs(
        host=config.require("host"),
        user="root",
        private_key=config.require_secret("privateKey"),
        host_key=config.require("hostKey"),
    ),
    data_disk=docker_host.DataDiskArgs(device=config.require("dataDisk")),
    daemon=docker_host.DaemonSettingsArgs(log_max_size=config.require("logMaxSize")),
    tls_certificates=tls,
)

# What dockerd reports after the apply: storage driver, data root, logging driver, live-restore.
pulumi.export("facts", host.facts)
# What the last apply did: none, reload or restart.
pulumi.export("lastAction", host.last_action)
pulumi.export("dockerHostUrl", host.docker_host_url)
