// Docker's daemon.json key table (daemonKeys.table.json, loaded by daemonKeys.ts), the Engine versions the plan hands the gate, and gate.sh's
// version check, run in bash against stand-in docker/dockerd/systemctl commands (no host, no Docker).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { HostSettings } from "../../components/dockerHost/args";
import { daemonJsonObject, renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { DAEMON_KEYS, DaemonJsonType, DOCUMENTED_DAEMON_KEYS, engineRequirements, formatEngineRequirements } from "../../components/dockerHost/daemonKeys";
import { settingRows } from "../../components/dockerHost/daemonSettings";
import { planConfig } from "../../components/dockerHost/steps";
import { tlsPaths } from "../../components/dockerHost/tlsMaterial";
import { findConfigIssues } from "../../components/dockerHost/validate";
import { EVERY_SETTING } from "./fixtures";
import { gateWithStubs } from "./gateStub";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const connection = { host: "10.0.0.5", privateKey: KEY };

/** The TLS keys come from tlsCertificates: daemon.json with a version's paths. */
const TLS_PATHS = tlsPaths("0123456789ab");

function hasType(value: unknown, type: DaemonJsonType): boolean {
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
    switch (type) {
        case "string":
            return typeof value === "string";
        case "boolean":
            return typeof value === "boolean";
        case "integer":
            return Number.isSafeInteger(value);
        case "string array":
            return Array.isArray(value) && value.every((v) => typeof v === "string");
        case "object of strings":
            return isObject(value) && Object.values(value).every((v) => typeof v === "string");
        case "object of booleans":
            return isObject(value) && Object.values(value).every((v) => typeof v === "boolean");
        case "object":
            return isObject(value);
        case "array of objects":
            return Array.isArray(value) && value.every(isObject);
    }
}

describe("the daemon.json key table", () => {
    it("is sorted, and names an Engine release newer than 20.10 where it names one", () => {
        assert.deepEqual([...DOCUMENTED_DAEMON_KEYS], [...DOCUMENTED_DAEMON_KEYS].sort());
        for (const [key, spec] of Object.entries(DAEMON_KEYS)) {
            if (spec.since === undefined) continue;
            const [major, minor] = spec.since.split(".").map(Number) as [number, number];
            assert.ok(major > 20 || (major === 20 && minor > 10), `${key}: ${spec.since}`);
        }
    });

    it("holds every key the renderer writes, and the renderer writes each with the type dockerd decodes", () => {
        const json = daemonJsonObject(EVERY_SETTING, TLS_PATHS);
        for (const [, s] of settingRows()) if (s.daemonKey !== undefined) assert.ok(Object.hasOwn(DAEMON_KEYS, s.daemonKey), s.daemonKey);
        for (const [key, value] of Object.entries(json)) {
            const spec = DAEMON_KEYS[key];
            assert.ok(spec, `${key} is not in the table`);
            assert.ok(hasType(value, spec.type), `${key}: ${JSON.stringify(value)} is not ${spec.type}`);
        }
    });

    it("accepts allow-direct-routing (Engine 28.2), once refused as undocumented", () => {
        assert.deepEqual(findConfigIssues({ connection, daemon: { extra: { "allow-direct-routing": true } } }), []);
        assert.deepEqual(DAEMON_KEYS["allow-direct-routing"], { type: "boolean", since: "28.2.0" });
    });
});

describe("engineRequirements", () => {
    const settings = (config: HostSettings) => JSON.parse(renderDaemonJson(config)) as Record<string, unknown>;

    it("is empty for the defaults and for every typed setting and TLS (all of them are in 20.10)", () => {
        assert.deepEqual(engineRequirements(settings({})), []);
        assert.deepEqual(engineRequirements(daemonJsonObject(EVERY_SETTING, TLS_PATHS)), []);
    });

    it("names each newer key of daemon.extra with the release that introduced it, sorted by key", () => {
        const extra = {
            "log-level": "warn",
            "firewall-backend": "nftables",
            "allow-direct-routing": true,
            "cdi-spec-dirs": ["/etc/cdi"],
            proxies: { "http-proxy": "http://p:3128" },
            // Keys dockerd takes that its reference leaves out: daemon.json only, and NRI.
            "min-api-version": "1.24",
            "nri-opts": { enable: true },
        };
        assert.deepEqual(findConfigIssues({ connection, daemon: { extra } }), []);
        assert.deepEqual(engineRequirements(settings({ daemon: { extra } })), [
            { key: "allow-direct-routing", since: "28.2.0" },
            { key: "cdi-spec-dirs", since: "25.0.0" },
            { key: "firewall-backend", since: "29.0.0" },
            { key: "min-api-version", since: "29.0.0" },
            { key: "nri-opts", since: "29.2.0" },
            { key: "proxies", since: "23.0.0" },
        ]);
    });

    it("formats the gate's ENGINE_REQUIREMENTS value, and refuses a word the gate would not read", () => {
        assert.equal(formatEngineRequirements([]), "");
        assert.equal(formatEngineRequirements([{ key: "allow-direct-routing", since: "28.2.0" }, { key: "bip6", since: "28.0.0" }]), "allow-direct-routing@28.2.0 bip6@28.0.0");
        assert.throws(() => formatEngineRequirements([{ key: "a b", since: "28.0.0" }]), /not key@major\.minor\.patch/);
        assert.throws(() => formatEngineRequirements([{ key: "a", since: "28.0.0\n" as "28.0.0" }]), /not key@major\.minor\.patch/);
    });

    it("reaches the gate's stdin, as an empty line when nothing needs a newer Engine", () => {
        assert.equal(planConfig({ connection })[0]!.stdin, "REQUIRED_STORAGE_DRIVER=overlay2\nENGINE_REQUIREMENTS=\n");
        const gate = planConfig({ connection, daemon: { storageDriver: "btrfs", extra: { "allow-direct-routing": false, bip6: "fd00::1/64" } } })[0]!;
        assert.equal(gate.name, "gate");
        assert.equal(gate.stdin, "REQUIRED_STORAGE_DRIVER=btrfs\nENGINE_REQUIREMENTS=allow-direct-routing@28.2.0 bip6@28.0.0\n");
        assert.ok(!gate.create.includes("allow-direct-routing"));
    });
});

describe("gate.sh's Engine check (stand-in docker commands)", () => {
    let stubs: ReturnType<typeof gateWithStubs>;
    before(() => (stubs = gateWithStubs()));
    after(() => stubs.remove());
    const gate = (version: string, stdin: string) => stubs.run(stdin, { version });
    const stdinFor = (extra: Record<string, unknown>) => planConfig({ connection, daemon: { storageDriver: "btrfs", extra } })[0]!.stdin!;

    it("refuses Debian 12's 20.10 for an Engine 28.2 key, naming the key, both versions and the fix, before any change", () => {
        const res = gate("20.10.24+dfsg1", stdinFor({ "allow-direct-routing": true }));
        assert.equal(res.status, 1);
        assert.equal(res.stdout, "");
        assert.match(
            res.stderr,
            /Docker Engine 20\.10\.24\+dfsg1 on this host does not know the daemon\.json key 'allow-direct-routing' \(introduced in Engine 28\.2\.0\); dockerd refuses to start on a key it does not know, so nothing was changed\. Fix: upgrade Docker Engine on this host to 28\.2\.0 or later, or remove the key from daemon\.extra\./,
        );
    });

    it("names every key an Engine lacks, and the newest release as the fix", () => {
        const res = gate("24.0.7-0ubuntu4", stdinFor({ "allow-direct-routing": true, "firewall-backend": "iptables", "default-network-opts": {}, "cdi-spec-dirs": [] }));
        assert.equal(res.status, 1);
        assert.match(res.stderr, /does not know the daemon\.json keys 'allow-direct-routing' \(introduced in Engine 28\.2\.0\), 'cdi-spec-dirs' \(introduced in Engine 25\.0\.0\), 'firewall-backend' \(introduced in Engine 29\.0\.0\);/);
        assert.match(res.stderr, /Fix: upgrade Docker Engine on this host to 29\.0\.0 or later, or remove those keys from daemon\.extra\./);
        assert.doesNotMatch(res.stderr, /default-network-opts/);
    });

    it("passes a new enough Engine, comparing numbers (28.10 > 28.2) and ignoring suffixes", () => {
        for (const version of ["28.2.0", "28.2.1", "28.10.0", "29.0.0", "28.2.0-rc.1", "v28.3.0"]) {
            const res = gate(version, stdinFor({ "allow-direct-routing": true }));
            assert.equal(res.status, 0, `${version}: ${res.stderr}`);
            assert.deepEqual(JSON.parse(res.stdout), { storageDriver: "btrfs", backingFilesystem: "ext4", serverVersion: version });
            // One docker CLI call for every fact (each costs the host ≈ 50 ms of CPU).
            assert.deepEqual(res.dockerCalls.map((c) => c.split(" ").slice(0, 2).join(" ")), ["info --format"]);
        }
        assert.equal(gate("28.1.9", stdinFor({ "allow-direct-routing": true })).status, 1);
        assert.equal(gate("27.99.99", stdinFor({ "allow-direct-routing": true })).status, 1);
    });

    it("passes any Engine, even one without a version number, when nothing needs a newer one", () => {
        assert.equal(gate("20.10.24+dfsg1", stdinFor({ "log-level": "warn" })).status, 0);
        assert.equal(gate("dev", stdinFor({})).status, 0);
    });

    it("refuses when it cannot tell the Engine's version and a key needs a newer one", () => {
        const res = gate("dev", stdinFor({ bip6: "fd00::1/64" }));
        assert.equal(res.status, 1);
        assert.match(res.stderr, /cannot tell which daemon\.json keys Docker Engine 'dev' knows \(not a release version\), and 'bip6' needs Engine 28\.0\.0 or later; nothing was changed\./);
    });

    it("refuses a malformed or missing ENGINE_REQUIREMENTS line", () => {
        const bad = gate("29.0.0", "REQUIRED_STORAGE_DRIVER=btrfs\nENGINE_REQUIREMENTS=x;reboot@1.2.3\n");
        assert.equal(bad.status, 1);
        assert.match(bad.stderr, /malformed ENGINE_REQUIREMENTS word 'x;reboot@1\.2\.3'/);
        const missing = gate("29.0.0", "REQUIRED_STORAGE_DRIVER=btrfs\n");
        assert.equal(missing.status, 1);
        assert.match(missing.stderr, /missing parameter 'ENGINE_REQUIREMENTS' on stdin/);
    });
});
