// Scenarios 2 and 7: a disk that already holds another filesystem, a daemon on the vfs driver and one on a
// containerd image store that holds images are refused with a clear error and nothing on the host changes (an
// empty store is turned off by the apply step's restart); a data disk that fails to mount leaves docker.service
// as it was (Docker never waits for a disk that does not mount).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apply, applySteps, configFor, dockerdIdentity, downHost, hostSteps, hostTestsSkipReason, remoteSha, remoteTreeSha, SandboxHost, sh, sha256, ssh, TEST_ENGINE, upHost } from "./harness";

const preciousSha = (host: SandboxHost) =>
    sh(host, "d=$(mktemp -d); mount -o ro /dev/vdb \"$d\"; sha256sum \"$d/precious.txt\" | cut -d' ' -f1; umount \"$d\"; rmdir \"$d\"").trim();

describe("a disk that already holds ext4 with a file", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost("t-ext4", "--state", "ext4-with-file");
    });
    after(() => downHost("t-ext4"));

    it("is refused for xfs; its file, daemon.json and the units are untouched", () => {
        const before = { file: preciousSha(host), daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system") };
        const { runs, result } = applySteps(host, configFor(host, { dataDisk: { device: "/dev/vdb", filesystem: "xfs" } }));
        assert.equal(result, undefined);
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 0], ["data-disk", 1]]);
        assert.match(runs[1]!.stderr, /\/dev\/vdb already holds a ext4 filesystem, not xfs; refusing to format it \(that would destroy its data\)\. Fix: set dataDisk\.filesystem to "ext4"/);
        assert.deepEqual({ file: preciousSha(host), daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system") }, before);
    });

    it("is reused as it is when ext4 is asked for, keeping its file", () => {
        const before = preciousSha(host);
        const { runs } = applySteps(host, configFor(host, { dataDisk: { device: "/dev/vdb", filesystem: "ext4" } }));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.equal(sh(host, "sha256sum /data/precious.txt | cut -d' ' -f1").trim(), before);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
    });
});

