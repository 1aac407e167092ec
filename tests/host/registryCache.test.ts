// Issue 5, the pull-through cache, proven on three sandbox hosts: an upstream registry (Debian's
// Distribution registry) on one, the cache on a second (the same registry in proxy mode, configured with
// the environment the RegistryCache component gives its container), and a third host configured by
// DockerHost with the cache as its mirror: it pulls through the cache, and again with the upstream stopped.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { mirrorDaemonSettings, registryCacheEnvironment } from "../../components/registryCache/mirror";
import { allowHostToHostTraffic, apply, configFor, downHost, hostTestsSkipReason, SandboxHost, sh, ssh, upHost } from "./harness";

const HOSTS = ["reg-upstream", "reg-cache", "reg-client"] as const;

describe("a pull-through registry cache", { skip: hostTestsSkipReason() }, () => {
    let upstream: SandboxHost;
    let cache: SandboxHost;
    let client: SandboxHost;
    let stopForwarding: (() => void) | undefined;

    before(() => {
        [upstream, cache, client] = HOSTS.map((name) => upHost(name, "--no-disk")) as [SandboxHost, SandboxHost, SandboxHost];
        stopForwarding = allowHostToHostTraffic();
    });
    after(() => {
        stopForwarding?.();
        HOSTS.forEach(downHost);
    });

    // Debian's registry with the registry:2 image's own configuration (no auth), plus `environment`
    // (Distribution's config overrides, as a container gets them); waits (bounded) until it answers.
    const startRegistry = (host: SandboxHost, environment: string[]) => {
        const config = "version: 0.1\nstorage:\n  filesystem:\n    rootdirectory: /var/lib/docker-registry\nhttp:\n  addr: :5000\n";
        const dropIn = `[Service]\n${environment.map((e) => `Environment=${e}\n`).join("")}`;
        const res = ssh(host, `set -e
            printf '%s' "$(head -c ${Buffer.byteLength(config)})" > /etc/docker/registry/config.yml
            mkdir -p /etc/systemd/system/docker-registry.service.d
            cat > /etc/systemd/system/docker-registry.service.d/test.conf
            systemctl daemon-reload && systemctl restart docker-registry
            for i in $(seq 1 50); do busybox wget -q -O /dev/null http://127.0.0.1:5000/v2/ && exit 0; sleep 0.1; done; exit 1`, { user: "root", input: config + dropIn });
        assert.equal(res.status, 0, `${host.name}: the registry did not come up: ${res.stderr}`);
    };

    it("serves an image from the upstream registry", () => {
        startRegistry(upstream, []);
        sh(upstream, `docker import /usr/local/share/docker-host-sandbox/busybox.tar 127.0.0.1:5000/library/busybox:latest >/dev/null
            docker push -q 127.0.0.1:5000/library/busybox:latest >/dev/null`);
    });

    it("runs the cache in proxy mode with the component's environment", () => {
        startRegistry(cache, registryCacheEnvironment(`http://${upstream.host}:5000`));
    });

    it("a host configured with the cache as its mirror pulls through it", () => {
        const result = apply(client, configFor(client, { daemon: mirrorDaemonSettings(`http://${cache.host}:5000`) }));
        assert.equal(result.action, "restart");
        sh(client, "docker pull -q busybox:latest >/dev/null");
        assert.equal(sh(cache, "ls /var/lib/docker-registry/docker/registry/v2/repositories/library/").trim(), "busybox");
        assert.equal(sh(client, "docker run --rm busybox:latest echo pulled-through-cache").trim(), "pulled-through-cache");
    });

    it("pulls again from the cache with the upstream stopped", () => {
        sh(upstream, "systemctl stop docker-registry");
        assert.notEqual(ssh(client, `busybox wget -q -O /dev/null -T 2 http://${upstream.host}:5000/v2/`, { user: "root" }).status, 0);
        sh(client, "docker rmi -f busybox:latest >/dev/null && docker pull -q busybox:latest >/dev/null");
        assert.equal(sh(client, "docker images -q busybox:latest").trim().length > 0, true);
    });
});
