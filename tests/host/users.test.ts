// Scenario 11: a non-root user with passwordless sudo works; one without sudo gets a clear error and
// nothing changes on the host.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { readLiveState } from "../../components/dockerHost/drift";
import { apply, applySteps, configFor, DOCKERD_VALIDATES, dockerdIdentity, downHost, hostSteps, hostTestsSkipReason, remoteSha, remoteTreeSha, SandboxHost, sh, ssh, upHost } from "./harness";

const NAME = "t-users";

describe("non-root SSH users", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost(NAME, "--no-disk");
    });
    after(() => downHost(NAME));

    it("a user without sudo rights gets a clear error and nothing changes", () => {
        const before = { daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system") };
        const { runs } = applySteps(host, configFor(host, { daemon: { debug: true } }, "guest"));
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.match(runs[0]!.stderr, /^docker-host on \S+: user guest cannot run sudo without a password\. Fix: grant it passwordless sudo \(NOPASSWD\) or connect as root\.$/m);
        assert.deepEqual({ daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system") }, before);
    });

    it("a user with passwordless sudo configures the host through sudo -n", () => {
        const result = apply(host, configFor(host, { daemon: { debug: true } }, "deploy"));
        assert.equal(result.facts.storageDriver, "overlay2");
        assert.match(sh(host, "cat /etc/docker/daemon.json"), /"debug": true/);
        assert.equal(sh(host, "stat -c %U /etc/docker/daemon.json").trim(), "root");
    });

    it("the drift probe, as that user without sudo, reads what the apply recorded", async () => {
        const config = configFor(host, { daemon: { debug: true } }, "deploy");
        apply(host, config);
        const live = await readLiveState(config.connection);
        assert.equal(live.appliedDaemonJson, sh(host, "cat /etc/docker/daemon.json"));
        assert.equal(live.daemonJson, live.appliedDaemonJson);
    });

    it("destroy never leaves Docker down: an original daemon.json that no longer starts is not kept in force", () => {
        const config = configFor(host, { daemon: { debug: true } }, "deploy");
        const ours = sh(host, "cat /etc/docker/daemon.json");
        // Simulate an original configuration that dockerd refuses today.
        sh(host, `printf '{"log-level": "verbose"}\n' > /var/lib/docker-host/backup/daemon.json.orig && rm -f /var/lib/docker-host/backup/daemon.json.orig-absent`);
        const step = hostSteps(config).find((s) => s.name === "apply")!;
        const dockerd = dockerdIdentity(host);
        const res = ssh(host, step.delete!, { user: "deploy" });
        assert.equal(res.status, 1);
        if (DOCKERD_VALIDATES) {
            // dockerd --validate refuses the original before anything changes: Docker never stopped.
            assert.match(res.stderr, /dockerd rejects the host's original daemon\.json, which destroy would put back, so nothing was changed/);
            assert.match(res.stderr, /Fix: correct the original in \/var\/lib\/docker-host\/backup\/daemon\.json\.orig and run destroy again/);
            assert.equal(dockerdIdentity(host), dockerd);
        } else {
            assert.match(res.stderr, /Docker did not start on the host's original daemon\.json, so docker-host's configuration was put back and Docker runs on it/);
        }
        // dockerd's words, once (the unit restarts dockerd; each attempt logs the same line).
        assert.equal(res.stderr.match(/logging level: verbose/g)?.length, 1, res.stderr);
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), ours);
        assert.equal(sh(host, "test -e /var/lib/docker-host/backup/daemon.json.orig && echo kept").trim(), "kept");
    });
});
