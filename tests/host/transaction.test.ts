// Scripts that run as root, the host lock and detached transactions, on one sandbox host: a world-writable
// upload still installs root-owned scripts and a tampered one is refused; a step waits for the host lock and
// fails naming its holder; two concurrent applies end in one complete configuration; a step returns only
// when its transaction unit is done and leaves no job behind; a killed transaction
// unit is rolled back with Docker up, also while dockerd disables a plugin; a killed SSH session does not stop
// the transaction.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { DockerHostConfig } from "../../components/dockerHost/args";
import { HOST_INSTALL_DIR, remoteUploadParent, SCRIPTS_DIR, scriptsDigest } from "../../components/dockerHost/remoteCommand";
import {
    apply,
    configFor,
    hostSteps,
    dockerdIdentity,
    downHost,
    hostTestsSkipReason,
    installVolumePlugin,
    remoteSha,
    SandboxHost,
    sh,
    ssh,
    sshAsync,
    upHost,
    uploadScripts,
    VOLUME_PLUGIN,
    waitFor,
    waitForTransactions,
} from "./harness";

const NAME = "t-txn";
const INSTALLED = `${HOST_INSTALL_DIR}/${scriptsDigest()}`;
const UPLOAD = `/root/${remoteUploadParent()}/scripts`;

function stepOf(config: DockerHostConfig, name: string) {
    const step = hostSteps(config).find((s) => s.name === name);
    assert.ok(step, `no ${name} step`);
    return step;
}

