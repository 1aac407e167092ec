// Scenarios 4, 5 and 6: a TCP listener (and the -H fd:// conflict), restart- vs reload-class changes with
// live-restore, and a setting dockerd rejects at start rolled back with the journal's words.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DockerHostConfigError } from "../../components/dockerHost/validate";
import { apply, applySteps, configFor, DOCKERD_VALIDATES, dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, SandboxHost, sh, TEST_ENGINE, upHost } from "./harness";

const NAME = "t-daemon";
const LOCAL = "unix:///var/run/docker.sock";

describe("daemon settings on a live host", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    let containerPid: string;
    before(() => {
        host = upHost(NAME, "--no-disk");
        sh(host, "docker import /usr/local/share/docker-host-sandbox/busybox.tar sandbox/busybox:latest >/dev/null");
    });
    after(() => downHost(NAME));

    it("serves tcp://127.0.0.1:2375 next to the unix socket: the drop-in removes -H from ExecStart", () => {
        const result = apply(host, configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"] } }));
        const dropIn = sh(host, "cat /etc/systemd/system/docker.service.d/10-docker-host.conf");
        assert.match(dropIn, /^ExecStart=$/m);
        assert.match(dropIn, /^ExecStart=\/usr\/sbin\/dockerd --containerd=\/run\/containerd\/containerd.sock \$DOCKER_OPTS$/m);
        assert.equal(result.dropIns["10-docker-host.conf"], dropIn.trimEnd());
        assert.equal(sh(host, "docker -H tcp://127.0.0.1:2375 info --format '{{.Driver}}'").trim(), "overlay2");
        assert.equal(sh(host, "docker -H unix:///var/run/docker.sock info --format '{{.Driver}}'").trim(), "overlay2");
    });

    it("refuses tcp://0.0.0.0:2375 without TLS before any remote command", () => {
        const daemonJson = remoteSha(host, "/etc/docker/daemon.json");
        assert.throws(
            () => configFor(host, { daemon: { hosts: [LOCAL, "tcp://0.0.0.0:2375"] } }),
            (err: unknown) => err instanceof DockerHostConfigError && /hosts\[1\]: "tcp:\/\/0\.0\.0\.0:2375" exposes the Docker API off loopback without TLS/.test(err.message),
        );
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), daemonJson);
    });

    it("restarts dockerd for a log option, and live-restore keeps the container's PID", () => {
        sh(host, "docker run -d --name keeper --restart unless-stopped sandbox/busybox:latest sleep 2147483647 >/dev/null");
        containerPid = sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim();
        const dockerd = dockerdIdentity(host);
        const result = apply(host, configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: "20m" } }));
        assert.equal(result.action, "restart");
        assert.notEqual(dockerdIdentity(host), dockerd);
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), containerPid);
    });

    it("reloads (SIGHUP) for registry-mirrors: dockerd keeps its PID", () => {
        const dockerd = dockerdIdentity(host);
        const result = apply(
            host,
            configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: "20m", registryMirrors: ["https://mirror.example.com"] } }),
        );
        assert.equal(result.action, "reload");
        assert.equal(dockerdIdentity(host), dockerd);
        assert.match(sh(host, "docker info --format '{{json .RegistryConfig.Mirrors}}'"), /mirror\.example\.com/);
        // The result's facts are dockerd's after the reload: live-restore off and on again, each a reload.
        const daemon = { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: "20m", registryMirrors: ["https://mirror.example.com"] };
        for (const liveRestore of [false, true]) {
            const toggled = apply(host, configFor(host, { daemon: { ...daemon, liveRestore } }));
            assert.equal(toggled.action, "reload");
            assert.equal(toggled.facts.liveRestore, liveRestore);
            assert.equal(sh(host, "docker info --format '{{.LiveRestoreEnabled}}'").trim(), String(liveRestore));
        }
        assert.equal(dockerdIdentity(host), dockerd);
    });

    it("refuses or rolls back a log level dockerd does not know; the container keeps running", () => {
        const previous = sh(host, "cat /etc/docker/daemon.json");
        const dockerd = dockerdIdentity(host);
        const { runs } = applySteps(host, configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: "20m", extra: { "log-level": "verbose" } } }));
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1);
        if (DOCKERD_VALIDATES) {
            // dockerd --validate says no before anything changes: dockerd was never restarted.
            assert.match(applyRun.stderr, /dockerd rejects the new daemon\.json: .*invalid logging level: verbose/);
            assert.equal(dockerdIdentity(host), dockerd);
        } else {
            assert.match(applyRun.stderr, /The previous daemon.json and drop-in were restored and Docker is running again\. dockerd said:\n.*verbose/);
        }
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), previous);
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), containerPid);
    });

    // A default runtime that does not exist passes `dockerd --validate` (Engines 26 and 28) and our own checks (a string); dockerd
    // refuses it on a reload and fails to start on it, on every Engine.
    const BASE = { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: "20m" };
    const NO_RUNTIME = { "default-runtime": "nope" };

    it("puts back a reload dockerd refuses without restarting it; the error quotes dockerd once", () => {
        const previous = sh(host, "cat /etc/docker/daemon.json");
        const dockerd = dockerdIdentity(host);
        const { runs } = applySteps(host, configFor(host, { daemon: { ...BASE, extra: NO_RUNTIME } }));
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1, applyRun.stderr);
        assert.match(applyRun.stderr, /action: reload/);
        assert.match(applyRun.stderr, /dockerd refused to reload the new configuration, so it runs on its previous configuration: the previous daemon\.json was put back and read again, without a restart\. dockerd said:\n/);
        assert.equal(applyRun.stderr.match(/specified default runtime 'nope' does not exist/g)?.length, 1, applyRun.stderr);
        assert.equal(dockerdIdentity(host), dockerd);
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), previous);
        assert.equal(sh(host, "docker info --format '{{.DefaultRuntime}}'").trim(), "runc");
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), containerPid);
    });

    it("rolls back a restart dockerd fails to start on; the container keeps running; the error quotes the journal once, without warnings", () => {
        const previous = sh(host, "cat /etc/docker/daemon.json");
        const { runs } = applySteps(host, configFor(host, { daemon: { ...BASE, logMaxSize: "30m", extra: NO_RUNTIME } }));
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1, applyRun.stderr);
        assert.match(applyRun.stderr, /action: restart/);
        assert.match(applyRun.stderr, /The previous daemon.json and drop-in were restored and Docker is running again\. dockerd said:\n/);
        assert.equal(applyRun.stderr.match(/specified default runtime 'nope' does not exist/g)?.length, 1, applyRun.stderr);
        assert.doesNotMatch(applyRun.stderr, /level=(warning|info)/);
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), previous);
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), containerPid);
    });

    it("judges a reload under a log level that hides dockerd's info lines: taken after the settle time, refused at once", () => {
        const quiet = { ...BASE, extra: { "log-level": "warn" } };
        assert.equal(apply(host, configFor(host, { daemon: quiet })).action, "restart");
        const dockerd = dockerdIdentity(host);
        const taken = apply(host, configFor(host, { daemon: { ...quiet, registryMirrors: ["https://mirror.example.com"] } }));
        assert.equal(taken.action, "reload");
        assert.match(sh(host, "docker info --format '{{json .RegistryConfig.Mirrors}}'"), /mirror\.example\.com/);
        const previous = sh(host, "cat /etc/docker/daemon.json");
        const { runs } = applySteps(host, configFor(host, { daemon: { ...quiet, registryMirrors: ["https://mirror.example.com"], extra: { ...quiet.extra, ...NO_RUNTIME } } }));
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1, applyRun.stderr);
        assert.match(applyRun.stderr, /dockerd refused to reload the new configuration, so it runs on its previous configuration/);
        assert.equal(dockerdIdentity(host), dockerd);
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), previous);
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), containerPid);
    });

    it(
        "judges a reload when dockerd logs JSON (log-format, Engine 25 on)",
        { skip: Number(TEST_ENGINE.split(".")[0]) < 25 ? `log-format needs Engine 25; this run's hosts run ${TEST_ENGINE}` : false },
        () => {
            const json = { ...BASE, extra: { "log-format": "json" } };
            assert.equal(apply(host, configFor(host, { daemon: json })).action, "restart");
            assert.match(sh(host, "journalctl -u docker.service -n 20 -o cat"), /^\{"level":"info"/m);
            const dockerd = dockerdIdentity(host);
            const previous = sh(host, "cat /etc/docker/daemon.json");
            const { runs } = applySteps(host, configFor(host, { daemon: { ...json, extra: { ...json.extra, ...NO_RUNTIME } } }));
            const applyRun = runs.find((r) => r.step.name === "apply")!;
            assert.equal(applyRun.status, 1, applyRun.stderr);
            assert.match(applyRun.stderr, /dockerd refused to reload the new configuration, so it runs on its previous configuration[^]*specified default runtime 'nope' does not exist/);
            assert.equal(sh(host, "cat /etc/docker/daemon.json"), previous);
            assert.equal(apply(host, configFor(host, { daemon: { ...json, registryMirrors: ["https://mirror.example.com"] } })).action, "reload");
            assert.equal(dockerdIdentity(host), dockerd);
            assert.match(sh(host, "docker info --format '{{json .RegistryConfig.Mirrors}}'"), /mirror\.example\.com/);
        },
    );

    it("survives more restarts in a row than the unit's StartLimitBurst", () => {
        for (const size of ["21m", "22m", "23m", "24m"]) {
            const result = apply(host, configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: size } }));
            assert.equal(result.action, "restart");
        }
        assert.equal(sh(host, "systemctl is-active docker.service").trim(), "active");
    });
});
