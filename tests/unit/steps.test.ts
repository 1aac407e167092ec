import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DockerHostConfig } from "../../components/dockerHost/args";
import { RELOADABLE_DAEMON_KEYS } from "../../components/dockerHost/daemonSettings";
import { remoteCommand, remoteUploadParent, scriptsDigest, STEP_SCRIPTS } from "../../components/dockerHost/remoteCommand";
import { paramLines, planSteps } from "../../components/dockerHost/steps";

const SCRIPTS = join(__dirname, "../../components/dockerHost/scripts");
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

const CONFIG: DockerHostConfig = {
    connection: { host: "203.0.113.7", user: "deploy", privateKey: KEY },
    dataDisk: { device: "/dev/disk/by-id/nvme-ssd-42", filesystem: "ext4", mountPoint: "/srv/ssd" },
    daemon: {
        dataRoot: "/srv/ssd/docker-root",
        registryMirrors: ["https://mirror.corp.example"],
        dns: ["192.0.2.53"],
        labels: ["team=payments"],
        logMaxSize: "33m",
    },
};

describe("planSteps", () => {
    const steps = planSteps(CONFIG);

    it("orders gate → data-disk → apply", () => {
        assert.deepEqual(steps.map((s) => s.name), ["gate", "data-disk", "apply"]);
    });

    it("never puts a user value into a command string", () => {
        const userValues = ["203.0.113.7", "deploy", "nvme-ssd-42", "/srv/ssd", "docker-root", "mirror.corp.example", "192.0.2.53", "team=payments", "33m"];
        for (const step of steps) {
            for (const command of [step.create, step.delete ?? ""]) {
                for (const value of userValues) {
                    assert.ok(!command.includes(value), `${step.name}'s command contains ${value}`);
                }
            }
        }
    });

    it("passes the user's values on stdin instead", () => {
        assert.equal(steps[1]!.stdin, "DEVICE=/dev/disk/by-id/nvme-ssd-42\nFILESYSTEM=ext4\nMOUNT_POINT=/srv/ssd\n");
        assert.equal(JSON.parse(steps[2]!.stdin)["data-root"], "/srv/ssd/docker-root");
    });

    it("adds the prune step last, with its documented defaults on stdin", () => {
        const steps = planSteps({ connection: CONFIG.connection, prune: { olderThan: "24h" } });
        assert.deepEqual(steps.map((s) => s.name), ["gate", "apply", "prune"]);
        assert.equal(steps[2]!.stdin, "SCHEDULE=weekly\nRANDOMIZED_DELAY_SECONDS=3600\nOLDER_THAN=24h\nKEEP_LABEL=docker-host.keep\nVOLUMES=false\n");
        assert.match(steps[2]!.delete!, / prune-delete /);
    });

    it("leaves the data-disk step out without a data disk", () => {
        assert.deepEqual(planSteps({ connection: CONFIG.connection }).map((s) => s.name), ["gate", "apply"]);
    });

    it("refuses a parameter value that would add a line", () => {
        assert.throws(() => paramLines({ DEVICE: "/dev/vdb\nMOUNT_POINT=/" }), /control character/);
    });
});

describe("remoteCommand", () => {
    it("runs the uploaded step through run.sh, with the scripts' digest and fixed tokens only", () => {
        const command = remoteCommand("apply", ["ready-timeout=60"]);
        assert.match(command, /^sh -c '[^']+' /);
        assert.ok(command.endsWith(` ${remoteUploadParent()}/scripts apply v=${scriptsDigest()} ready-timeout=60`), command);
        assert.match(scriptsDigest(), /^[0-9a-f]{64}$/);
        assert.equal(remoteUploadParent(), `.docker-host/${scriptsDigest()}`);
    });

    it("refuses arguments that are not fixed tokens", () => {
        assert.throws(() => remoteCommand("apply", ["ready-timeout=60; reboot"]), /not a fixed token/);
    });

    it("refuses to run an uploaded run.sh that differs from the one the command was built for", () => {
        const home = mkdtempSync(join(tmpdir(), "dh-home-"));
        try {
            const upload = join(home, remoteUploadParent(), "scripts");
            mkdirSync(upload, { recursive: true });
            cpSync(SCRIPTS, upload, { recursive: true });
            writeFileSync(join(upload, "run.sh"), readFileSync(join(SCRIPTS, "run.sh"), "utf8").replace("set -eu", "set -eu; touch pwned"));
            const res = spawnSync("/bin/sh", ["-c", remoteCommand("gate")], { cwd: home, encoding: "utf8" });
            assert.equal(res.status, 1);
            assert.match(res.stderr, /run\.sh on .* is missing or differs from the uploaded version; refusing to run it/);
            assert.equal(existsSync(join(home, "pwned")), false);
        } finally {
            rmSync(home, { recursive: true, force: true });
        }
    });

    it("run.sh refuses an unknown step before running anything", () => {
        const res = spawnSync("sh", [join(SCRIPTS, "run.sh"), "/nonexistent", "rm-rf", `v=${scriptsDigest()}`], { encoding: "utf8" });
        assert.equal(res.status, 2);
        assert.match(res.stderr, /unknown step 'rm-rf'/);
    });

    it("uploads only regular files without dot names (run.sh digests exactly what it installs)", () => {
        for (const file of readdirSync(SCRIPTS, { withFileTypes: true })) {
            assert.ok(file.isFile() && !file.name.startsWith("."), `scripts/${file.name}`);
        }
    });
});

