// Drift detection (drift.ts): the live state parsed, each change named per key, the repair token, and the
// probe bounded in time against in-process servers that never answer.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createServer, Server } from "node:net";
import { after, describe, it } from "node:test";
import { describeDrift, keyChanges, LiveState, parseLiveState, readLiveState } from "../../components/dockerHost/drift";

const APPLIED = '{\n  "debug": true,\n  "live-restore": true\n}\n';
const DESIRED = { dataRoot: "/data/docker", storageDriver: "overlay2" };
const clean: LiveState = { daemonJson: APPLIED, appliedDaemonJson: APPLIED, dropIn: "", appliedDropIn: "", dockerRootDir: "/data/docker", storageDriver: "overlay2" };

describe("describeDrift", () => {
    it("finds nothing on a host as last applied", () => {
        assert.deepEqual(describeDrift("web-1", clean, DESIRED), { findings: [] });
    });

    it("names each changed key, old → new, and asks for a repair", () => {
        const edited = { ...clean, daemonJson: '{\n  "debug": false,\n  "live-restore": true,\n  "log-level": "warn"\n}\n' };
        const report = describeDrift("web-1", edited, DESIRED);
        assert.deepEqual(report.findings, ['daemon.json on web-1: debug true → false, log-level (unset) → "warn", changed outside Pulumi; the next up restores it']);
        assert.match(report.repairToken!, /^[0-9a-f]{12}$/);
    });

    it("reports a removed drop-in, a file that is no longer JSON, Docker down or on the wrong root", () => {
        assert.deepEqual(describeDrift("w", { ...clean, appliedDropIn: "[Service]\n", dropIn: "" }, DESIRED).findings, [
            "docker.service drop-in 10-docker-host.conf on w: removed, changed outside Pulumi; the next up restores it",
        ]);
        assert.deepEqual(keyChanges(APPLIED, "{ oops"), ["no longer valid JSON"]);
        const { dockerRootDir: _, storageDriver: __, ...down } = clean;
        assert.deepEqual(describeDrift("w", down, DESIRED).findings, ["Docker on w is not answering (docker info failed)"]);
        assert.deepEqual(describeDrift("w", { ...clean, dockerRootDir: "/var/lib/docker" }, DESIRED).findings, ["Docker on w runs on /var/lib/docker, not /data/docker"]);
    });

    it("stays quiet on a host docker-host has not configured yet", () => {
        assert.deepEqual(describeDrift("w", { ...clean, appliedDaemonJson: "", daemonJson: "{}" }, DESIRED), { findings: [] });
    });

    it("parses the drift probe's NUL-separated output", () => {
        assert.deepEqual(parseLiveState(`${APPLIED}\0${APPLIED}\0\0\0/data/docker overlay2\0`), clean);
        const { dockerRootDir: _, storageDriver: __, ...down } = clean;
        assert.deepEqual(parseLiveState(`${APPLIED}\0${APPLIED}\0\0\0\0`), down);
        assert.throws(() => parseLiveState(`${APPLIED}\0${APPLIED}\0`), /unexpected output from the drift probe/);
    });
});

describe("readLiveState", () => {
    const servers: Server[] = [];
    after(() => servers.forEach((s) => s.close()));
    const listen = (server: Server) =>
        new Promise<number>((resolve) => {
            servers.push(server);
            server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
        });
    // A real key, so the failure is the connection's and not the key's.
    const dir = mkdtempSync(join(tmpdir(), "drift-key-"));
    spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, "id")]);
    const KEY = readFileSync(join(dir, "id"), "utf8");
    after(() => rmSync(dir, { recursive: true, force: true }));

    it("gives up on a host that accepts but never speaks SSH, within its bound, with a clear reason", async () => {
        const port = await listen(createServer(() => undefined)); // accepts, then silence
        const started = Date.now();
        await assert.rejects(
            readLiveState({ host: "127.0.0.1", port, privateKey: KEY }, { limits: { connectTimeoutSeconds: 1, totalTimeoutSeconds: 3 } }),
            (err: Error) => err.message === `cannot read the live state of root@127.0.0.1:${port}: Timed out while waiting for handshake`,
        );
        assert.ok(Date.now() - started < 3500, `took ${Date.now() - started} ms`);
    });

    it("reports a refused connection", async () => {
        const server = createServer();
        const port = await listen(server);
        server.close();
        await assert.rejects(readLiveState({ host: "127.0.0.1", port, privateKey: KEY }, { limits: { connectTimeoutSeconds: 1, totalTimeoutSeconds: 3 } }), /ECONNREFUSED/);
    });
});
