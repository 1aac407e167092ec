// The renderer (daemonJson.ts): golden daemon.json files, deterministic output whatever the key order, one
// changed option one changed line, and the restart-class digest that tells a restart from a reload.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { changedDaemonKeys, renderDaemonJson, restartClassDigest } from "../../components/dockerHost/daemonJson";
import { DaemonSettings, Resolved } from "../../components/dockerHost/args";

const golden = (name: string) => readFileSync(join(__dirname, "golden", name), "utf8");

const FULL: Resolved<DaemonSettings> = {
    registryMirrors: ["https://mirror.example.com"],
    insecureRegistries: ["registry.local:5000"],
    hosts: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"],
    dns: ["10.0.0.2", "1.1.1.1"],
    dnsSearch: ["corp.example.com"],
    dnsOptions: ["ndots:2"],
    maxConcurrentDownloads: 6,
    maxConcurrentUploads: 2,
    logMaxSize: "20m",
    logMaxFiles: 5,
    logCompress: true,
    defaultAddressPools: [{ base: "10.200.0.0/16", size: 24 }],
    shutdownTimeoutSeconds: 30,
    features: { buildkit: true },
    metricsAddress: "127.0.0.1:9323",
    labels: ["env=dev"],
    debug: false,
    extra: { "default-ulimits": { nofile: { Name: "nofile", Soft: 65536, Hard: 65536 } } },
};

describe("renderDaemonJson", () => {
    it("renders the documented defaults", () => {
        assert.equal(renderDaemonJson({}), golden("defaults.json"));
    });

    it("puts data-root on the data disk by default", () => {
        assert.equal(renderDaemonJson({ dataDisk: { device: "/dev/vdb", mountPoint: "/mnt/ssd/" } }), golden("data-disk.json"));
    });

    it("renders every typed setting, keys sorted, 2-space indent, trailing newline", () => {
        assert.equal(renderDaemonJson({ daemon: FULL }), golden("full.json"));
    });

    it("drops the bounded-log defaults for drivers that do not write files", () => {
        const text = renderDaemonJson({ daemon: { logDriver: "journald" } });
        assert.equal(JSON.parse(text)["log-opts"], undefined);
        assert.equal(JSON.parse(text)["log-driver"], "journald");
    });

    it("changing one log option changes exactly one line", () => {
        const before = renderDaemonJson({ daemon: FULL }).split("\n");
        const after = renderDaemonJson({ daemon: { ...FULL, logMaxSize: "50m" } }).split("\n");
        assert.equal(before.length, after.length);
        const changed = before.filter((line, i) => line !== after[i]);
        assert.deepEqual(changed, ['    "max-size": "20m"']);
    });

    it("is deterministic: the same settings, in any key order, render byte-identical text", () => {
        const settings = fc.record(
            {
                dns: fc.array(fc.ipV4(), { maxLength: 3 }),
                maxConcurrentDownloads: fc.integer({ min: 1, max: 64 }),
                logMaxFiles: fc.integer({ min: 1, max: 9 }),
                liveRestore: fc.boolean(),
                labels: fc.array(fc.stringMatching(/^[a-z]{1,5}=[a-z0-9]{0,5}$/), { maxLength: 3 }),
                features: fc.dictionary(fc.stringMatching(/^[a-z]{1,8}$/), fc.boolean(), { maxKeys: 3 }),
            },
            { requiredKeys: [] },
        );
        fc.assert(
            fc.property(settings, (s) => {
                const reversed = Object.fromEntries(Object.entries(s).reverse()) as Resolved<DaemonSettings>;
                const a = renderDaemonJson({ daemon: s });
                assert.equal(renderDaemonJson({ daemon: s }), a);
                assert.equal(renderDaemonJson({ daemon: reversed }), a);
                assert.ok(a.endsWith("}\n"));
                const topKeys = a.split("\n").filter((l) => /^ {2}"/.test(l)).map((l) => l.split('"')[1]!);
                assert.deepEqual(topKeys, [...topKeys].sort());
            }),
        );
    });
});

describe("restartClassDigest", () => {
    const base = renderDaemonJson({ daemon: FULL });
    it("ignores keys dockerd reloads on SIGHUP", () => {
        const reloadOnly = renderDaemonJson({ daemon: { ...FULL, registryMirrors: ["https://other.example.com"], maxConcurrentDownloads: 3 } });
        assert.equal(restartClassDigest(reloadOnly), restartClassDigest(base));
        assert.deepEqual(changedDaemonKeys(base, reloadOnly), ["max-concurrent-downloads", "registry-mirrors"]);
    });
    it("changes when a restart-class key changes", () => {
        const logChange = renderDaemonJson({ daemon: { ...FULL, logMaxFiles: 2 } });
        assert.notEqual(restartClassDigest(logChange), restartClassDigest(base));
        assert.deepEqual(changedDaemonKeys(base, logChange), ["log-opts"]);
    });
});