describe("a host whose Docker runs the vfs driver", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost("t-vfs", "--state", "vfs");
    });
    after(() => downHost("t-vfs"));

    it("is refused by the gate, naming the driver and filesystem; nothing changes", () => {
        const before = { daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system"), disk: sh(host, "blkid -p /dev/vdb || true") };
        const { runs } = applySteps(host, configFor(host, { dataDisk: { device: "/dev/vdb" } }));
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.match(runs[0]!.stderr, /Docker uses storage driver 'vfs' on a 'ext4' filesystem \(\/var\/lib\/docker\), not 'overlay2'\. Changing the driver would hide every existing image and container, so nothing was changed\. Fix: /);
        assert.deepEqual({ daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system"), disk: sh(host, "blkid -p /dev/vdb || true") }, before);
    });
});

describe("a host whose Docker keeps images in the containerd image store", {
    skip: hostTestsSkipReason() ?? (Number(TEST_ENGINE.split(".")[0]) < 24 ? `the containerd image store needs Engine 24; this run's hosts run ${TEST_ENGINE}` : undefined),
}, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost("t-snapshotter", "--no-disk");
        // What a fresh Engine 29 install does by default, asked for explicitly on this older Engine.
        sh(host, `printf '{"features": {"containerd-snapshotter": true}}\n' > /etc/docker/daemon.json && systemctl restart docker`);
        sh(host, "docker import /usr/local/share/docker-host-sandbox/busybox.tar sandbox/busybox:latest >/dev/null && docker run -d --name keeper sandbox/busybox:latest sleep 2147483647 >/dev/null");
    });
    after(() => downHost("t-snapshotter"));

    it("is refused by the gate while the store holds an image and a container, counting them; nothing changes", () => {
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlayfs");
        const before = { daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system"), dockerd: dockerdIdentity(host) };
        const { runs } = applySteps(host, configFor(host, {}));
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 1]]);
        assert.match(
            runs[0]!.stderr,
            /Docker uses the containerd image store \(storage driver 'overlayfs'; a fresh Engine 29 install's default\), which holds 1 image\(s\) and 1 container\(s\): containerd keeps them in its own root, outside data-root \(\/var\/lib\/docker\)/,
        );
        assert.match(runs[0]!.stderr, /Fix: keep what you need .* and re-run: docker-host turns an empty store off itself\./);
        // The apply step checks again under the host lock (an image pulled after the gate): run alone, it
        // refuses too.
        const applyStep = hostSteps(configFor(host, {})).find((st) => st.name === "apply")!;
        const alone = ssh(host, applyStep.create, { input: applyStep.stdin });
        assert.equal(alone.status, 1);
        assert.match(alone.stderr, /Docker uses storage driver 'overlayfs', not 'overlay2'; nothing was changed \(see the gate step\)\./);
        assert.deepEqual({ daemon: remoteSha(host, "/etc/docker/daemon.json"), units: remoteTreeSha(host, "/etc/systemd/system"), dockerd: dockerdIdentity(host) }, before);
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
    });

    it("is turned off by the apply step's restart once the store is empty, Docker then on overlay2 with the stack's daemon.json", () => {
        sh(host, "docker rm -f keeper >/dev/null && docker image rm sandbox/busybox:latest >/dev/null");
        const before = dockerdIdentity(host);
        const { runs, result } = applySteps(host, configFor(host, {}));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.match(runs[0]!.stderr, /Docker uses the containerd image store, which holds no image and no container \(a fresh install\): the apply step's restart turns it off, starting Docker on storage driver 'overlay2'/);
        assert.match(runs[1]!.stderr, /turning off the containerd image store, which holds no image and no container: Docker restarts on storage driver 'overlay2'/);
        assert.equal(result!.action, "restart");
        assert.equal(result!.facts.storageDriver, "overlay2");
        assert.notEqual(dockerdIdentity(host), before);
        assert.equal(sh(host, "docker info --format '{{.Driver}}'").trim(), "overlay2");
        assert.equal(sh(host, "sha256sum < /etc/docker/daemon.json | cut -d' ' -f1").trim(), sha256(runs[1]!.step.stdin!));
        // And it stays off: the next apply changes nothing.
        const again = apply(host, configFor(host, {}));
        assert.equal(again.action, "none");
    });
});

describe("a data disk that fails to mount", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost("t-nomount");
    });
    after(() => downHost("t-nomount"));

    it("fails the data-disk step and leaves docker.service without the disk's drop-in; Docker keeps running", () => {
        // An operator's override the kernel refuses: the mount unit docker-host writes cannot start.
        sh(host, "mkdir -p /etc/systemd/system/data.mount.d && printf '[Mount]\\nOptions=defaults,no-such-option\\n' >/etc/systemd/system/data.mount.d/10-broken.conf");
        const before = { daemon: remoteSha(host, "/etc/docker/daemon.json"), dockerd: dockerdIdentity(host) };
        const config = configFor(host, { dataDisk: { device: "/dev/vdb" } });
        const { runs } = applySteps(host, config);
        assert.deepEqual(runs.map((r) => [r.step.name, r.status]), [["gate", 0], ["data-disk", 1]]);
        assert.match(runs[1]!.stderr, /could not mount \/dev\/vdb at \/data/);
        assert.equal(sh(host, "test -e /etc/systemd/system/docker.service.d/20-docker-host-data-disk.conf && echo present || echo absent").trim(), "absent");
        assert.doesNotMatch(sh(host, "systemctl show -p RequiresMountsFor --value docker.service"), /\/data/);
        assert.equal(sh(host, "systemctl show -p NeedDaemonReload --value docker.service").trim(), "no");
        assert.deepEqual({ daemon: remoteSha(host, "/etc/docker/daemon.json"), dockerd: dockerdIdentity(host) }, before);

        // Without the override the same steps mount the disk and add the drop-in.
        sh(host, "rm -r /etc/systemd/system/data.mount.d");
        const again = applySteps(host, config);
        assert.equal(again.runs.find((r) => r.status !== 0), undefined, again.runs.map((r) => r.stderr).join("\n"));
        assert.match(sh(host, "systemctl show -p RequiresMountsFor --value docker.service"), /\/data/);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
    });
});
