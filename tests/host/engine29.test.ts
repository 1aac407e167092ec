// Docker Engine 29 as a fresh install, which keeps images in the containerd image store. The sandbox's Engine 29
// hosts (sandbox/build-rootfs.sh: dockerd and runc built from the Go modules pinned in sandbox/engine29) are
// hosts upgraded from 28, whose root keeps overlay2, and the rest of the host tests run on them; here that
// root is emptied, so dockerd starts as a fresh install does. With an image in the store the gate refuses and
// nothing changes; once the store is empty the steps pass, the apply step's restart turns the store off (its
// daemon.json names overlay2), and data-root moves to the data disk. The preview's plan line says each; and a
// daemon.json with every typed setting passes that dockerd's --validate.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { EVERY_SETTING } from "../unit/fixtures";
import { applySteps, configFor, dockerdIdentity, downHost, hostSteps, hostTestsSkipReason, planLine as planLineFor, releasesOf, SandboxHost, sh, ssh, TEST_ENGINE, upHost } from "./harness";

const WITH_DISK = { dataDisk: { device: "/dev/vdb" } };
const ENGINE_RELEASE = releasesOf(TEST_ENGINE);

const planLine = (host: SandboxHost): Promise<string> => planLineFor(host, WITH_DISK);

describe(`Docker Engine ${TEST_ENGINE}, a fresh install on the containerd image store`, {
    skip: hostTestsSkipReason() ?? (Number(TEST_ENGINE.split(".")[0]) < 29 ? `Engine 29 keeps a fresh install's images in containerd; this run's hosts run ${TEST_ENGINE}` : undefined),
}, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost("t-engine29");
        const fresh = ssh(host, "set -e; systemctl stop docker.socket docker.service; rm -rf /var/lib/docker; systemctl start docker", { user: "root" });
        assert.equal(fresh.status, 0, `emptying Docker's root on ${host.name} failed: ${fresh.stderr}`);
    });
    after(() => downHost("t-engine29"));

    it("takes a daemon.json with every typed setting (the host's dockerd --validate)", () => {
        const res = ssh(host, "f=$(mktemp) && cat >\"$f\" && dockerd --validate --config-file \"$f\"; s=$?; rm -f \"$f\"; exit $s", {
            user: "root",
            input: renderDaemonJson({ daemon: EVERY_SETTING }),
        });
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr + res.stdout, /configuration OK/);
    });

    it("starts on the containerd image store, a fresh install's default", () => {
        assert.match(sh(host, "docker version --format '{{.Server.Version}}'").trim(), ENGINE_RELEASE);
        assert.equal(sh(host, "docker info --format '{{.Driver}} {{json .DriverStatus}}'").trim(), 'overlayfs [["driver-type","io.containerd.snapshotter.v1"]]');
    });

    it("is refused by the gate while the store holds an image, as the preview's plan line says; the disk, daemon.json and dockerd stay as they were", async () => {
        sh(host, "docker import /usr/local/share/docker-host-sandbox/busybox.tar sandbox/busybox:latest >/dev/null");
        assert.equal(
            await planLine(host),
            "plan: t-engine29: the gate refuses: Docker uses the containerd image store, which holds 1 image(s) and 0 container(s) that storage driver overlay2 would no longer see; nothing changes",
        );
        const state = () => ({ daemon: sh(host, "cat /etc/docker/daemon.json 2>/dev/null || echo absent"), disk: sh(host, "blkid -p /dev/vdb || true"), dockerd: dockerdIdentity(host) });
        const before = state();
        const config = configFor(host, WITH_DISK);
        const { runs } = applySteps(host, config);
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.match(runs[0]!.stderr, /Docker uses the containerd image store \(storage driver 'overlayfs'; a fresh Engine 29 install's default\), which holds 1 image\(s\) and 0 container\(s\)/);
        // The apply step alone (an image pulled after the gate) refuses too, under the host lock.
        const applyStep = hostSteps(config).find((st) => st.name === "apply")!;
        const alone = ssh(host, applyStep.create, { input: applyStep.stdin });
        assert.equal(alone.status, 1);
        assert.match(alone.stderr, /Docker uses storage driver 'overlayfs', not 'overlay2'; nothing was changed/);
        assert.deepEqual(state(), before);
        assert.equal(before.daemon.trim(), "absent");
    });

    it("is configured once the store is empty: the restart turns it off, Docker on overlay2 on the data disk", async () => {
        sh(host, "docker image rm sandbox/busybox:latest >/dev/null");
        assert.match(await planLine(host), /^plan: t-engine29: first apply, no docker-host daemon\.json yet; format \/dev\/vdb as xfs, mount at \/data; turn off the containerd image store, which holds no image and no container \(Docker restarts on storage driver overlay2\); move data-root /);
        const { runs, result } = applySteps(host, configFor(host, WITH_DISK));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.match(runs[0]!.stderr, /the apply step's restart turns it off, starting Docker on storage driver 'overlay2'/);
        assert.match(result!.facts.serverVersion, ENGINE_RELEASE);
        assert.deepEqual({ ...result!.facts, serverVersion: "" }, { serverVersion: "", storageDriver: "overlay2", dockerRootDir: "/data/docker", loggingDriver: "json-file", liveRestore: true });
        assert.equal(sh(host, "docker info --format '{{.Driver}} {{.DockerRootDir}} {{json .DriverStatus}}'").split(" [")[0], "overlay2 /data/docker");
        assert.equal(sh(host, "findmnt -n -o FSTYPE /data").trim(), "xfs");
        assert.equal(await planLine(host), "plan: t-engine29: nothing to change");
    });
});
