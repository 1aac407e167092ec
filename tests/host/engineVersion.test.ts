// The gate against a real dockerd older than a daemon.json key, on the Engine the suite runs on (Debian 12's 20.10,
// 26.1, 28.5 or 29.5): a key newer than that Engine is refused before anything changes, with the key, the release
// that introduced it and the host's own version in the message; every key newer than the Engine is named at once;
// a key the Engine knows passes the same gate and is applied, a key newer than 20.10 among them where the Engine
// has one. An Engine that knows every key of the table (29.5: the newest came with 29.2) has nothing to refuse.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DAEMON_KEYS } from "../../components/dockerHost/daemonKeys";
import { apply, applySteps, configFor, dockerdIdentity, downHost, hostTestsSkipReason, olderRelease, remoteSha, remoteTreeSha, SandboxHost, sh, TEST_ENGINE, upHost } from "./harness";

const NAME = "t-engine";
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

/** Keys introduced after Engine 20.10, with a value of the key's type; the gate refuses them where the Engine lacks them. */
const SAMPLE_VALUES: Readonly<Record<string, unknown>> = {
    "log-format": "text",
    "bip6": "fd00:1::1/64",
    "allow-direct-routing": true,
    "firewall-backend": "iptables",
    "bridge-accept-fwmark": "0x1",
};
/** Those applied where the Engine has them: values that change nothing a sandbox host needs (bip6 would want IPv6). */
const APPLIED = ["log-format", "allow-direct-routing"];
const release = (key: string): string => DAEMON_KEYS[key]!.since!;
/** The sample keys this run's Engine lacks, and those it has. */
const lacking = Object.keys(SAMPLE_VALUES).filter((key) => olderRelease(TEST_ENGINE, release(key))).sort();
const known = APPLIED.filter((key) => !olderRelease(TEST_ENGINE, release(key)));
/** The release of the table's newest key: an Engine from it on knows them all. */
const NEWEST_KEY_RELEASE = Object.keys(DAEMON_KEYS).flatMap((key) => DAEMON_KEYS[key]!.since ?? []).reduce((a, b) => (olderRelease(a, b) ? b : a));
const nothingToRefuse = lacking.length === 0 ? `Engine ${TEST_ENGINE} knows every key of the table (the newest came with ${NEWEST_KEY_RELEASE})` : false;

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

    it("runs on the Engine the host was booted with", () => {
        assert.ok(version.startsWith(`${host.engine}.`), `dockerd ${version} on a host booted with Engine ${host.engine}`);
        if (olderRelease(TEST_ENGINE, NEWEST_KEY_RELEASE)) assert.ok(lacking.length >= 2, `the sample keys include at least two newer than Engine ${TEST_ENGINE}`);
    });

    it("refuses a key newer than the Engine in the gate, naming it, its release and the host's version; nothing changes", { skip: nothingToRefuse }, () => {
        const key = lacking[0]!;
        const before = state();
        const { runs, result } = applySteps(host, configFor(host, { daemon: { extra: { [key]: SAMPLE_VALUES[key] } } }));
        assert.equal(result, undefined);
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.equal(runs[0]!.step.stdin, `REQUIRED_STORAGE_DRIVER=overlay2\nENGINE_REQUIREMENTS=${key}@${release(key)}\n`);
        assert.match(
            runs[0]!.stderr,
            new RegExp(
                `Docker Engine ${esc(version)} on this host does not know the daemon\\.json key '${esc(key)}' \\(introduced in Engine ${esc(release(key))}\\); ` +
                    `dockerd refuses to start on a key it does not know, so nothing was changed\\. Fix: upgrade Docker Engine on this host to ${esc(release(key))} or later, or remove the key from daemon\\.extra\\.`,
            ),
        );
        assert.deepEqual(state(), before);
    });

    it("names every key the Engine lacks at once, and the newest release in the fix", { skip: nothingToRefuse }, () => {
        const before = state();
        const extra = Object.fromEntries([...lacking.map((key) => [key, SAMPLE_VALUES[key]]), ["log-level", "info"]]);
        const { runs } = applySteps(host, configFor(host, { daemon: { extra } }));
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        const named = lacking.map((key) => `'${esc(key)}' \\(introduced in Engine ${esc(release(key))}\\)`).join(", ");
        assert.match(runs[0]!.stderr, new RegExp(`does not know the daemon\\.json keys ${named};`));
        const newest = lacking.map(release).reduce((a, b) => (olderRelease(a, b) ? b : a));
        assert.match(runs[0]!.stderr, new RegExp(`Fix: upgrade Docker Engine on this host to ${esc(newest)} or later, or remove those keys from daemon\\.extra\\.`));
        assert.doesNotMatch(runs[0]!.stderr, /log-level/);
        assert.deepEqual(state(), before);
    });

    it("passes the keys the Engine knows, one newer than 20.10 among them where it has one, and the apply writes them", () => {
        const extra = Object.fromEntries([["log-level", "warn"], ...known.map((key) => [key, SAMPLE_VALUES[key]])]);
        const result = apply(host, configFor(host, { daemon: { extra } }));
        assert.equal(result.facts.serverVersion, version);
        const written = JSON.parse(sh(host, "cat /etc/docker/daemon.json")) as Record<string, unknown>;
        for (const [key, value] of Object.entries(extra)) assert.deepEqual(written[key], value, key);
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
    });
});
