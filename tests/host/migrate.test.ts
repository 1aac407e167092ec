// Scenarios 3 and 8: data-root moves to the new disk with images, containers and volumes intact and the
// old directory kept; after a reboot Docker is back on the disk; without the disk it does not start on
// an empty directory of the root filesystem.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apply, configFor, dockerdIdentity, downHost, hostSteps, hostTestsSkipReason, installVolumePlugin, remoteTreeSha, sandbox, SandboxHost, sh, sshAsync, upHost, VOLUME_PLUGIN, waitFor } from "./harness";

const NAME = "t-migrate";

/** A wrapper that slows down the copies that report progress (the live-move test). */
const SLOW_RSYNC = "/usr/local/bin/rsync";

describe("moving data-root to a new disk", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    let before_: { images: string; containers: string; volume: string };
    before(() => {
        host = upHost(NAME, "--state", "docker-data");
        before_ = {
            images: sh(host, "docker images -q --no-trunc | sort"),
            containers: sh(host, "docker ps -a --format '{{.ID}} {{.Names}}' --no-trunc | sort"),
            volume: sh(host, "sha256sum /var/lib/docker/volumes/precious/_data/random.bin | cut -d' ' -f1"),
        };
        assert.match(before_.containers, /keeper/);
    });
    after(() => downHost(NAME));

    it("copies images, containers and volumes; keeps the old directory", () => {
        const result = apply(host, configFor(host, { dataDisk: { device: "/dev/vdb" } }));
        assert.equal(result.migrated, true);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
        assert.equal(sh(host, "docker images -q --no-trunc | sort"), before_.images);
        assert.equal(sh(host, "docker ps -a --format '{{.ID}} {{.Names}}' --no-trunc | sort"), before_.containers);
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
        assert.equal(sh(host, "sha256sum /data/docker/volumes/precious/_data/random.bin | cut -d' ' -f1"), before_.volume);
        // The old root is never deleted.
        assert.equal(sh(host, "sha256sum /var/lib/docker/volumes/precious/_data/random.bin | cut -d' ' -f1"), before_.volume);
        assert.equal(sh(host, "test -e /data/docker/.docker-host-migrating && echo left || echo clean").trim(), "clean");
    });

    it("comes back on the disk, with its data, after a reboot", () => {
        const res = sandbox("reboot", NAME, "--with-disk");
        assert.equal(res.status, 0, res.stderr);
        sh(host, "for i in $(seq 1 300); do docker info >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1");
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
        assert.equal(sh(host, "docker images -q --no-trunc | sort"), before_.images);
        sh(host, "for i in $(seq 1 100); do [ \"$(docker inspect -f '{{.State.Running}}' keeper)\" = true ] && exit 0; sleep 0.2; done; exit 1");
    });

    it("does not start Docker on an empty directory when the disk is missing", () => {
        const res = sandbox("reboot", NAME, "--without-disk");
        assert.equal(res.status, 0, res.stderr);
        // Wait (bounded) until systemd has settled docker.service one way or the other.
        const state = sh(host, "for i in $(seq 1 150); do s=$(systemctl is-active docker.service); case $s in active|failed|inactive) echo $s; exit 0;; esac; sleep 0.2; done; echo $s").trim();
        assert.notEqual(state, "active");
        assert.equal(sh(host, "docker info >/dev/null 2>&1 && echo up || echo down").trim(), "down");
        assert.equal(sh(host, "findmnt -rn --mountpoint /data >/dev/null && echo mounted || echo not-mounted").trim(), "not-mounted");
        assert.equal(sh(host, "ls -A /data | wc -l").trim(), "0");
    });

    it("is whole again once the disk is back", () => {
        const res = sandbox("reboot", NAME, "--with-disk");
        assert.equal(res.status, 0, res.stderr);
        sh(host, "for i in $(seq 1 300); do docker info >/dev/null 2>&1 && exit 0; sleep 0.2; done; exit 1");
        assert.equal(sh(host, "docker images -q --no-trunc | sort"), before_.images);
        assert.equal(sh(host, "sha256sum /data/docker/volumes/precious/_data/random.bin | cut -d' ' -f1"), before_.volume);
    });

    // Pass 1 of the copy runs while Docker runs: the containers keep running (same PIDs) while its progress
    // lines arrive, what is written meanwhile reaches the new root, and the lines stream during the copy.
    it("copies live first: containers keep running, progress streams, late writes reach the new root", async (t) => {
        // ~100k small files (4 KiB), each a progress update of rsync's.
        sh(host, "docker volume create many >/dev/null && cd /data/docker/volumes/many/_data && head -c 400000000 /dev/urandom | split -b 4096 -a 5 - f");
        // A sparse file: 64 MiB long, one 4 KiB block of data (the bulk copy writes it out, then copies it again).
        sh(host, "cd /data/docker/volumes/many/_data && truncate -s 64M sparse.img && head -c 4096 /dev/urandom | dd of=sparse.img bs=4096 seek=1000 conv=notrunc status=none");
        // A volume Docker mounts from elsewhere (a bind of /srv/shared) for a running container: not data of
        // the root. Pass 1 leaves it out; were it copied, the check would have to delete it again.
        sh(host, `mkdir -p /srv/shared && head -c 33554432 /dev/urandom >/srv/shared/blob
                  docker volume create --opt type=none --opt o=bind --opt device=/srv/shared shared >/dev/null
                  docker run -d --name sharer -v shared:/s sandbox/busybox:latest sleep 2147483647 >/dev/null`);
        const shared = sh(host, "sha256sum /srv/shared/blob | cut -d' ' -f1").trim();
        // A managed volume plugin's volume in use: the plugin mounts it (a tmpfs with an 8 MiB file) in its
        // propagated mount, below the root, as NFS or sshfs plugins mount remote storage. Not data of the root
        // either: pass 1 leaves it out; were it copied, the check would have to delete it again.
        const plugin = installVolumePlugin(host);
        sh(host, `docker volume create -d ${VOLUME_PLUGIN} remote >/dev/null
                  docker run -d --name remoteuser -v remote:/r sandbox/busybox:latest sleep 2147483647 >/dev/null`);
        assert.equal(sh(host, `findmnt -rn -o FSTYPE --mountpoint /data/docker/plugins/${plugin}/propagated-mount/remote | sort -u`).trim(), "tmpfs");
        const config = configFor(host, { dataDisk: { device: "/dev/vdb" }, daemon: { dataRoot: "/data/docker-live" } });
        const step = hostSteps(config).find((s) => s.name === "apply")!;
        const dockerd = dockerdIdentity(host);
        const keeper = sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim();
        // Every copy that reports progress runs at most ≈ 24 MiB/s (rsync's own --bwlimit, by a wrapper first
        // in the PATH of the step's unit), so pass 1 lasts over two progress intervals however fast the
        // machine's disk: the real copy, only slower.
        sh(host, `cat >${SLOW_RSYNC} <<'EOF'
#!/bin/sh
for arg in "$@"; do [ "$arg" = --info=progress2 ] && exec /usr/bin/rsync --bwlimit=25000 "$@"; done
exec /usr/bin/rsync "$@"
EOF
chmod 0755 ${SLOW_RSYNC}`);
        t.after(() => sh(host, `rm -f ${SLOW_RSYNC}`));
        const run = sshAsync(host, step.create, { input: step.stdin });
        let finished = false;
        void run.done.then(() => (finished = true));
        const pass1 = /copy, pass 1 of 2 \(Docker running\): \S+ of \S+ \(\d+ %\)/g;
        await waitFor("a progress line of pass 1", () => (run.stderr().match(pass1) ?? []).length >= 1 || finished);
        assert.equal(finished, false, "the copy ended before a progress line appeared");
        assert.equal(dockerdIdentity(host), dockerd);
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), keeper);
        const late = sh(host, "docker run --rm -v many:/d sandbox/busybox:latest sh -c 'head -c 65536 /dev/urandom >/d/late.bin && sha256sum /d/late.bin' | cut -d' ' -f1").trim();
        await waitFor("a second progress line", () => (run.stderr().match(/docker-host\[apply\]: copy, pass \d of 2/g) ?? []).length >= 2 || finished);
        assert.equal(finished, false, "fewer than two progress lines arrived while the copy ran");
        const res = await run.done;
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /Docker and the containers were stopped for \d+ s/);
        // sharer's sleep, PID 1 of its container, ignores SIGTERM: docker stop kills it after its 10 s timeout,
        // and the log says where that part of the downtime went.
        assert.match(res.stderr, /the containers took (1\d|[2-9]\d) s to stop: one that ignores SIGTERM is killed only after its stop timeout/);
        // Pass 2 found what changed (the late container came and went) by itself: the check over the whole
        // trees that follows it had nothing left to copy.
        assert.match(res.stderr, /since pass 1 began: [1-9]\d* entries changed \(\S+ in files\), [1-9]\d* removed/);
        assert.doesNotMatch(res.stderr, /the check copied/);
        // keeper's overlay view (its image's files) was left out of pass 1, not copied and deleted again.
        assert.match(res.stderr, /pass 1 leaves out what is mounted on [1-9]\d* mount point\(s\) Docker made/);
        // sharer runs again with its volume mounted from /srv/shared; below that mount, the new root's
        // _data holds nothing (a bind of /data without its submounts shows it).
        assert.equal(sh(host, "docker exec sharer sha256sum /s/blob | cut -d' ' -f1").trim(), shared);
        assert.equal(sh(host, "d=$(mktemp -d) && mount --bind /data \"$d\" && ls -A \"$d/docker-live/volumes/shared/_data\"; umount \"$d\" && rmdir \"$d\"").trim(), "");
        // remoteuser runs again, its volume mounted by the plugin, which was disabled for the stopped pass (with
        // live-restore on, dockerd would have kept it running on the old root) and runs on the new root; below
        // its mount, the new root holds nothing, and nothing of it stays mounted below the old root.
        assert.match(res.stderr, /disabling 1 plugin\(s\) for the copy's last pass/);
        assert.equal(sh(host, `docker plugin inspect -f '{{.Enabled}}' ${VOLUME_PLUGIN}`).trim(), "true");
        assert.equal(sh(host, "docker exec remoteuser stat -c %s /r/remote-data").trim(), String(8 * 2 ** 20));
        assert.equal(sh(host, "findmnt -rn -o TARGET | awk '/^\\/data\\/docker\\/plugins\\//' | sort -u").trim(), "");
        assert.equal(sh(host, `d=$(mktemp -d) && mount --bind /data "$d" && ls -A "$d/docker-live/plugins/${plugin}/propagated-mount/remote"; umount "$d" && rmdir "$d"`).trim(), "");
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker-live");
        assert.equal(sh(host, "sha256sum /data/docker-live/volumes/many/_data/late.bin | cut -d' ' -f1").trim(), late);
        // The volume written to during pass 1, file by file (not all of volumes/: dockerd rewrites its
        // metadata.db when it starts on the new root).
        assert.equal(remoteTreeSha(host, "/data/docker-live/volumes/many"), remoteTreeSha(host, "/data/docker/volumes/many"));
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
        // The sparse file keeps its holes (well under its 64 MiB allocated).
        assert.match(res.stderr, /copying 1 sparse file\(s\) again, keeping their holes/);
        assert.ok(Number(sh(host, "echo $(($(stat -c '%b * %B' /data/docker-live/volumes/many/_data/sparse.img)))")) < 2 ** 20);
    });
});
