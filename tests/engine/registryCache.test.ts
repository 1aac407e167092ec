// The pull-through cache for real: the repository's own program with docker-host:registryCache on three
// sandbox hosts, through the engine and the real @pulumi/docker provider plugin. An upstream registry
// (Debian's Distribution, on a fourth host) holds library/busybox; the cache host runs RegistryCache's
// container from a registry:2 look-alike imported on it; the other two hosts pull busybox through it, the
// second with the upstream stopped. Opt-in: the docker provider plugin cannot be built from the Go module
// proxy, so without it installed this suite is skipped, saying so.
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { allowHostToHostTraffic, downHost, hostTestsSkipReason, SandboxHost, sh, ssh, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, provideEngine, REPO, succeeded } from "./project";

const STACK = "cache";
const DOCKER_PLUGIN_VERSION = (JSON.parse(readFileSync(join(REPO, "node_modules/@pulumi/docker/package.json"), "utf8")) as { pulumi: { version: string } }).pulumi.version;
const CONTAINER = "rc-cache-registry-cache";

/** Why this suite cannot run here, if it cannot: no root, or no docker provider plugin where the engine looks. */
function skipReason(): string | undefined {
    const hostReason = hostTestsSkipReason();
    if (hostReason) return hostReason;
    const home = provideEngine().pulumiHome ?? process.env.PULUMI_HOME ?? join(process.env.HOME ?? "/root", ".pulumi");
    const plugin = join(home, "plugins", `resource-docker-v${DOCKER_PLUGIN_VERSION}`);
    return existsSync(plugin)
        ? undefined
        : `the @pulumi/docker provider plugin v${DOCKER_PLUGIN_VERSION} is not installed (no ${plugin}); install it (pulumi plugin install resource docker ${DOCKER_PLUGIN_VERSION}) to run this test`;
}

describe("RegistryCache through the engine with the real docker provider", { skip: skipReason() }, () => {
    let engine: EngineProject;
    let upstream: SandboxHost;
    let cacheHost: SandboxHost;
    let clients: SandboxHost[];
    let stopForwarding: (() => void) | undefined;

    const ok = (...args: string[]) => succeeded(engine.run(...args, "--stack", STACK), args);

    before(() => {
        upstream = upHost("rc-up", "--no-disk");
        cacheHost = upHost("rc-cache", "--no-disk", "--state", "registry-image");
        clients = [upHost("rc-2", "--no-disk"), upHost("rc-3", "--no-disk")];
        stopForwarding = allowHostToHostTraffic();
        // The upstream: Debian's registry with library/busybox in it.
        const res = ssh(
            upstream,
            `set -e
            printf 'version: 0.1\\nstorage:\\n  filesystem:\\n    rootdirectory: /var/lib/docker-registry\\nhttp:\\n  addr: :5000\\n' >/etc/docker/registry/config.yml
            systemctl restart docker-registry
            for i in $(seq 1 50); do busybox wget -q -O /dev/null http://127.0.0.1:5000/v2/ && break; sleep 0.1; done
            docker import /usr/local/share/docker-host-sandbox/busybox.tar 127.0.0.1:5000/library/busybox:latest >/dev/null
            docker push -q 127.0.0.1:5000/library/busybox:latest >/dev/null`,
            { user: "root" },
        );
        assert.equal(res.status, 0, res.stderr);
        engine = engineProject(PROGRAM_FILES);
        const hosts = [cacheHost, ...clients];
        writeFileSync(
            join(engine.dir, `Pulumi.${STACK}.yaml`),
            stringify({
                config: {
                    "docker-host:registryCache": { host: cacheHost.name, upstreamUrl: `http://${upstream.host}:5000`, image: "sandbox/registry:2" },
                    "docker-host:hosts": hosts.map((h) => ({ name: h.name, host: h.host, privateKeyPath: h.privateKeyPath, hostKey: h.hostKey })),
                },
            }),
        );
        ok("stack", "init", "--secrets-provider", "passphrase");
    });
    after(() => {
        stopForwarding?.();
        ["rc-up", "rc-cache", "rc-2", "rc-3"].forEach(downHost);
        engine?.remove();
    });

    it("1. up runs the cache container (its image, volume, port, restart policy, upstream) and makes it the others' first mirror", () => {
        ok("up", "--yes", "--skip-preview");
        const inspect = JSON.parse(sh(cacheHost, `docker inspect ${CONTAINER}`))[0] as {
            State: { Running: boolean };
            Config: { Image: string; Env: string[] };
            HostConfig: { RestartPolicy: { Name: string }; PortBindings: Record<string, { HostPort: string }[]> };
            Mounts: { Name: string; Destination: string }[];
        };
        assert.equal(inspect.State.Running, true);
        assert.equal(inspect.HostConfig.RestartPolicy.Name, "always");
        assert.equal(inspect.HostConfig.PortBindings["5000/tcp"]?.[0]?.HostPort, "5000");
        assert.ok(inspect.Config.Env.includes(`REGISTRY_PROXY_REMOTEURL=http://${upstream.host}:5000`), inspect.Config.Env.join(" "));
        assert.deepEqual(inspect.Mounts.map((m) => [m.Name, m.Destination]), [[`${CONTAINER}-storage`, "/var/lib/registry"]]);
        assert.equal(sh(cacheHost, `docker image inspect --format '{{.Id}}' sandbox/registry:2`).trim(), sh(cacheHost, `docker inspect --format '{{.Image}}' ${CONTAINER}`).trim());
        for (const client of clients) {
            assert.equal(sh(client, "docker info --format '{{index .RegistryConfig.Mirrors 0}}'").trim(), `http://${cacheHost.host}:5000/`);
        }
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");
    });

    it("2. a pull on the second host goes through the cache", () => {
        sh(clients[0]!, "docker pull -q busybox:latest >/dev/null");
        const storage = sh(cacheHost, `docker volume inspect --format '{{.Mountpoint}}' ${CONTAINER}-storage`).trim();
        assert.equal(sh(cacheHost, `ls ${storage}/docker/registry/v2/repositories/library/`).trim(), "busybox");
    });

    it("3. a pull on the third host with the upstream stopped is served from the cache", () => {
        sh(upstream, "systemctl stop docker-registry");
        assert.notEqual(ssh(clients[1]!, `busybox wget -q -O /dev/null -T 2 http://${upstream.host}:5000/v2/`, { user: "root" }).status, 0);
        sh(clients[1]!, "docker pull -q busybox:latest >/dev/null");
        assert.equal(sh(clients[1]!, "docker run --rm busybox:latest echo served-from-cache").trim(), "served-from-cache");
    });

    it("4. destroy removes the container and keeps the volume with the cached blobs", () => {
        ok("destroy", "--yes", "--skip-preview");
        assert.equal(sh(cacheHost, `docker ps -a -q --filter name=^${CONTAINER}$`).trim(), "");
        const storage = sh(cacheHost, `docker volume inspect --format '{{.Mountpoint}}' ${CONTAINER}-storage`).trim();
        assert.equal(sh(cacheHost, `ls ${storage}/docker/registry/v2/repositories/library/`).trim(), "busybox");
        ok("stack", "rm", "--yes");
    });
});
