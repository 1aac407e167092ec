// The per-environment program: read the stack's config once, create one DockerHost per host, rolling
// restarts across hosts in batches, and export a per-host summary.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { afterSuccessOf, DockerHost, DockerHostConfig, orWhenFailed, readStackConfig, RegistryCache, rollOut, rolloutBatches } from "./components";

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

// The rollout: batch after batch (docker-host:rollout), each behind a gate on the outcome of the batch before.
const { batches, failureBudget } = stack.rollout;
if (failureBudget > 0 && pulumi.runtime.isDryRun()) {
    void pulumi.log.info(
        `rollout: up to ${failureBudget} host${failureBudget === 1 ? "" : "s"} may fail before the rollout stops (docker-host:rollout.failureBudget), ` +
            "only under `pulumi up --continue-on-error` (npm start passes it); without it the engine stops at the first failed host.",
    );
}
const rolledOut = rollOut(
    rolloutBatches(stack.hosts, batches),
    failureBudget,
    ({ name, config: host }, dependsOn) =>
        new DockerHost(
            name,
            {
                ...host,
                detectDrift: host.detectDrift ?? detectDrift,
                connection: connectionOf(host),
                tlsCertificates: host.tlsCertificates && pulumi.secret(host.tlsCertificates),
            },
            { dependsOn },
        ),
    (host) => host.steps(),
);
const hosts = Object.fromEntries(rolledOut.map(({ name, host }) => [name, host]));

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
        {
            // Only on a host that succeeded: when it failed (pulumi up --continue-on-error), one line says the
            // cache was not set up, and the run fails, so an existing cache is left as it is.
            dependsOn: afterSuccessOf(cacheHost.steps(), cacheHost, () => `${name} not set up, because ${cache.hostName} failed (its error says why).`),
            providers: [cacheHost.dockerProvider(`${name}-docker`)],
        },
    );
}

/** Per host: what dockerd reports after the apply, and what the last apply did; for a host that failed in this
 *  run (pulumi up --continue-on-error), that it was not verified. */
export const summary = Object.fromEntries(
    Object.entries(hosts).map(([name, host]) => [
        name,
        orWhenFailed<object>(
            pulumi.all([host.facts, host.lastAction]).apply(([facts, lastAction]) => ({ ...facts, lastAction })),
            { failed: "not verified: a step of this host failed or did not run in the last up (its errors say why)" },
        ),
    ]),
);
export const daemonJson = Object.fromEntries(Object.entries(hosts).map(([name, host]) => [name, host.daemonJson]));
