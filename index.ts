// The per-environment program: read the stack's config once, create one DockerHost per host, rolling
// restarts across hosts in batches, and export a per-host summary.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { DockerHost, DockerHostConfig, readStackConfig, RegistryCache, rolloutBatches } from "./components";

const config = new pulumi.Config("docker-host");
const stack = readStackConfig(
    {
        hosts: config.getObject<unknown>("hosts"),
        defaults: config.getObject<unknown>("defaults"),
        rollout: config.getObject<unknown>("rollout"),
        registryCache: config.getObject<unknown>("registryCache"),
        privateKey: config.getSecret("privateKey") === undefined ? undefined : config.require("privateKey"),
    },
    (path) => readFileSync(path, "utf8"),
);

// Drift detection: the stack setting docker-host:detectDrift, on by default for previews in CI.
const detectDrift = config.getBoolean("detectDrift") ?? (pulumi.runtime.isDryRun() && Boolean(process.env.CI));

/** The host's connection for the components: its private key a secret. */
const connectionOf = (host: DockerHostConfig) => ({ ...host.connection, privateKey: pulumi.secret(host.connection.privateKey) });

const hosts: Record<string, DockerHost> = {};
let previousBatch: DockerHost[] = [];
for (const batch of rolloutBatches(stack.hosts, stack.batchSize)) {
    previousBatch = batch.map(
        ({ name, config: host }) =>
            (hosts[name] = new DockerHost(
                name,
                {
                    ...host,
                    detectDrift: host.detectDrift ?? detectDrift,
                    connection: connectionOf(host),
                    tlsCertificates: host.tlsCertificates && pulumi.secret(host.tlsCertificates),
                },
                { dependsOn: previousBatch },
            )),
    );
}

// A pull-through cache on one host, the registry mirror of the others (needs the @pulumi/docker plugin),
// once Docker is configured there, through that host's docker provider.
const cache = stack.registryCache;
if (cache) {
    const name = `${cache.hostName}-registry-cache`;
    const cacheHost = hosts[cache.hostName]!;
    new RegistryCache(
        name,
        {
            connection: connectionOf(stack.hosts.find((h) => h.name === cache.hostName)!.config),
            port: cache.port,
            upstreamUrl: cache.upstreamUrl,
            image: cache.image,
            deleteStorageOnDestroy: cache.deleteStorageOnDestroy,
        },
        { dependsOn: [cacheHost], providers: [cacheHost.dockerProvider(`${name}-docker`)] },
    );
}

/** Per host: what dockerd reports after the apply, and what the last apply did. */
export const summary = Object.fromEntries(
    Object.entries(hosts).map(([name, host]) => [
        name,
        pulumi.all([host.facts, host.lastAction]).apply(([facts, lastAction]) => ({ ...facts, lastAction })),
    ]),
);
export const daemonJson = Object.fromEntries(Object.entries(hosts).map(([name, host]) => [name, host.daemonJson]));
