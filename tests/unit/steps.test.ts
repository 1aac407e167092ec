// The plan (steps.ts) and the host scripts it runs: no user value in a command, the values on stdin, the
// step list and the constants the TypeScript side shares with the scripts (one source each, checked here),
// and the scripts' helpers run in bash.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { DockerHostConfig } from "../../components/dockerHost/args";
import { HOST_PATHS, readonlyConstants, RELOADABLE_DAEMON_KEYS, RUN_SH_STEPS, SESSION_STEPS, STEP_DEFAULTS, TLS_VERSION } from "../../components/dockerHost/hostConstants";
import { remoteCommand, remoteUploadParent, scriptsDigest } from "../../components/dockerHost/remoteCommand";
import { paramLines, planConfig, STEP_SCRIPTS, stepNames, STEPS } from "../../components/dockerHost/steps";

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
    const steps = planConfig(CONFIG);

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
        assert.equal(JSON.parse(steps[2]!.stdin!)["data-root"], "/srv/ssd/docker-root");
    });

    it("passes the scripts' own defaults for the waits, and the transaction tokens to every step but the gate", () => {
        const [gate, , apply] = steps;
        assert.match(apply!.create, new RegExp(` ready-timeout=${STEP_DEFAULTS.readyTimeoutSeconds} .* owner=unknown lock-wait=${STEP_DEFAULTS.lockWaitSeconds}$`));
        assert.match(apply!.delete!, new RegExp(` apply-delete v=[0-9a-f]{64} ready-timeout=${STEP_DEFAULTS.readyTimeoutSeconds} owner=unknown lock-wait=${STEP_DEFAULTS.lockWaitSeconds}$`));
        assert.doesNotMatch(gate!.create, /owner=|lock-wait=/);
        const custom = planConfig({ ...CONFIG, dockerReadyTimeoutSeconds: 90, lockTimeoutSeconds: 5 }, { owner: "p.s.web-1" }).find((s) => s.name === "apply")!;
        assert.match(custom.create, / ready-timeout=90 .* owner=p\.s\.web-1 lock-wait=5$/);
    });

    it("adds the prune step last, with its documented defaults on stdin", () => {
        const steps = planConfig({ connection: CONFIG.connection, prune: { olderThan: "24h" } });
        assert.deepEqual(steps.map((s) => s.name), ["gate", "apply", "prune"]);
        assert.equal(steps[2]!.stdin, "SCHEDULE=weekly\nRANDOMIZED_DELAY_SECONDS=3600\nOLDER_THAN=24h\nKEEP_LABEL=docker-host.keep\nVOLUMES=false\n");
        assert.match(steps[2]!.delete!, / prune-delete /);
    });

    it("leaves the data-disk step out without a data disk", () => {
        assert.deepEqual(planConfig({ connection: CONFIG.connection }).map((s) => s.name), ["gate", "apply"]);
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

describe("one step list: the plan, run.sh and the scripts folder agree", () => {
    it("run.sh accepts exactly the scripts the plan's steps run", () => {
        assert.deepEqual([...RUN_SH_STEPS].sort(), [...STEP_SCRIPTS].sort());
    });

    it("the scripts folder holds a script for each of them, and besides only the helpers", () => {
        const helpers = ["lib.sh", "run.sh", "txn.sh", "prune-run.sh"];
        assert.deepEqual(readdirSync(SCRIPTS).sort(), [...STEP_SCRIPTS.map((s) => `${s}.sh`), ...helpers].sort());
    });

    it("only the read-only gate runs in the session; run.sh runs each step by its script's name", () => {
        assert.deepEqual([...SESSION_STEPS], [STEPS.gate.script]);
        for (const name of Object.keys(STEPS)) {
            const step = planConfig({ connection: CONFIG.connection, dataDisk: { device: "/dev/vdb" }, prune: {} }).find((s) => s.name === name);
            if (name === "tls") continue; // needs TLS material: tlsMaterial.test.ts
            assert.ok(step, name);
            const spec = STEPS[name as keyof typeof STEPS];
            assert.match(step.create, new RegExp(` ${spec.script} v=`), name);
            if ("deleteScript" in spec) assert.match(step.delete!, new RegExp(` ${spec.deleteScript} v=`), name);
        }
    });

    it("orders the steps and adds the optional ones by the configuration's parts", () => {
        assert.deepEqual(stepNames({ dataDisk: false, tlsCertificates: false, prune: false }), ["gate", "apply"]);
        assert.deepEqual(stepNames({ dataDisk: true, tlsCertificates: true, prune: true }), ["gate", "data-disk", "tls", "apply", "prune"]);
    });
});

describe("constants shared with the scripts (read from their readonly lines)", () => {
    it("reads plain readonly lines, bare or quoted, and nothing that expands", () => {
        const constants = readonlyConstants(["readonly DH_A=/x/y", "readonly DH_B='^[0-9]{2}$'", 'readonly DH_C="a,b"', "readonly DH_D=$((1 + 2))", 'readonly DH_E="$HOME"', "DH_F=1", "  readonly DH_G=z # c"].join("\n"));
        assert.deepEqual([...constants.entries()], [["DH_A", "/x/y"], ["DH_B", "^[0-9]{2}$"], ["DH_C", "a,b"]]);
    });

    it("finds every value the TypeScript side uses, as the scripts see it", () => {
        const lib = join(SCRIPTS, "lib.sh");
        const bash = (expr: string) => spawnSync("bash", ["-c", `source "$1"; printf '%s' "${expr}"`, "x", lib], { encoding: "utf8" }).stdout;
        assert.equal(bash("$DH_DAEMON_JSON"), HOST_PATHS.daemonJson);
        assert.equal(bash("$DH_APPLIED_DAEMON_JSON $DH_APPLIED_DROPIN"), `${HOST_PATHS.appliedDaemonJson} ${HOST_PATHS.appliedListenDropIn}`);
        assert.equal(bash("$DH_DROPIN_LISTEN $DH_DEFAULT_ROOT $DH_STATE_DIR"), `${HOST_PATHS.listenDropIn} ${HOST_PATHS.defaultDataRoot} ${HOST_PATHS.stateDir}`);
        assert.equal(bash("$DH_TLS_DIR/$DH_TLS_CA_FILE $DH_TLS_CERT_FILE $DH_TLS_KEY_FILE"), `${HOST_PATHS.tlsDir}/${HOST_PATHS.tlsCaFile} ${HOST_PATHS.tlsCertFile} ${HOST_PATHS.tlsKeyFile}`);
        assert.equal(bash("$DH_TLS_VERSION_RE"), TLS_VERSION.source);
        assert.equal(bash("$DH_READY_TIMEOUT_DEFAULT $DH_LOCK_WAIT_DEFAULT"), `${STEP_DEFAULTS.readyTimeoutSeconds} ${STEP_DEFAULTS.lockWaitSeconds}`);
        assert.deepEqual(bash("$DH_RELOADABLE_KEYS").split(","), [...RELOADABLE_DAEMON_KEYS]);
        const run = spawnSync("sh", ["-c", `eval "$(grep '^readonly DH_' "$1")"; printf '%s|%s|%s' "$DH_INSTALL_DIR" "$DH_STEPS" "$DH_SESSION_STEPS"`, "x", join(SCRIPTS, "run.sh")], { encoding: "utf8" }).stdout;
        assert.equal(run, `${HOST_PATHS.installDir}|${RUN_SH_STEPS.join(" ")}|${SESSION_STEPS.join(" ")}`);
    });

    it("no other script spells out a host path lib.sh or run.sh defines (they use the constants)", () => {
        const paths = Object.values(HOST_PATHS).filter((p) => p.startsWith("/"));
        for (const file of readdirSync(SCRIPTS).filter((f) => f !== "lib.sh" && f !== "run.sh")) {
            const code = readFileSync(join(SCRIPTS, file), "utf8").split("\n").filter((line) => !/^\s*#/.test(line));
            for (const path of paths) {
                const line = code.find((l) => l.includes(path));
                assert.equal(line, undefined, `${file} spells out ${path}: ${line}`);
            }
        }
    });
});

describe("host scripts", () => {
    it("are shellcheck-clean", (t) => {
        const probe = spawnSync("shellcheck", ["--version"]);
        if (probe.error) {
            if (process.env.CI) assert.fail("shellcheck is not installed (scripts/setup.sh installs it)");
            t.skip("shellcheck not installed");
            return;
        }
        const res = spawnSync("shellcheck", ["-x", ...readdirSync(SCRIPTS)], { cwd: SCRIPTS, encoding: "utf8" });
        assert.equal(res.status, 0, res.stdout);
    });

    it("never pipe into a grep that leaves at its first match (here and in every shell file of the repository)", () => {
        // `producer | grep -q`: grep exits at the match, the producer dies of SIGPIPE if it still writes, and
        // pipefail (every script sets it) makes the match a failure. It skipped apply.sh's dockerd --validate
        // and let the sandbox hand one address to two hosts.
        const repo = join(__dirname, "../..");
        const files = [SCRIPTS, ...["sandbox", "scripts", "bench", ".ci"].map((dir) => join(repo, dir))].flatMap((dir) =>
            readdirSync(dir, { withFileTypes: true })
                .filter((e) => e.isFile())
                .map((e) => join(dir, e.name))
                .filter((f) => f.endsWith(".sh") || readFileSync(f, "utf8").startsWith("#!/usr/bin/env bash")),
        );
        assert.ok(files.length >= 25, `only ${files.length} shell files found`);
        const offenders = files.flatMap((file) =>
            readFileSync(file, "utf8")
                .split("\n")
                .filter((line) => !/^\s*#/.test(line) && /\|\s*grep\s+(-[A-Za-z]*q|--quiet|--silent)/.test(line))
                .map((line) => `${file}: ${line.trim()}`),
        );
        assert.deepEqual(offenders, []);
    });

    it("parse the canonical daemon.json the way the renderer writes it", () => {
        const daemonJson = planConfig(CONFIG)[2]!.stdin!;
        const lib = join(SCRIPTS, "lib.sh");
        const run = (fn: string) =>
            spawnSync("bash", ["-c", `source "$1"; ${fn}`, "x", lib], { input: daemonJson, encoding: "utf8" });
        assert.equal(run('f=$(mktemp); cat >"$f"; json_top_string data-root "$f"').stdout.trim(), "/srv/ssd/docker-root");
        assert.equal(run('f=$(mktemp); cat >"$f"; json_top_string storage-driver "$f"').stdout.trim(), "overlay2");
        // Only a top-level line counts (two spaces), the first one, the last key without its comma too; an
        // escaped quote in the value is not read as its end; an absent key is empty.
        const crafted = ['{', '  "log-opts": {', '    "data-root": "/nested"', '  },', '  "data-root": "/a b",', '  "data-root": "/second",', '  "odd": "x\\"y",', '  "last": "z"', '}', ''].join("\n");
        const read = (key: string) => spawnSync("bash", ["-c", `source "$1"; f=$(mktemp); cat >"$f"; printf '[%s]' "$(json_top_string ${key} "$f")"; rm -f "$f"`, "x", lib], { input: crafted, encoding: "utf8" }).stdout;
        assert.deepEqual(["data-root", "odd", "last", "absent"].map(read), ["[/a b]", "[]", "[z]", "[]"]);
        // The restart projection drops reloadable keys only.
        const projection = run('f=$(mktemp); cat >"$f"; restart_projection "$f"');
        assert.equal(projection.status, 0);
        assert.ok(!projection.stdout.includes("registry-mirrors"));
        assert.ok(projection.stdout.includes('"max-size": "33m"'));
        // A hand-written, non-canonical file is reported (exit 3) so the apply restarts to be safe.
        const handWritten = spawnSync("bash", ["-c", 'source "$1"; f=$(mktemp); echo \'{"debug": true}\' >"$f"; restart_projection "$f"', "x", lib]);
        assert.equal(handWritten.status, 3);
    });

    it("apply.sh decides the activation by its table: data-root move, drop-ins, daemon.json", () => {
        // decide_action, with the two states it reads stubbed (the table's rows, in order).
        const decide = (rootMoves: string, dropIns: string, json: string) =>
            spawnSync("bash", ["-c", `source <(sed '$d' "$1"); drop_ins_state() { echo ${dropIns}; }; daemon_json_state() { echo ${json}; }; decide_action ${rootMoves}`, "x", join(SCRIPTS, "apply.sh")], { encoding: "utf8" }).stdout.trim();
        for (const dropIns of ["in-force", "edited", "changed"]) for (const json of ["same", "reloadable", "restart"]) assert.equal(decide("yes", dropIns, json), "restart");
        for (const json of ["same", "reloadable", "restart"]) assert.equal(decide("no", "changed", json), "restart");
        assert.equal(decide("no", "in-force", "same"), "none");
        assert.equal(decide("no", "edited", "same"), "reload");
        assert.equal(decide("no", "in-force", "reloadable"), "reload");
        assert.equal(decide("no", "edited", "reloadable"), "reload");
        assert.equal(decide("no", "in-force", "restart"), "restart");
        assert.equal(decide("no", "edited", "restart"), "restart");
    });

    it("dockerd_rejects asks dockerd --validate whenever its help names it, however long the help", () => {
        // dockerd stubbed: --validate on the help's first line, 20,000 more after it, and a refusal. Read
        // through `| grep -q` under pipefail, grep left at the match, the stub died of SIGPIPE and the
        // check was skipped; the refusal must stop the step.
        const res = spawnSync(
            "bash",
            [
                "-c",
                `set -euo pipefail; DH_STEP=t; source "$1/lib.sh"
dockerd() {
  case $1 in
    --help) echo "      --validate    Validate daemon configuration and exit"; for ((i = 0; i < 20000; i++)); do echo "      --option-$i   an option"; done ;;
    --validate) echo "unknown key: bogus"; return 1 ;;
  esac
}
DOCKER_VERSION=24.0.7; if verdict=$(dockerd_rejects /dev/null); then echo "rejected: $verdict"; else echo "not validated"; fi`,
                "x",
                SCRIPTS,
            ],
            { encoding: "utf8" },
        );
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, "rejected: unknown key: bogus\n");
    });

    it("journal_tail waits a little for dockerd's last words, quotes each line once and leaves warnings out", () => {
        // journalctl stubbed: journald has read dockerd's failure only by the third call; the unit's restarts
        // repeat it, and a warning says "unable to" too.
        const res = spawnSync(
            "bash",
            [
                "-c",
                `DH_STEP=t; source "$1"; calls=$(mktemp)
journalctl() {
  echo >>"$calls"
  echo 'time="t" level=warning msg="unable to disable IPv6 router advertisement"'
  if [ "$(wc -l <"$calls")" -ge 3 ]; then
    printf '%s\\n' 'failed to load listeners: listen tcp 0.0.0.0:22: bind: address already in use' 'failed to load listeners: listen tcp 0.0.0.0:22: bind: address already in use'
  fi
  echo 'Starting docker.service - Docker Application Container Engine...'
}
journal_tail '2026-01-01 00:00:00'; echo "calls=$(wc -l <"$calls")"; rm -f "$calls"`,
                "x",
                join(SCRIPTS, "lib.sh"),
            ],
            { encoding: "utf8" },
        );
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, "failed to load listeners: listen tcp 0.0.0.0:22: bind: address already in use\ncalls=3\n");
    });

    it("a transaction's ExecStopPost marks the job done and wakes the session's pause at once", () => {
        // The session side pauses on the job's FIFO (read -t); the unit's ExecStopPost (txn.sh --after) of a
        // step that succeeded ends that pause as it marks the job done, instead of leaving the session to
        // wait out its poll. Without the wake the read below times out.
        const job = mkdtempSync(join(tmpdir(), "dh-txn-"));
        try {
            writeFileSync(join(job, "rc"), "0\n");
            const res = spawnSync(
                "bash",
                ["-c", `mkfifo -m 0600 "$2/pause"; exec 3<>"$2/pause"; bash "$1/txn.sh" --after "$2"; if read -r -t 2 -u 3; then echo woken; else echo "not woken"; fi`, "x", SCRIPTS, job],
                { encoding: "utf8" },
            );
            assert.equal(res.status, 0, res.stderr);
            assert.equal(res.stdout, "woken\n");
            assert.ok(existsSync(join(job, "done")), "the job is marked done");
            // No session reading (lost): it does not wait for one. The FIFO gone (the session removing the
            // job folder): no file of that name is made, which would fail the session's rm -rf.
            for (const prepare of ["", `rm -f "$2/pause"`]) {
                rmSync(join(job, "done"));
                const alone = spawnSync("bash", ["-c", `${prepare}
bash "$1/txn.sh" --after "$2"`, "x", SCRIPTS, job], { encoding: "utf8", timeout: 10_000 });
                assert.equal(alone.status, 0, alone.stderr);
                assert.ok(existsSync(join(job, "done")), "the job is marked done");
            }
            assert.ok(!existsSync(join(job, "pause")), "no file made in the FIFO's place");
        } finally {
            rmSync(job, { recursive: true, force: true });
        }
    });

    it("the transaction journal: a key set again replaces its line, the others stay, values kept whole", () => {
        // lib.sh with its state folder in a temporary directory; everything else as on a host.
        const dir = mkdtempSync(join(tmpdir(), "dh-journal-"));
        try {
            const res = spawnSync(
                "bash",
                [
                    "-c",
                    `DH_STEP=t; source <(sed -e "s#^readonly DH_STATE_DIR=.*#readonly DH_STATE_DIR=$2#" -e "s#^readonly DH_JOURNAL=.*#readonly DH_JOURNAL=$2/transaction#" "$1")
printf '[%s]' "$(journal_get step)"; journal_begin apply; journal_set stopped 'c1 c2'; journal_set from_root '/a b=c'; journal_set stopped c3
printf '[%s]' "$(journal_get step)" "$(journal_get stopped)" "$(journal_get from_root)" "$(journal_get stop)"; echo; cat "$DH_JOURNAL"; ls -A "$DH_STATE_DIR"`,
                    "x",
                    join(SCRIPTS, "lib.sh"),
                    dir,
                ],
                { encoding: "utf8" },
            );
            assert.equal(res.status, 0, res.stderr);
            assert.match(res.stdout, /^\[\]\[apply\]\[c3\]\[\/a b=c\]\[\]\nstep=apply\nsince=\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\nfrom_root=\/a b=c\nstopped=c3\ntransaction\n$/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("reads docker info's fields each in its place, an empty one and spaces included", () => {
        // docker stubbed: the one line read_docker_info's template makes, the storage driver empty.
        const res = spawnSync("bash", ["-c", `DH_STEP=t; source "$1"; docker() { printf '{"x":1}\\x1f20.10.24\\x1f\\x1f/var/lib/my docker\\n'; }
read_docker_info; printf '%s|%s|%s|%s' "$DOCKER_FACTS_JSON" "$DOCKER_VERSION" "$DOCKER_DRIVER" "$DOCKER_ROOT"`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8" });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, '{"x":1}|20.10.24||/var/lib/my docker');
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

    it("copy again in pass 2 a file rewritten to the same size in the second pass 1 copied it", () => {
        const lib = join(SCRIPTS, "lib.sh");
        // Pass 1 copies f (mtime T+0.2 s); the file is then rewritten, same size, mtime T+0.7 s: the same
        // whole second, which rsync's quick check cannot tell apart. SINCE is when pass 1 began, less 1 s,
        // UNTIL when it ended. g, dated an hour ahead (an image's time, not a write during pass 1), stays.
        const passes = (mark: boolean) =>
            spawnSync("bash", ["-c", `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d); mkdir "$d/old" "$d/new"
T=$(($(date +%s) - 100))
printf aaaa >"$d/old/f"; touch -d "@$T.2" "$d/old/f"; echo g >"$d/old/g"; touch -d "@$((T + 3700))" "$d/old/g"
rsync_root "$d/old" "$d/new"
printf bbbb >"$d/old/f"; touch -d "@$T.7" "$d/old/f"
${mark ? 'mark_stale_copies "$d/new" "$((T - 1))" "$((T + 2))"' : ":"}
[ "$(stat -c %Y "$d/new/g")" = "$((T + 3700))" ] || echo -n "g marked, "
rsync_root "$d/old" "$d/new"
cat "$d/new/f"; rm -rf "$d"`, "x", lib], { encoding: "utf8" });
        const unmarked = passes(false);
        assert.equal(unmarked.status, 0, unmarked.stderr);
        assert.equal(unmarked.stdout, "aaaa", "rsync's quick check should miss the rewrite (the hazard this guards against)");
        const marked = passes(true);
        assert.equal(marked.status, 0, marked.stderr);
        assert.equal(marked.stdout, "bbbb");
    });

    it("a copy's progress: the latest update once per interval while the command runs; its stdin, exit code and no file left (nor an older one)", () => {
        // The interval made 1 s (5 s in lib.sh), the updates' file in a directory of the test's own (tmpfs
        // /run on a host), where a killed copy left one: samples at about 1 s and 2 s. The command reads its stdin,
        // writes rsync-like updates (each led by a CR) at 0 s and 1.5 s, the last of each interval the one to
        // report, and fails with rsync's code 23 at 2.5 s, before a third sample.
        const run = spawnSync(
            "bash",
            [
                "-c",
                `set -euo pipefail; DH_STEP=t; dir=$(mktemp -d)
source <(sed -e 's/^readonly DH_COPY_PROGRESS_SECONDS=.*/readonly DH_COPY_PROGRESS_SECONDS=1/' -e "s|^readonly DH_PROGRESS_DIR=.*|readonly DH_PROGRESS_DIR=$dir|" "$1")
echo 'left by a killed copy' >"$dir/docker-host.progress.AbC123"
fake() {
  read -r input; printf 'read %s\\n' "$input" >&2
  printf '\\r      1,048,576  10%%  1.00MB/s  0:00:01 (xfr#1, to-chk=9/10)'; sleep 1.5
  printf '\\r      2,097,152  20%%  1.00MB/s  0:00:02 (xfr#2, to-chk=8/10)\\r      7,340,032  70%%  3.00MB/s  0:00:03 (xfr#7, to-chk=3/10)'; sleep 1
  return 23
}
rc=0; echo abc | with_copy_progress "copy" 10485760 fake || rc=$?
echo "rc=$rc files=$(ls -A "$dir" | wc -l)"; rmdir "$dir"`,
                "x",
                join(SCRIPTS, "lib.sh"),
            ],
            { encoding: "utf8", timeout: 20_000 },
        );
        assert.equal(run.stdout, "rc=23 files=0\n", run.stderr);
        const lines = run.stderr.trimEnd().split("\n");
        assert.equal(lines[0], "read abc");
        assert.match(lines[1] ?? "", /^docker-host\[t\]: copy: 1\.0MB of 10MB \(10 %\), 1\.0MB\/s, about 0 min 9 s left$/);
        assert.match(lines[2] ?? "", /^docker-host\[t\]: copy: 7\.0MB of 10MB \(70 %\), 6\.0MB\/s, about 0 min 0 s left$/);
        assert.equal(lines.length, 3, run.stderr);
    });

    it("the bulk copy writes without -S, then copies sparse files again with their holes; the copy is exact", () => {
        const lib = join(SCRIPTS, "lib.sh");
        // A 64 MiB file with one 4 KiB block of data (find's %S prints 6.10352e-05), a plain file, a hard link
        // to it, a small sparse file.
        const copy = (how: string) =>
            spawnSync("bash", ["-c", `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d); mkdir "$d/old" "$d/new"
truncate -s 64M "$d/old/sparse"; head -c 4096 /dev/urandom | dd of="$d/old/sparse" bs=4096 seek=1000 conv=notrunc status=none
head -c 300000 /dev/urandom >"$d/old/plain"; ln "$d/old/plain" "$d/old/link"; truncate -s 32K "$d/old/small"
${how}
for f in sparse plain small; do cmp "$d/old/$f" "$d/new/$f"; done
[ "$(stat -c %i "$d/new/plain")" = "$(stat -c %i "$d/new/link")" ]
[ -z "$(rsync_root "$d/old" "$d/new" --dry-run --itemize-changes)" ]
echo "$(($(stat -c '%b * %B' "$d/new/sparse")))"; rm -rf "$d"`, "x", lib], { encoding: "utf8" });
        const withoutS = copy('rsync_root "$d/old" "$d/new" --no-sparse');
        assert.equal(withoutS.status, 0, withoutS.stderr);
        assert.ok(Number(withoutS.stdout) >= 64 * 2 ** 20, `rsync without -S should write the holes out (allocated ${withoutS.stdout.trim()} bytes)`);
        const bulk = copy('copy_bulk copy "$d/old" "$d/new" 0 ""');
        assert.equal(bulk.status, 0, bulk.stderr);
        assert.ok(Number(bulk.stdout) < 2 ** 20, `the bulk copy's sparse file has ${bulk.stdout.trim()} bytes allocated`);
        assert.match(bulk.stderr, /copying 1 sparse file\(s\) again, keeping their holes/);
    });

    // A tree as pass 1 left it, then every kind of change made after SINCE (the next whole second): a file
    // rewritten to the same size, removed, created, hard-linked, chmod-ed, given an xattr; a symlink
    // retargeted; a file replaced by a directory and one the other way; directories created, renamed and
    // removed, one named like an option; a symlink to a directory outside the roots replaced by a directory
    // (what new's symlink points to must stay); a name beginning with # (a comment to rsync's list); old's
    // lost+found changed (never copied; new's stays). The changes begin 50 ms into that second: the kernel
    // stamps ctime from a clock a tick coarser than date's (copy_live's SINCE is a second early for that and
    // more). new/keep/big, unchanged in old, gets another time in new only: a pass over the whole tree would
    // copy it, a pass over what changed in old does not.
    const changedTree = (pass: string) =>
        spawnSync("bash", ["-c", `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d); cd "$d"; mkdir -p old/a/b old/c old/keep old/gonedir/x
printf aaaa >old/a/f1; echo 2 >old/a/b/f2; echo 3 >old/c/f3; echo gone >old/a/gone; echo y >old/gonedir/x/y
head -c 100000 /dev/urandom >old/keep/big; echo m >old/keep/mode; echo s >old/swap; ln -s a/f1 old/sym; mkdir -p old/-d/in; echo z >old/-d/in/z
mkdir -p host/etc old/lost+found new/lost+found; echo secret >host/etc/shadow; ln -s "$d/host" old/x; echo h >"old/#c"; echo l >new/lost+found/keep
rsync_root "$d/old" "$d/new"
touch -d @0 new/keep/big
SINCE=$(($(date +%s) + 1)); sleep "$(awk -v s="$SINCE" -v n="$EPOCHREALTIME" 'BEGIN { print s - n + 0.05 }')"
printf bbbb >old/a/f1; rm old/a/gone; mv old/c old/c2; echo new >old/a/newf; mkdir old/a/nd; echo x >old/a/nd/x
ln old/a/b/f2 old/a/f2link; chmod 600 old/keep/mode; rm old/sym; ln -s a/b/f2 old/sym; rm old/swap; mkdir old/swap
echo in >old/swap/in; rm -r old/gonedir; rm -r old/-d/in; echo now-a-file >old/-d/in; rm old/x; mkdir -p old/x/etc
echo mine >old/x/etc/hosts; echo changed >"old/#c"; echo y >old/lost+found/y; python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.t", b"v")' old/a/b/f2
${pass}
[ -z "$(rsync_root "$d/old" "$d/new" --dry-run --itemize-changes)" ] || { echo "not exact:"; rsync_root "$d/old" "$d/new" --dry-run --itemize-changes; }
[ "$(stat -c %i new/a/b/f2)" = "$(stat -c %i new/a/f2link)" ] || echo "hard link lost"
[ ! -e new/.docker-host-migrating ] || echo "marker left"
[ -e host/etc/shadow ] || echo "a file outside the roots removed"
[ ! -e new/lost+found/y ] && [ -e new/lost+found/keep ] || echo "lost+found touched"
diff -rq --no-dereference -x lost+found old new | sed 's|'"$d"'/||g' || true; cd /; rm -rf "$d"`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8" });

    it("pass 2 copies only what changed since pass 1 began, every kind of change, and the copy is exact", () => {
        const res = changedTree('copy_changed "$d/old" "$d/new" "$SINCE" "copy, pass 2"');
        assert.equal(res.status, 0, res.stderr);
        // Exact by rsync's own comparison and by content, with the hard link, but for the one file that did
        // not change in old: pass 2 did not walk into it.
        assert.equal(res.stdout.trim(), "not exact:\n>f..t...... keep/big");
        assert.match(res.stderr, /since pass 1 began: \d+ entries changed .*, 3 removed/);
    });

    it("pass 1 leaves out only the mounts Docker makes for running containers", () => {
        // mountinfo lines: the root itself, a container's overlay view, its /dev/shm and a secret, a disk the
        // operator mounted at volumes (data: copied), a name mountinfo escapes, a mount elsewhere.
        const mountinfo = [
            "29 1 254:1 / /var/lib/docker rw,relatime shared:1 - xfs /dev/vdb rw",
            "30 29 0:40 / /var/lib/docker/overlay2/0a1b/merged rw,relatime - overlay overlay rw,lowerdir=/x",
            "31 29 0:41 / /var/lib/docker/containers/c0ffee/mounts/shm rw,nosuid shared:2 master:1 - tmpfs shm rw,size=65536k",
            "32 29 0:42 / /var/lib/docker/containers/c0ffee/mounts/secrets rw - tmpfs tmpfs rw",
            "33 29 254:2 / /var/lib/docker/volumes rw,relatime shared:3 - ext4 /dev/vdc rw",
            "34 29 0:43 / /var/lib/docker/overlay2/with\\040space/merged rw - overlay overlay rw",
            "35 1 0:44 / /var/lib/docker-other/overlay2/x/merged rw - overlay overlay rw",
        ].join("\n");
        const res = spawnSync("bash", ["-c", `DH_STEP=t; source "$1"; docker_mounts_below /var/lib/docker /dev/stdin`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8", input: `${mountinfo}\n` });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, "overlay2/0a1b/merged\ncontainers/c0ffee/mounts/shm\ncontainers/c0ffee/mounts/secrets\n");
    });

    it("pass 1 leaves out a volume Docker mounted from elsewhere (its opts.json), not a disk mounted at a volume by hand", () => {
        // nfs and bound: local-driver volumes with options (Docker wrote opts.json); byhand: an operator's disk
        // mounted at a volume's _data, no opts.json (data: copied); below: a mount inside a Docker volume mount.
        const res = spawnSync(
            "bash",
            [
                "-c",
                `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d)
for v in nfs bound byhand; do mkdir -p "$d/volumes/$v/_data"; done
echo '{"MountType":"nfs","MountOpts":"addr=10.0.0.1","MountDevice":":/export"}' >"$d/volumes/nfs/opts.json"
echo '{"MountType":"none","MountOpts":"bind","MountDevice":"/srv/x"}' >"$d/volumes/bound/opts.json"
printf '%s\\n' "40 29 0:50 / $d/volumes/nfs/_data rw - nfs4 10.0.0.1:/export rw" \\
  "41 29 254:1 /srv/x $d/volumes/bound/_data rw - ext4 /dev/vda rw" \\
  "42 29 254:3 / $d/volumes/byhand/_data rw - ext4 /dev/vdd rw" \\
  "43 40 0:51 / $d/volumes/nfs/_data/below rw - nfs4 10.0.0.1:/other rw" |
  docker_mounts_below "$d" /dev/stdin
rm -rf "$d"`,
                "x",
                join(SCRIPTS, "lib.sh"),
            ],
            { encoding: "utf8" },
        );
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, "volumes/nfs/_data\nvolumes/bound/_data\n");
    });

    it("pass 1 leaves out what a managed plugin mounted in its propagated mount, not the propagated mount's own files", () => {
        // As an Engine 20.10 sandbox host lists a volume plugin's tmpfs volume: the propagated mount bound onto
        // itself (same filesystem: the plugin's own files, copied), the volume below it twice (mount
        // propagation stacks a second mount on the same path); older Engines (moby's plugin manager of
        // 2017–18) also bind the propagated mount into the plugin's rootfs, itself a directory, not a mount.
        const id = "8a68ef37c9a9a240cb366879932782eaf21f201d74fe2315b23fe9059493853a";
        const mountinfo = [
            `231 107 7:0 /var/lib/docker/plugins/${id}/propagated-mount /var/lib/docker/plugins/${id}/propagated-mount rw,relatime shared:3 - ext4 /dev/loop0 rw`,
            `272 107 0:67 / /var/lib/docker/plugins/${id}/propagated-mount/remote1 rw,relatime shared:86 - tmpfs tmpfs rw,size=65536k`,
            `273 231 0:67 / /var/lib/docker/plugins/${id}/propagated-mount/remote1 rw,relatime shared:86 - tmpfs tmpfs rw,size=65536k`,
            `274 107 0:68 / /var/lib/docker/plugins/${id}/rootfs/mnt/volumes rw,relatime shared:3 - ext4 /dev/loop0 rw`,
            `275 107 0:69 / /var/lib/docker/plugins-elsewhere/${id}/propagated-mount/x rw - tmpfs tmpfs rw`,
        ].join("\n");
        const res = spawnSync("bash", ["-c", `DH_STEP=t; source "$1"; docker_mounts_below /var/lib/docker /dev/stdin`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8", input: `${mountinfo}\n` });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, `plugins/${id}/propagated-mount/remote1\nplugins/${id}/rootfs/mnt/volumes\n`);
    });

    it("pass 2 copies a changed file whose name begins with # (rsync reads such a line of its list as a comment)", () => {
        // Written in place: the root's own time stays, so the root is not listed with it.
        const res = spawnSync("bash", ["-c", `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d); mkdir "$d/old"
echo before >"$d/old/#c"; rsync_root "$d/old" "$d/new"
SINCE=$(($(date +%s) + 1)); sleep "$(awk -v s="$SINCE" -v n="$EPOCHREALTIME" 'BEGIN { print s - n + 0.05 }')"
echo after >>"$d/old/#c"; copy_changed "$d/old" "$d/new" "$SINCE" "copy, pass 2"; cat "$d/new/#c"; rm -rf "$d"`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8" });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, "before\nafter\n");
    });

    it("the stopped pass's check copies what the pass before missed, then finds nothing", () => {
        // SINCE an hour ahead: copy_changed finds nothing, and the check over the whole trees copies it all.
        // A second later than the changes: removing the marker must not leave the new root a time of its own.
        const res = changedTree('sleep 1; copy_root "$d/old" "$d/new" copy "$((SINCE + 3600))"');
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout.trim(), "");
        assert.match(res.stderr, /since pass 1 began: 0 entries changed .*, 0 removed/);
        assert.match(res.stderr, /the check copied what the pass before missed \(\d+ entries\)/);
        // Without the check's copy, the same pass leaves the tree inexact (the hazard the check guards).
        const unchecked = changedTree('copy_changed "$d/old" "$d/new" "$((SINCE + 3600))" "copy, pass 2"');
        assert.match(unchecked.stdout, /^not exact:\n[^]*a\/f1/);
    });

    it("starts the stopped containers together, and those that failed once the others run", () => {
        // docker stubbed: each start waits (up to 3 s) until five have begun, so only starts made at once
        // log "together"; "dep" joins base's network and fails while base does not run yet. The journal
        // lists the newest first, as docker ps does.
        const res = spawnSync("bash", ["-c", `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d)
journal_get() { if [ "$1" = stopped ]; then echo "dep c3 c2 c1 base"; fi; }
docker() {
  local id=$2 ok=1 k
  [ "$id" != dep ] || [ -e "$d/running-base" ] || ok=0
  echo "begin $id" >>"$d/log"
  for ((k = 0; k < 300; k++)); do [ "$(grep -c ^begin "$d/log")" -lt 5 ] || break; sleep 0.01; done
  if ((k < 300)); then echo "together $id" >>"$d/log"; fi
  ((ok)) || return 1
  touch "$d/running-$id"
}
start_stopped_containers
ls "$d" | grep ^running- | sort | tr '\\n' ' '; echo; sort "$d/log" | uniq -c | tr -s ' ' | tr '\\n' ','; rm -rf "$d"`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8" });
        assert.equal(res.status, 0, res.stderr);
        const [running, log] = res.stdout.split("\n");
        assert.equal(running, "running-base running-c1 running-c2 running-c3 running-dep ");
        assert.equal(log, " 1 begin base, 1 begin c1, 1 begin c2, 1 begin c3, 2 begin dep, 1 together base, 1 together c1, 1 together c2, 1 together c3, 2 together dep,");
        assert.doesNotMatch(res.stderr, /warning/);
    });

    it("disables the enabled plugins for the stopped pass, and enables them again before the containers start", () => {
        // docker, systemctl and the journal stubbed; each call is logged. A root without a plugin installed
        // asks nothing of them; plugin p2 does not come back and is reported.
        const run = (withPlugin: boolean, refuses = "", beforeStart = "") =>
            spawnSync("bash", ["-c", `set -euo pipefail; DH_STEP=t; source "$1"; d=$(mktemp -d); mkdir -p "$d/root/plugins/tmp"
${withPlugin ? 'mkdir -p "$d/root/plugins/p1/rootfs"' : ""}
declare -A journal=()
journal_set() { journal[$1]=$2; echo "journal $1=$2" >>"$d/log"; }
journal_get() { echo "\${journal[$1]:-}"; }
systemctl() { echo "systemctl $*" >>"$d/log"; }
docker() {
  echo "docker $*" >>"$d/log"
  case "$*" in
    "ps -q --no-trunc") echo c1 ;;
    "plugin ls --no-trunc --filter enabled=true --format {{.ID}}") printf '%s\\n' p1 p2 ;;
    "plugin disable --force ${refuses}") return 1 ;;
    "plugin enable p2") return 1 ;;
    "plugin inspect -f {{.Enabled}} p2") echo false ;;
  esac
}
trap 'cat "$d/log"; rm -rf "$d"' EXIT
stop_docker_for_copy "$d/root"; echo "-- switch" >>"$d/log"; ${beforeStart} start_stopped_containers`, "x", join(SCRIPTS, "lib.sh")], { encoding: "utf8" });
        const res = run(true);
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(res.stdout.trim().split("\n"), [
            "docker ps -q --no-trunc",
            "journal stopped=c1",
            "docker stop c1",
            "docker plugin ls --no-trunc --filter enabled=true --format {{.ID}}",
            "journal plugins=p1 p2",
            "journal disabling=p1",
            "docker plugin disable --force p1",
            "journal disabling=p2",
            "docker plugin disable --force p2",
            "journal disabling=",
            "journal docker=stopped",
            "systemctl stop docker.socket docker.service",
            "-- switch",
            "docker plugin enable p1",
            "docker plugin enable p2",
            "docker plugin inspect -f {{.Enabled}} p2",
            "docker start c1",
        ]);
        assert.match(res.stderr, /warning: could not enable plugin p2 again/);
        assert.doesNotMatch(res.stderr, /plugin p1/);
        const none = run(false);
        assert.equal(none.status, 0, none.stderr);
        assert.doesNotMatch(none.stdout, /docker plugin/);
        assert.match(none.stdout, /journal plugins=\n/);
        // A plugin that cannot be disabled stops the move before Docker stops; the journal names every
        // plugin, so the transaction's recovery enables each again.
        const refused = run(true, "p2");
        assert.equal(refused.status, 1);
        assert.match(refused.stderr, /could not disable plugin p2 for the copy's last pass/);
        assert.match(refused.stdout, /journal plugins=p1 p2\n/);
        assert.match(refused.stdout, /journal disabling=p2\n(?!journal disabling=)/);
        assert.doesNotMatch(refused.stdout, /systemctl stop/);
        // Recovering a transaction killed while dockerd disabled p1: p1 is disabled again (which returns once
        // that disable is done) before it is enabled; the other plugins are only enabled.
        const killed = run(true, "", "journal_set disabling p1;");
        assert.equal(killed.status, 0, killed.stderr);
        assert.deepEqual(killed.stdout.trim().split("\n").slice(-6), [
            "journal disabling=p1",
            "docker plugin disable --force p1",
            "docker plugin enable p1",
            "docker plugin enable p2",
            "docker plugin inspect -f {{.Enabled}} p2",
            "docker start c1",
        ]);
        assert.match(killed.stderr, /interrupted while plugin p1 was being disabled/);
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