describe("scripts, the host lock and detached transactions", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    let originalDaemonJson: string;
    before(() => {
        host = upHost(NAME, "--state", "docker-data");
        originalDaemonJson = remoteSha(host, "/etc/docker/daemon.json");
    });
    after(() => downHost(NAME));

    it("installs root-owned scripts from a world-writable upload", () => {
        uploadScripts(host, "root");
        sh(host, `chmod -R a+w /root/.docker-host`);
        const gate = ssh(host, stepOf(configFor(host), "gate").create, { input: stepOf(configFor(host), "gate").stdin });
        assert.equal(gate.status, 0, gate.stderr);
        assert.equal(sh(host, `stat -c '%U:%G %a' ${INSTALLED}`).trim(), "root:root 755");
        assert.deepEqual(new Set(sh(host, `stat -c '%U:%G %a' ${INSTALLED}/*`).trim().split("\n")), new Set(["root:root 644"]));
        assert.equal(remoteSha(host, `${INSTALLED}/apply.sh`), remoteSha(host, `${UPLOAD}/apply.sh`));
    });

    it("refuses an upload changed after the fact, and runs nothing from it", () => {
        sh(host, `rm -rf ${HOST_INSTALL_DIR} && echo 'touch /pwned' >>${UPLOAD}/gate.sh`);
        const gate = stepOf(configFor(host), "gate");
        const res = ssh(host, gate.create, { input: gate.stdin });
        assert.equal(res.status, 1);
        assert.match(res.stderr, /do not match the digest in the command .*refusing to run them as root/);
        assert.equal(sh(host, `ls -A ${HOST_INSTALL_DIR}`).trim(), "");
        // run.sh itself is checked by the command, before it runs at all.
        uploadScripts(host, "root");
        sh(host, `echo 'touch /pwned' >>${UPLOAD}/run.sh`);
        const res2 = ssh(host, gate.create, { input: gate.stdin });
        assert.equal(res2.status, 1);
        assert.match(res2.stderr, /run\.sh on .* differs from the uploaded version; refusing to run it/);
        assert.equal(sh(host, "test -e /pwned && echo pwned || echo clean").trim(), "clean");
        uploadScripts(host, "root");
    });

    it("installs an installed copy again when it was changed", () => {
        const gate = stepOf(configFor(host), "gate");
        assert.equal(ssh(host, gate.create, { input: gate.stdin }).status, 0);
        sh(host, `echo 'touch /pwned' >>${INSTALLED}/gate.sh`);
        const res = ssh(host, gate.create, { input: gate.stdin });
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /changed after it was installed\); installing it again/);
        assert.equal(sh(host, `sha256sum <${INSTALLED}/gate.sh`).split(" ")[0], sha(readFileSync(join(SCRIPTS_DIR, "gate.sh"))));
        assert.equal(sh(host, "test -e /pwned && echo pwned || echo clean").trim(), "clean");
    });

    it("waits for the host lock, then fails naming who holds it; nothing changed", () => {
        sh(host, "systemd-run --unit=test-lock-holder flock /run/docker-host.lock sh -c 'echo \"stack other.prod.web-1, step apply, since earlier (unit none)\" >/run/docker-host.lock.holder; sleep 31337'");
        const before_ = dockerdIdentity(host);
        const step = stepOf(configFor(host, { daemon: { logMaxSize: "11m" }, lockTimeoutSeconds: 2 }), "apply");
        const started = Date.now();
        const res = ssh(host, step.create, { input: step.stdin });
        assert.equal(res.status, 1);
        assert.ok(Date.now() - started >= 2000);
        assert.match(res.stderr, /another docker-host run holds this host's lock: stack other\.prod\.web-1, step apply, since earlier .*Waited 2s; this run changed nothing/);
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), originalDaemonJson);
        assert.equal(dockerdIdentity(host), before_);
        sh(host, "systemctl stop test-lock-holder");
    });

    it("runs two concurrent applies one after the other: one complete configuration, the original backed up", async () => {
        const a = stepOf(configFor(host, { daemon: { logMaxSize: "11m" } }), "apply");
        const b = stepOf(configFor(host, { daemon: { logMaxSize: "12m" } }), "apply");
        const runs = await Promise.all([sshAsync(host, a.create, { input: a.stdin }).done, sshAsync(host, b.create, { input: b.stdin }).done]);
        runs.forEach((r) => assert.equal(r.status, 0, r.stderr));
        assert.ok(runs.some((r) => /waiting up to \d+s for the host lock/.test(r.stderr)), "neither run waited for the other");
        const final = remoteSha(host, "/etc/docker/daemon.json");
        assert.ok([sha(a.stdin), sha(b.stdin)].includes(final));
        const backup = sh(host, "ls /var/lib/docker-host/backup").split("\n");
        if (originalDaemonJson === "absent") assert.ok(backup.includes("daemon.json.orig-absent"));
        else assert.equal(remoteSha(host, "/var/lib/docker-host/backup/daemon.json.orig"), originalDaemonJson);
        assert.equal(sh(host, "docker info --format '{{.LoggingDriver}}'").trim(), "json-file");
    });

    it("returns once the transaction's unit is done, ExecStopPost included: its lines relayed, no job left behind", () => {
        const ok = stepOf(configFor(host, { daemon: { logMaxSize: "13m" } }), "apply");
        // A daemon.json the renderer never writes: refused before any change, so the unit's ExecStopPost runs
        // its recovery (nothing to recover) before the session may remove the job.
        const refused = { ...ok, stdin: '{"log-driver":"json-file"}\n' };
        for (const [step, status, line] of [[ok, 0, /docker-host\[apply\]: action: /], [refused, 1, /not in the canonical form daemonJson\.ts renders/]] as const) {
            const run = ssh(host, step.create, { input: step.stdin });
            assert.equal(run.status, status, run.stderr);
            assert.match(run.stderr, line);
            assert.equal(sh(host, "ls -A /var/lib/docker-host/jobs").trim(), "", "a job folder was left behind");
        }
        assert.equal(sh(host, "docker info --format '{{.LoggingDriver}}'").trim(), "json-file");
    });

    it("rolls back a transaction whose unit is killed mid-copy: Docker up on the old root, the partial copy gone", async () => {
        sh(host, "docker volume create bulk >/dev/null && docker run --rm -v bulk:/d sandbox/busybox:latest sh -c 'head -c 400000000 /dev/urandom >/d/bulk.bin'");
        const config = configFor(host, { dataDisk: { device: "/dev/vdb" } });
        for (const name of ["gate", "data-disk"]) {
            const step = stepOf(config, name);
            const res = ssh(host, step.create, { input: step.stdin });
            assert.equal(res.status, 0, res.stderr);
        }
        const step = stepOf(config, "apply");
        const run = sshAsync(host, step.create, { input: step.stdin });
        await waitFor("the copy to start", () => /copying \/var\/lib\/docker to \/data\/docker/.test(run.stderr()));
        sh(host, "systemctl kill --signal=KILL 'docker-host-txn-apply-*'");
        const res = await run.done;
        assert.equal(res.status, 1);
        assert.match(res.stderr, /ended without finishing/);
        waitForTransactions(host);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
        assert.equal(sh(host, "ls -A /data/docker 2>/dev/null || true").trim(), "");
        assert.equal(sh(host, "test -e /var/lib/docker-host/transaction && echo left || echo clean").trim(), "clean");
    });

    it("finishes a transaction whose SSH session is killed while containers stop: data moved, Docker up", async () => {
        sh(host, "docker run -d --name slowstop --stop-timeout 6 sandbox/busybox:latest sleep 2147483647 >/dev/null");
        const bulk = sh(host, "sha256sum /var/lib/docker/volumes/bulk/_data/bulk.bin | cut -d' ' -f1").trim();
        const config = configFor(host, { dataDisk: { device: "/dev/vdb" } });
        const step = stepOf(config, "apply");
        const run = sshAsync(host, step.create, { input: step.stdin });
        await waitFor("containers to be stopped", () => /stopping \d+ running container/.test(run.stderr()));
        run.child.kill("SIGKILL");
        await run.done;
        waitForTransactions(host);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
        assert.equal(sh(host, "sha256sum /data/docker/volumes/bulk/_data/bulk.bin | cut -d' ' -f1").trim(), bulk);
        for (const c of ["keeper", "slowstop"]) assert.equal(sh(host, `docker inspect -f '{{.State.Running}}' ${c}`).trim(), "true");
        // The next up converges: nothing left to do.
        const result = apply(host, config);
        assert.equal(result.action, "none");
        assert.equal(result.facts.dockerRootDir, "/data/docker");
    });

    it("runs another stack's destroy after a copy in progress: the original configuration back, with the data", async () => {
        const bulk = sh(host, "sha256sum /data/docker/volumes/bulk/_data/bulk.bin | cut -d' ' -f1").trim();
        const moving = stepOf(configFor(host, { dataDisk: { device: "/dev/vdb" }, daemon: { dataRoot: "/data/docker-a" } }), "apply");
        const destroying = stepOf(configFor(host, { daemon: { logMaxSize: "12m" } }), "apply");
        const move = sshAsync(host, moving.create, { input: moving.stdin });
        await waitFor("the copy to start", () => /copying \/data\/docker to \/data\/docker-a/.test(move.stderr()));
        const destroy = sshAsync(host, destroying.delete!, { input: "" });
        const [moved, destroyed] = await Promise.all([move.done, destroy.done]);
        assert.equal(moved.status, 0, moved.stderr);
        assert.equal(destroyed.status, 0, destroyed.stderr);
        assert.match(destroyed.stderr, /waiting up to \d+s for the host lock, held by unknown, step apply, since /);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
        assert.equal(sh(host, "sha256sum /var/lib/docker/volumes/bulk/_data/bulk.bin | cut -d' ' -f1").trim(), bulk);
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), originalDaemonJson);
        for (const c of ["keeper", "slowstop"]) assert.equal(sh(host, `docker inspect -f '{{.State.Running}}' ${c}`).trim(), "true");
    });

    it("recovers a transaction killed while dockerd disables a plugin: the plugin enabled again once that disable ends, its container running", async () => {
        // The plugin keeps serving 5 s after SIGTERM, so dockerd's disable outlives the killed transaction.
        const exitDelayMs = 5000;
        const id = installVolumePlugin(host, exitDelayMs / 1000);
        sh(host, `docker volume create -d ${VOLUME_PLUGIN} remote >/dev/null && docker run -d --name plugged -v remote:/r sandbox/busybox:latest sleep 2147483647 >/dev/null`);
        const step = stepOf(configFor(host, { dataDisk: { device: "/dev/vdb" } }), "apply");
        const run = sshAsync(host, step.create, { input: step.stdin });
        await waitFor("the plugins to be disabled", () => /disabling 1 plugin/.test(run.stderr()));
        const mark = `/var/lib/docker/plugins/${id}/propagated-mount/stopping`;
        await waitFor("dockerd to stop the plugin", () => sh(host, `test -e ${mark} && echo yes || echo no`).trim() === "yes");
        const signalledAt = Date.now();
        sh(host, "systemctl kill --signal=KILL 'docker-host-txn-apply-*'");
        const res = await run.done;
        assert.equal(res.status, 1);
        waitForTransactions(host);
        // Past the moment the interrupted disable ends (the plugin exits), with a margin.
        await sleep(Math.max(0, signalledAt + exitDelayMs + 2000 - Date.now()));
        assert.match(res.stderr, new RegExp(`interrupted while plugin ${id} was being disabled`));
        assert.equal(sh(host, `docker plugin inspect -f '{{.Enabled}}' ${VOLUME_PLUGIN}`).trim(), "true");
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
        for (const c of ["keeper", "slowstop", "plugged"]) assert.equal(sh(host, `docker inspect -f '{{.State.Running}}' ${c}`).trim(), "true");
        // The plugin serves its volume: to the container, and to a new one.
        assert.equal(sh(host, "docker exec plugged stat -c %s /r/remote-data").trim(), String(8 << 20));
        assert.equal(sh(host, "docker run --rm -v remote:/r sandbox/busybox:latest stat -c %s /r/remote-data").trim(), String(8 << 20));
        assert.equal(sh(host, "test -e /var/lib/docker-host/transaction && echo left || echo clean").trim(), "clean");
    });
});

function sha(data: string | Buffer): string {
    return createHash("sha256").update(data).digest("hex");
}