describe("host scripts", () => {
    it("lib.sh lists the same reloadable keys as daemonSettings.ts", () => {
        const lib = readFileSync(join(SCRIPTS, "lib.sh"), "utf8");
        const m = /DH_RELOADABLE_KEYS="([^"]+)"/.exec(lib);
        assert.deepEqual(m?.[1]?.split(","), [...RELOADABLE_DAEMON_KEYS]);
    });

    it("are shellcheck-clean", (t) => {
        const probe = spawnSync("shellcheck", ["--version"]);
        if (probe.error) {
            if (process.env.CI) assert.fail("shellcheck is not installed (scripts/setup.sh installs it)");
            t.skip("shellcheck not installed");
            return;
        }
        const res = spawnSync("shellcheck", ["-x", ...STEP_SCRIPTS.map((s) => `${s}.sh`), "lib.sh", "run.sh", "txn.sh"], { cwd: SCRIPTS, encoding: "utf8" });
        assert.equal(res.status, 0, res.stdout);
    });

    it("parse the canonical daemon.json the way the renderer writes it", () => {
        const daemonJson = planSteps(CONFIG)[2]!.stdin;
        const lib = join(SCRIPTS, "lib.sh");
        const run = (fn: string) =>
            spawnSync("bash", ["-c", `source "$1"; ${fn}`, "x", lib], { input: daemonJson, encoding: "utf8" });
        assert.equal(run('f=$(mktemp); cat >"$f"; json_top_string data-root "$f"').stdout.trim(), "/srv/ssd/docker-root");
        assert.equal(run('f=$(mktemp); cat >"$f"; json_top_string storage-driver "$f"').stdout.trim(), "overlay2");
        // The restart projection drops reloadable keys only.
        const projection = run('f=$(mktemp); cat >"$f"; restart_projection "$f"');
        assert.equal(projection.status, 0);
        assert.ok(!projection.stdout.includes("registry-mirrors"));
        assert.ok(projection.stdout.includes('"max-size": "33m"'));
        // A hand-written, non-canonical file is reported (exit 3) so the apply restarts to be safe.
        const handWritten = spawnSync("bash", ["-c", 'source "$1"; f=$(mktemp); echo \'{"debug": true}\' >"$f"; restart_projection "$f"', "x", lib]);
        assert.equal(handWritten.status, 3);
    });

    it("count a directory holding only lost+found as empty (a fresh ext4 disk at data-root)", () => {
        const lib = join(SCRIPTS, "lib.sh");
        const empty = (setup: string) => spawnSync("bash", ["-c", `source "$1"; d=$(mktemp -d); ${setup}; dir_is_empty "$d"`, "x", lib]).status;
        assert.equal(empty(":"), 0);
        assert.equal(empty('mkdir "$d/lost+found"'), 0);
        assert.equal(empty('mkdir "$d/lost+found" "$d/image"'), 1);
        assert.equal(empty('touch "$d/.hidden"'), 1);
        assert.equal(empty('rmdir "$d"'), 0);
    });

    it("strip -H flags from ExecStart and keep the rest", () => {
        const lib = join(SCRIPTS, "lib.sh");
        const strip = (line: string) =>
            spawnSync("bash", ["-c", 'source "$1"; strip_host_flags "$2"', "x", lib, line], { encoding: "utf8" }).stdout.trim();
        assert.equal(
            strip("/usr/sbin/dockerd -H fd:// --containerd=/run/containerd/containerd.sock $DOCKER_OPTS"),
            "/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock $DOCKER_OPTS",
        );
        assert.equal(strip("/usr/bin/dockerd --host=fd:// -H unix:///x --debug"), "/usr/bin/dockerd --debug");
    });
});
