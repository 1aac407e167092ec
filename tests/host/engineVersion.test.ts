// The gate against a real dockerd older than a daemon.json key: the sandbox's Engine (Debian 12's 20.10, or 26.1
// when the suite runs on it) is refused an Engine 28/29 key before anything changes, with the key, the release
// that introduced it and the host's own version in the message; a key the host's Engine knows passes the same
// gate and is applied.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apply, applySteps, configFor, dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, remoteTreeSha, SandboxHost, sh, upHost } from "./harness";

const NAME = "t-engine";
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

describe("daemon.json keys newer than the host's Engine", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    let version: string;
    before(() => {
        host = upHost(NAME, "--no-disk");
        version = sh(host, "docker version --format '{{.Server.Version}}'").trim();
    });
    after(() => downHost(NAME));

    /** What a refused run must leave as it was: daemon.json, the units and dockerd itself. */
    const state = () => ({
        daemonJson: remoteSha(host, "/etc/docker/daemon.json"),
        units: remoteTreeSha(host, "/etc/systemd/system"),
        dockerd: dockerdIdentity(host),
    });

    it("runs on the Engine the host was booted with, older than 28", () => {
        assert.ok(version.startsWith(`${host.engine}.`), `dockerd ${version} on a host booted with Engine ${host.engine}`);
        assert.ok(Number(version.split(".")[0]) < 28, version);
    });

    it("refuses an Engine 28.2 key in the gate, naming it, its release and the host's version; nothing changes", () => {
        const before = state();
        const { runs, result } = applySteps(host, configFor(host, { daemon: { extra: { "allow-direct-routing": true } } }));
        assert.equal(result, undefined);
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.equal(runs[0]!.step.stdin, "REQUIRED_STORAGE_DRIVER=overlay2\nENGINE_REQUIREMENTS=allow-direct-routing@28.2.0\n");
        assert.match(
            runs[0]!.stderr,
            new RegExp(
                `Docker Engine ${esc(version)} on this host does not know the daemon\\.json key 'allow-direct-routing' \\(introduced in Engine 28\\.2\\.0\\); ` +
                    "dockerd refuses to start on a key it does not know, so nothing was changed\\. Fix: upgrade Docker Engine on this host to 28\\.2\\.0 or later, or remove the key from daemon\\.extra\\.",
            ),
        );
        assert.deepEqual(state(), before);
    });

    it("names every key the Engine lacks at once, and the newest release in the fix", () => {
        const before = state();
        const { runs } = applySteps(host, configFor(host, { daemon: { extra: { "firewall-backend": "iptables", bip6: "fd00:1::1/64", "log-level": "info" } } }));
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.match(runs[0]!.stderr, /does not know the daemon\.json keys 'bip6' \(introduced in Engine 28\.0\.0\), 'firewall-backend' \(introduced in Engine 29\.0\.0\);/);
        assert.match(runs[0]!.stderr, /Fix: upgrade Docker Engine on this host to 29\.0\.0 or later, or remove those keys from daemon\.extra\./);
        assert.doesNotMatch(runs[0]!.stderr, /log-level/);
        assert.deepEqual(state(), before);
    });

    it("passes a key the host's Engine knows, and the apply writes it", () => {
        const result = apply(host, configFor(host, { daemon: { extra: { "log-level": "warn" } } }));
        assert.equal(result.facts.serverVersion, version);
        assert.equal(sh(host, "grep -c '^  \"log-level\": \"warn\",\\{0,1\\}$' /etc/docker/daemon.json").trim(), "1");
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
    });
});
