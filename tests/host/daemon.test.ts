// Scenarios 4, 5 and 6: a TCP listener (and the -H fd:// conflict), restart- vs reload-class changes with
// live-restore, and a setting dockerd rejects at start rolled back with the journal's words.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DockerHostConfigError } from "../../components/dockerHost/validate";
import { apply, applySteps, configFor, dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, SandboxHost, sh, upHost } from "./harness";

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
    });

    it("rolls back a setting dockerd rejects at start; the container keeps running; the error quotes the journal", () => {
        const previous = sh(host, "cat /etc/docker/daemon.json");
        const { runs } = applySteps(host, configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: "20m", extra: { "log-level": "verbose" } } }));
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1);
        assert.match(applyRun.stderr, /The previous daemon.json and drop-in were restored and Docker is running again\. dockerd said:\n/);
        assert.match(applyRun.stderr, /verbose/);
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), previous);
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), containerPid);
    });

    it("survives more restarts in a row than the unit's StartLimitBurst", () => {
        for (const size of ["21m", "22m", "23m", "24m"]) {
            const result = apply(host, configFor(host, { daemon: { hosts: [LOCAL, "tcp://127.0.0.1:2375"], logMaxSize: size } }));
            assert.equal(result.action, "restart");
        }
        assert.equal(sh(host, "systemctl is-active docker.service").trim(), "active");
    });
});
