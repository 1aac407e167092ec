// End to end through the real Pulumi engine (CLI + Node.js language host + command provider, built offline
// by scripts/engine.sh) against two sandbox hosts: up, no-op up, previews of restart- and reload-class
// changes, a bad setting, refresh, secrets in state, destroy.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, remoteTreeSha, SandboxHost, sh, ssh, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, succeeded, writeStackConfig as writeStackConfigFile } from "./project";

const HOSTS = ["e2e-1", "e2e-2"] as const;
const STACK = "e2e";

describe("pulumi up/preview/refresh/destroy through the real engine", { skip: hostTestsSkipReason() }, () => {
    let engine: EngineProject;
    let hosts: SandboxHost[];
    let daemon: Record<string, unknown> = {};
    let keyPath: string | undefined; // overrides the sandbox key (key rotation)

    const pulumi = (...args: string[]) => engine.run(...args, "--stack", STACK);
    const ok = (...args: string[]) => succeeded(pulumi(...args), args);
    const writeStackConfig = () => writeStackConfigFile(engine, STACK, hosts, { daemon, ...(keyPath ? { keyPath } : {}) });

    before(() => {
        engine = engineProject(PROGRAM_FILES);
        hosts = HOSTS.map((name) => upHost(name));
        ok("stack", "init", "--secrets-provider", "passphrase");
        writeStackConfig();
    });
    after(() => {
        HOSTS.forEach((name) => downHost(name));
        engine?.remove();
    });

    it("1. up from scratch verifies both hosts, one rollout batch after the other", () => {
        ok("up", "--yes", "--skip-preview");
        const summary = JSON.parse(ok("stack", "output", "summary", "--json")) as Record<string, { storageDriver: string; dockerRootDir: string; liveRestore: boolean }>;
        for (const name of HOSTS) {
            assert.equal(summary[name]?.storageDriver, "overlay2");
            assert.equal(summary[name]?.dockerRootDir, "/data/docker");
            assert.equal(summary[name]?.liveRestore, true);
        }
        // Batches: the second host's first step (the script upload) started only after the first host's
        // apply had verified Docker (its last act writes active-dropins.sha256). Both hosts share this
        // machine's clock.
        const firstVerified = Number(sh(hosts[0]!, "stat -c %.9Y /var/lib/docker-host/active-dropins.sha256"));
        const secondStarted = Number(sh(hosts[1]!, "stat -c %.9Y .docker-host/*/scripts/run.sh"));
        assert.ok(secondStarted > firstVerified, `e2e-2 got its scripts at ${secondStarted}, before e2e-1 was verified at ${firstVerified}`);
    });

    it("2. a second up changes nothing and runs no remote command", () => {
        const before = hosts.map((h) => [dockerdIdentity(h), sh(h, "stat -c %Y.%N /etc/docker/daemon.json")]);
        const out = ok("up", "--yes", "--skip-preview", "--expect-no-changes");
        assert.doesNotMatch(out, /updated|created|deleted/);
        assert.deepEqual(hosts.map((h) => [dockerdIdentity(h), sh(h, "stat -c %Y.%N /etc/docker/daemon.json")]), before);
    });

    it("3. a log option change previews as a key-level JSON diff and a restart, then applies", () => {
        daemon = { logMaxSize: "20m" };
        writeStackConfig();
        const preview = ok("preview", "--diff");
        assert.doesNotMatch(preview, /warning/i);
        assert.match(preview, /~ max-size: "10m" => "20m"/);
        assert.match(preview, /~ create: "sh -c .* apply v=[0-9a-f]{64} [^\n]*restart-class=[0-9a-f]+[^\n]*" => "sh -c .* apply v=[0-9a-f]{64} [^\n]*restart-class=[0-9a-f]+/);
        const before = hosts.map(dockerdIdentity);
        ok("up", "--yes", "--skip-preview");
        hosts.forEach((h, i) => {
            assert.match(sh(h, "cat /etc/docker/daemon.json"), /"max-size": "20m"/);
            assert.notEqual(dockerdIdentity(h), before[i]);
        });
    });

    it("4. a registry-mirrors change previews as a reload and leaves dockerd's PID alone", () => {
        daemon = { logMaxSize: "20m", registryMirrors: ["https://mirror.example.com"] };
        writeStackConfig();
        const preview = ok("preview", "--diff");
        assert.match(preview, /\+ registry-mirrors\s*: \[/);
        assert.doesNotMatch(preview, /~ create:/);
        const before = hosts.map(dockerdIdentity);
        ok("up", "--yes", "--skip-preview");
        assert.deepEqual(hosts.map(dockerdIdentity), before);
        hosts.forEach((h) => assert.match(sh(h, "docker info --format '{{json .RegistryConfig.Mirrors}}'"), /mirror\.example\.com/));
    });

    it("5. a bad setting fails the preview with the clear message; the hosts are untouched", () => {
        const before = hosts.map((h) => remoteSha(h, "/etc/docker/daemon.json"));
        daemon = { logMaxSize: "10x", registryMirrors: ["https://mirror.example.com"] };
        writeStackConfig();
        const res = pulumi("preview", "--diff");
        assert.notEqual(res.status, 0);
        // Written in docker-host:defaults (writeStackConfig), so reported there, once for every host.
        assert.match(res.out, /docker-host:defaults\.daemon\.logMaxSize: "10x" is not a size\. Fix: use a whole number followed by k, m or g, e\.g\. "10m"\./);
        const up = pulumi("up", "--yes", "--skip-preview");
        assert.notEqual(up.status, 0);
        assert.deepEqual(hosts.map((h) => remoteSha(h, "/etc/docker/daemon.json")), before);
        daemon = { logMaxSize: "20m", registryMirrors: ["https://mirror.example.com"] };
        writeStackConfig();
    });

    it("6. refresh then up brings no spurious changes", () => {
        ok("refresh", "--yes", "--skip-preview");
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");
    });

    it("6b. rotating the SSH key updates the steps in place and changes nothing on the hosts", () => {
        keyPath = join(mkdtempSync(join(engine.dir, "key-")), "id_ed25519");
        assert.equal(spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", keyPath]).status, 0);
        const publicKey = readFileSync(`${keyPath}.pub`, "utf8");
        for (const h of hosts) assert.equal(ssh(h, "cat >> .ssh/authorized_keys", { input: publicKey }).status, 0);
        const before = hosts.map((h) => [dockerdIdentity(h), sh(h, "stat -c %Y.%y /etc/docker/daemon.json"), remoteTreeSha(h, "/etc/systemd/system/docker.service.d")]);
        writeStackConfig();
        const preview = ok("preview");
        assert.match(preview, /~\s+command:remote:Command\s+e2e-1-apply\s+update/);
        assert.doesNotMatch(preview, /replace/);
        const up = ok("up", "--yes", "--skip-preview");
        assert.doesNotMatch(up, /replaced|created|deleted/);
        // The steps ran again with the new key and found nothing to do: same dockerd, same files.
        assert.deepEqual(hosts.map((h) => [dockerdIdentity(h), sh(h, "stat -c %Y.%y /etc/docker/daemon.json"), remoteTreeSha(h, "/etc/systemd/system/docker.service.d")]), before);
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");
    });

    it("7. the state holds neither the SSH private key nor any secret in plain text", () => {
        const keyBody = (path: string) => readFileSync(path, "utf8").split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
        const stateFiles = (dir: string): string[] =>
            readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? stateFiles(join(dir, e.name)) : [join(dir, e.name)]));
        const state = stateFiles(engine.stateDir).map((f) => readFileSync(f, "utf8")).join("\n");
        assert.match(state, /"connection"/);
        for (const path of [...hosts.map((h) => h.privateKeyPath), keyPath!]) {
            for (const line of keyBody(path)) assert.ok(!state.includes(line), `a line of ${path} is in the state`);
        }
        assert.ok(!state.includes("PRIVATE KEY"), "the state mentions a PRIVATE KEY in plain text");
    });

    it("8. destroy puts back each host's own daemon.json, removes the drop-ins, keeps the data", () => {
        const images = hosts.map((h) => sh(h, "ls /data/docker/image/overlay2/imagedb/content/sha256/ | sort"));
        ok("destroy", "--yes", "--skip-preview");
        hosts.forEach((h, i) => {
            assert.equal(remoteSha(h, "/etc/docker/daemon.json"), "absent"); // sandbox hosts start without one
            assert.equal(sh(h, "ls /etc/systemd/system/docker.service.d/ 2>/dev/null | grep -c docker-host || true").trim(), "0");
            assert.equal(sh(h, "findmnt -rn -o FSTYPE --mountpoint /data").trim(), "xfs");
            assert.equal(sh(h, "ls /data/docker/image/overlay2/imagedb/content/sha256/ | sort"), images[i]);
            assert.equal(sh(h, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
        });
        ok("stack", "rm", "--yes");
    });
});
