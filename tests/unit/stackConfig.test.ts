// The stack-config reader (stackConfig.ts): defaults merged under each host, the private key and pinned host
// keys read from files or secrets, every problem of every host reported at once, the registry cache as the
// others' first mirror, one entry per machine, and the dev stack as committed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { RunError } from "@pulumi/pulumi/errors";
import { parse } from "yaml";
import { readStackConfig, StackConfigError } from "../../components/stackConfig";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const files: Record<string, string> = { "/keys/web": KEY };
const readFile = (path: string) => {
    const content = files[path];
    if (content === undefined) throw Object.assign(new Error("nope"), { code: "ENOENT" });
    return content;
};

/** The StackConfigError a stack configuration is refused with (fails the test when it is accepted). */
function refusal(raw: Parameters<typeof readStackConfig>[0]): StackConfigError {
    try {
        readStackConfig(raw, readFile);
    } catch (err) {
        assert.ok(err instanceof StackConfigError, String(err));
        return err;
    }
    assert.fail("the configuration was accepted");
}

describe("readStackConfig", () => {
    it("merges defaults under each host, daemon settings key by key", () => {
        const stack = readStackConfig(
            {
                defaults: { user: "deploy", privateKeyPath: "/keys/web", daemon: { logMaxSize: "20m", liveRestore: true } },
                hosts: [
                    { name: "web-1", host: "10.0.0.5" },
                    { name: "web-2", host: "10.0.0.6", daemon: { logMaxSize: "50m" }, dataDisk: { device: "/dev/vdb" } },
                ],
                rollout: { batchSize: 2 },
            },
            readFile,
        );
        assert.deepEqual(stack.rollout, { batches: [2], failureBudget: 0 });
        assert.deepEqual(stack.hosts.map((h) => h.name), ["web-1", "web-2"]);
        assert.deepEqual(stack.hosts[1]!.config.daemon, { logMaxSize: "50m", liveRestore: true });
        assert.equal(stack.hosts[1]!.config.connection.user, "deploy");
        assert.equal(stack.hosts[0]!.config.connection.privateKey, KEY);
        assert.equal(stack.hosts[0]!.config.dataDisk, undefined);
    });

    it("reads docker-host:rollout: batches as a count, a percentage or a list, the failure budget, the defaults", () => {
        const rollout = (r: unknown) => readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "h" }], ...(r === undefined ? {} : { rollout: r }) }, readFile).rollout;
        assert.deepEqual(rollout(undefined), { batches: [1], failureBudget: 0 });
        assert.deepEqual(rollout({}), { batches: [1], failureBudget: 0 });
        assert.deepEqual(rollout({ batches: 3 }), { batches: [3], failureBudget: 0 });
        assert.deepEqual(rollout({ batches: "25%" }), { batches: ["25%"], failureBudget: 0 });
        assert.deepEqual(rollout({ batches: [1, 5, "25%"], failureBudget: 2 }), { batches: [1, 5, "25%"], failureBudget: 2 });
        assert.deepEqual(rollout({ batchSize: 4 }), { batches: [4], failureBudget: 0 }, "batchSize, the old spelling, still works");
    });

    it("reports every problem of docker-host:rollout at once, each with its key path and the fix", () => {
        const problems = (r: unknown) => {
            try {
                readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "h" }], rollout: r }, readFile);
            } catch (err) {
                assert.ok(err instanceof StackConfigError, String(err));
                return err.issues.map((i) => `${i.key}: ${i.message}`);
            }
            return [];
        };
        assert.deepEqual(problems({ batches: [1, "0%", "5", 2.5, "half"], failureBudget: -1 }), [
            'docker-host:rollout.batches[1]: "0%" is not a percentage from above 0 to 100. Fix: e.g. "25%".',
            'docker-host:rollout.batches[2]: "5" is neither a host count nor a percentage. Fix: write 5 without quotes for 5 hosts, or "5%" for a share of the stack\'s hosts.',
            'docker-host:rollout.batches[3]: 2.5 is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time), or a percentage such as "25%".',
            'docker-host:rollout.batches[4]: "half" is neither a host count nor a percentage. Fix: a host count such as 5, or a percentage such as "25%".',
            "docker-host:rollout.failureBudget: -1 is not a whole number ≥ 0. Fix: the number of hosts that may fail before the rollout stops, e.g. 1; 0 (the default) stops at the first.",
        ]);
        assert.deepEqual(problems({ batches: 2, batchSize: 2 }), [
            "docker-host:rollout.batchSize: is set together with batches; batchSize is the old spelling of batches with one count. Fix: keep batches and remove batchSize (batchSize: 2 is batches: 2).",
        ]);
        assert.deepEqual(problems({ batches: [] }), [
            'docker-host:rollout.batches: lists no batch. Fix: e.g. [1, "25%"] (one host, then a quarter of the hosts at a time), or leave it out for one host at a time.',
        ]);
        assert.deepEqual(problems({ batches: "150%" }), ['docker-host:rollout.batches: "150%" is not a percentage from above 0 to 100. Fix: e.g. "25%".']);
        assert.deepEqual(problems({ batches: { size: 1 } }), ['docker-host:rollout.batches: expected a host count or a percentage, got an object. Fix: e.g. 1, or "25%".']);
        assert.deepEqual(problems({ failureBudget: "1" }), ['docker-host:rollout.failureBudget: "1" is not a whole number ≥ 0. Fix: the number of hosts that may fail before the rollout stops, e.g. 1; 0 (the default) stops at the first.']);
        assert.match(problems({ batch: [1] })[0]!, /^docker-host:rollout\.batch: unknown setting\. Did you mean "batches"\? Known here: batches, failureBudget, batchSize\.$/);
        assert.deepEqual(problems("all"), ['docker-host:rollout: expected a mapping, got "all". Fix: write it as key: value lines.']);
    });

    it("uses the secret docker-host:privateKey when no path is set", () => {
        const stack = readStackConfig({ hosts: [{ name: "a", host: "h" }], privateKey: KEY }, readFile);
        assert.equal(stack.hosts[0]!.config.connection.privateKey, KEY);
    });

    it("reports every problem of every host at once, each with host and key", () => {
        const err = refusal({
            defaults: { privateKeyPath: "/keys/web", daemon: { logMaxSize: "10x" } },
            hosts: [
                { name: "web-1", host: "10.0.0.5" },
                { name: "web-2", host: "10.0.0.6", dataDisk: { device: "/dev/vdb", filesytem: "xfs" } },
                { name: "web-3", host: "10.0.0.7", privateKeyPath: "/keys/missing" },
            ],
            rollout: { batchSize: 0 },
        });
        assert.deepEqual(
            err.issues.map((i) => i.key),
            [
                "docker-host:rollout.batchSize",
                // Written once in the defaults, so reported once there, for every host.
                "docker-host:defaults.daemon.logMaxSize",
                "docker-host:hosts[1] (web-2).dataDisk.filesytem",
                "docker-host:hosts[2] (web-3).privateKeyPath",
            ],
        );
        assert.match(err.issues[2]!.message, /Did you mean "filesystem"\?/);
        assert.match(err.issues[3]!.message, /cannot read \/keys\/missing \(ENOENT\)/);
        assert.match(err.message, /nothing was changed on any host/);
    });

    it("reports a problem under the key the stack file spells, where it is written: a host's own, or the defaults' once", () => {
        const err = refusal({
            privateKey: KEY,
            registryCache: { host: "cache-1" },
            defaults: { port: 22, daemon: { logMaxSze: "10m", dataRoot: "/srv/docker", registryMirrors: ["https://ok.example.com", "ftp://bad.example.com"] } },
            hosts: [
                { name: "cache-1", host: "10.0.0.20" },
                // Its own dataRoot: the defaults' does not reach it.
                { name: "web-1", host: "10.0.0.5", dataDisk: { device: "/dev/vdb" }, daemon: { dataRoot: "/data/docker" } },
                { name: "web-2", host: "10.0.0.6", dataDisk: { device: "/dev/vdb" }, bastion: { host: "jump", port: 0 } },
            ],
        });
        assert.deepEqual(
            err.issues.map((i) => i.key),
            [
                "docker-host:defaults.daemon.logMaxSze",
                // The index in the list as written, not in the list with the cache's mirror put first.
                "docker-host:defaults.daemon.registryMirrors[1]",
                "docker-host:hosts[2] (web-2).bastion.port",
                // Only where a data disk makes it wrong.
                "docker-host:defaults.daemon.dataRoot (for web-2)",
            ],
        );
        assert.match(err.issues[0]!.message, /^unknown setting\. Did you mean "logMaxSize"\?/);
        assert.match(err.issues[1]!.message, /^"ftp:\/\/bad\.example\.com" must use http or https\./);
        assert.match(err.issues[3]!.message, /^"\/srv\/docker" is not on the data disk mounted at "\/data"\./);
    });

    it("reports the meaning problems beside the shape problems: one kind never hides the other", () => {
        const err = refusal({ privateKey: KEY, hosts: [{ name: "a", host: "h", port: "22", dataDisk: { device: "vdb" }, daemon: { logMaxSze: "10m", dns: ["1.1.1"], maxConcurrentUploads: "3" } }] });
        assert.deepEqual(
            err.issues.map((i) => i.key),
            [
                "docker-host:hosts[0] (a).port",
                "docker-host:hosts[0] (a).daemon.maxConcurrentUploads",
                "docker-host:hosts[0] (a).daemon.logMaxSze",
                "docker-host:hosts[0] (a).dataDisk.device",
                "docker-host:hosts[0] (a).daemon.dns[0]",
            ],
        );
    });

    it("refuses duplicate host names and unknown host keys", () => {
        assert.throws(
            () => readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "h" }, { name: "a", host: "i", prot: 22 }] }, readFile),
            /hosts\[1\] \(a\)\.prot: unknown setting\. Did you mean "port"\?[\s\S]*hosts\[1\]\.name: "a" is listed twice/,
        );
    });

    it("makes the registry cache every other host's first mirror (insecure, being http)", () => {
        const stack = readStackConfig(
            {
                privateKey: KEY,
                registryCache: { host: "cache-1" },
                defaults: { daemon: { registryMirrors: ["https://mirror.example.com"] } },
                hosts: [{ name: "cache-1", host: "10.0.0.20" }, { name: "web-1", host: "10.0.0.5" }],
            },
            readFile,
        );
        assert.deepEqual(stack.registryCache, { hostName: "cache-1", port: 5000, upstreamUrl: "https://registry-1.docker.io", image: "registry:2", deleteStorageOnDestroy: false, mirrorUrl: "http://10.0.0.20:5000" });
        assert.deepEqual(stack.hosts[1]!.config.daemon, { registryMirrors: ["http://10.0.0.20:5000", "https://mirror.example.com"], insecureRegistries: ["10.0.0.20:5000"] });
        assert.deepEqual(stack.hosts[0]!.config.daemon, { registryMirrors: ["https://mirror.example.com"] });
        assert.throws(() => readStackConfig({ privateKey: KEY, registryCache: { host: "nope" }, hosts: [{ name: "a", host: "h" }] }, readFile), /registryCache\.host: "nope" is not one of the stack's hosts/);
        assert.throws(
            () => readStackConfig({ privateKey: KEY, registryCache: { host: "a", image: "Registry 2" }, hosts: [{ name: "a", host: "h" }] }, readFile),
            /docker-host:registryCache\.image: "Registry 2" is not an image reference\. Fix: e\.g\. "registry:2"/,
        );
    });

    it("is a Pulumi RunError, so the program prints the list alone (no stack trace, no colour codes)", () => {
        assert.throws(
            () => readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "h", port: NaN }] }, readFile),
            (err: unknown) => {
                assert.ok(err instanceof StackConfigError && RunError.isInstance(err));
                assert.equal(err.message, "the stack configuration has 1 problem; nothing was changed on any host:\n  - docker-host:hosts[0] (a).port: expected a number, got NaN. Fix: set it to a number.");
                return true;
            },
        );
    });

    it("reports every problem of the registry cache at once, never a raw URL error", () => {
        assert.throws(
            () => readStackConfig({ privateKey: KEY, registryCache: { host: "a", port: "abc", image: "Registry 2" }, hosts: [{ name: "a", host: "h" }, { name: "b", host: "i" }] }, readFile),
            (err: unknown) => {
                assert.ok(err instanceof StackConfigError, String(err));
                assert.deepEqual(err.issues.map((i) => i.key), ["docker-host:registryCache.port", "docker-host:registryCache.image"]);
                return true;
            },
        );
    });

    it("writes an IPv6 cache host in brackets, in the mirror URL and the insecure registry", () => {
        const stack = readStackConfig({ privateKey: KEY, registryCache: { host: "cache-1", port: 5001 }, hosts: [{ name: "cache-1", host: "fd00::20" }, { name: "web-1", host: "10.0.0.5" }] }, readFile);
        assert.equal(stack.registryCache?.mirrorUrl, "http://[fd00::20]:5001");
        assert.deepEqual(stack.hosts[1]!.config.daemon, { registryMirrors: ["http://[fd00::20]:5001"], insecureRegistries: ["[fd00::20]:5001"] });
    });

    it("refuses two entries for one machine, naming both; not the same address behind two bastions", () => {
        assert.throws(
            () => readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "10.0.0.5" }, { name: "b", host: "10.0.0.5", port: 22, user: "deploy" }] }, readFile),
            /docker-host:hosts\[1\] \(b\)\.host: "10\.0\.0\.5" port 22 is the same machine as docker-host:hosts\[0\] \(a\), "10\.0\.0\.5" port 22;/,
        );
        const behindBastions = readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "10.0.0.5", bastion: { host: "jump-a" } }, { name: "b", host: "10.0.0.5", bastion: { host: "jump-b" } }] }, readFile);
        assert.equal(behindBastions.hosts.length, 2);
    });

    it("passes lockTimeoutSeconds from the defaults or the host to the config", () => {
        const stack = readStackConfig({ privateKey: KEY, defaults: { lockTimeoutSeconds: 60 }, hosts: [{ name: "a", host: "h" }, { name: "b", host: "i", lockTimeoutSeconds: 0 }] }, readFile);
        assert.deepEqual(stack.hosts.map((h) => h.config.lockTimeoutSeconds), [60, 0]);
        assert.throws(() => readStackConfig({ privateKey: KEY, hosts: [{ name: "a", host: "h", lockTimeoutSeconds: 86401 }] }, readFile), /lockTimeoutSeconds: 86401 is out of range\. Fix: use a whole number at most 86400\./);
    });

    it("pins host keys inline or from a file, a host's own pin over the defaults', never both in one entry", () => {
        const pub = `${HOST_KEY} root@web-1`;
        const read = (path: string) => (path.endsWith(".pub") ? pub : readFile(path));
        const stack = readStackConfig(
            {
                defaults: { privateKeyPath: "/keys/web", hostKeyPath: "/keys/shared.pub" },
                hosts: [
                    { name: "web-1", host: "10.0.0.5" },
                    { name: "web-2", host: "10.0.0.6", hostKey: HOST_KEY },
                ],
            },
            read,
        );
        assert.deepEqual(stack.hosts.map((h) => h.config.connection.hostKey), [pub, HOST_KEY]);
        assert.throws(
            () => readStackConfig({ defaults: { privateKeyPath: "/keys/web" }, hosts: [{ name: "a", host: "h", hostKey: HOST_KEY, hostKeyPath: "/k.pub" }] }, read),
            /docker-host:hosts\[0\] \(a\)\.hostKeyPath: is set together with hostKey\. Fix: keep one of the two\./,
        );
        assert.throws(
            () => readStackConfig({ defaults: { privateKeyPath: "/keys/web" }, hosts: [{ name: "a", host: "h", hostKeyPath: "/missing.key" }] }, readFile),
            /docker-host:hosts\[0\] \(a\)\.hostKeyPath: cannot read \/missing\.key \(ENOENT\)/,
        );
        assert.throws(
            () => readStackConfig({ defaults: { privateKeyPath: "/keys/web" }, hosts: [{ name: "a", host: "h", hostKey: "ssh-ed25519" }] }, readFile),
            /docker-host:hosts\[0\] \(a\)\.hostKey: "ssh-ed25519" is not an OpenSSH public key line/,
        );
    });

    it("is pure: loading it loads no component and no provider SDK", () => {
        const probe = `require(${JSON.stringify(join(__dirname, "../../components/stackConfig"))}); console.log(JSON.stringify(Object.keys(require.cache).filter((m) => /@pulumi\\/(docker|command)\\/|\\/dockerHost\\/dockerHost|\\/registryCache\\/registryCache/.test(m))))`;
        const res = spawnSync(process.execPath, ["--import", "tsx", "-e", probe], { encoding: "utf8" });
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(JSON.parse(res.stdout), []);
    });

    it("accepts the dev stack as committed", () => {
        const yaml = parse(readFileSync(join(__dirname, "../../Pulumi.dev.yaml"), "utf8")) as { config: Record<string, unknown> };
        const c = yaml.config;
        const stack = readStackConfig(
            { hosts: c["docker-host:hosts"], defaults: c["docker-host:defaults"], rollout: c["docker-host:rollout"] },
            (path) => (path.endsWith(".pub") ? HOST_KEY : KEY),
        );
        assert.equal(stack.hosts[0]!.config.connection.hostKey, HOST_KEY);
        assert.deepEqual(stack.hosts.map((h) => h.name), ["dev-1"]);
        assert.equal(stack.hosts[0]!.config.dataDisk?.device, "/dev/vdb");
    });
});
