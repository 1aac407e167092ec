// Material the unit tests share: an SSH key's shape, a pinned host key, a sound value for every daemon
// setting, and real TLS material (a CA, a server certificate it signed and that certificate's key, made once
// per process), for configurations whose TLS material the validator checks for what it holds.
import { DaemonSettings, Resolved, TlsCertificates } from "../../components/dockerHost/args";
import { generateCa, issueServerCertificate } from "../../components/tls/certificates";

export const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
export const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

let material: Resolved<TlsCertificates> | undefined;

/** Usable TLS material (node-forge, RSA 2048), the same object for every caller. */
export function tlsCertificates(): Resolved<TlsCertificates> {
    if (!material) {
        const ca = generateCa("unit tests CA");
        const server = issueServerCertificate(ca, { ipAddresses: ["10.0.0.5"] });
        material = { caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
    }
    return material;
}

/** A sound value for every daemon setting: a new setting does not compile until it has one here. */
export const EVERY_SETTING: Required<Resolved<DaemonSettings>> = {
    dataRoot: "/data/docker",
    storageDriver: "overlay2",
    registryMirrors: ["https://mirror.example.com"],
    insecureRegistries: ["registry.local:5000"],
    hosts: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"],
    dns: ["10.0.0.2"],
    dnsSearch: ["corp.example.com"],
    dnsOptions: ["ndots:2"],
    maxConcurrentDownloads: 6,
    maxConcurrentUploads: 2,
    logDriver: "json-file",
    logMaxSize: "20m",
    logMaxFiles: 5,
    logCompress: true,
    liveRestore: false,
    defaultAddressPools: [{ base: "10.200.0.0/16", size: 24 }],
    usernsRemap: "default",
    shutdownTimeoutSeconds: 30,
    features: { buildkit: true },
    metricsAddress: "127.0.0.1:9323",
    labels: ["env=dev"],
    debug: true,
    extra: { "log-level": "warn" },
};

