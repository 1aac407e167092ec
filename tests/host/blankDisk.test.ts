// Scenarios 1, 9, 10: a blank disk becomes Docker's data disk; re-running changes nothing; logs stay
// bounded; destroy restores the host's own daemon.json and keeps the data.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { apply, configFor, destroySteps, dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, SandboxHost, sh, upHost } from "./harness";

const NAME = "t-blank";

describe("a blank data disk", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost(NAME);
    });
    after(() => downHost(NAME));

    const settings = { dataDisk: { device: "/dev/vdb" } } as const;

    it("is formatted xfs ftype=1, mounted by a .mount unit, and holds data-root on overlay2", () => {
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), "absent");
        const config = configFor(host, settings);
        const result = apply(host, config);

        assert.equal(result.action, "restart");
        assert.match(sh(host, "xfs_info /data"), /ftype=1/);
        assert.equal(sh(host, "findmnt -rn -o FSTYPE --mountpoint /data").trim(), "xfs");
        assert.equal(sh(host, "systemctl is-active data.mount").trim(), "active");
        assert.equal(sh(host, "systemctl is-enabled data.mount").trim(), "enabled");
        assert.match(sh(host, "cat /etc/systemd/system/data.mount"), /^What=\/dev\/vdb$/m);
        assert.equal(sh(host, "docker info --format '{{.Driver}} {{.DockerRootDir}}'").trim(), "overlay2 /data/docker");
        assert.deepEqual(result.facts, { ...result.facts, storageDriver: "overlay2", dockerRootDir: "/data/docker", liveRestore: true });
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), renderDaemonJson(config));
        assert.equal(sh(host, "cat /etc/systemd/system/docker.service.d/20-docker-host-data-disk.conf"), "[Unit]\nRequiresMountsFor=/data\n");
        assert.match(sh(host, "systemctl show -p RequiresMountsFor --value docker.service"), /\/data/);
    });

    it("changes nothing when run again: dockerd keeps its PID and start time, daemon.json its mtime", () => {
        const identity = dockerdIdentity(host);
        const mtime = sh(host, "stat -c %Y.%N /etc/docker/daemon.json");
        const result = apply(host, configFor(host, settings));
        assert.equal(result.action, "none");
        assert.equal(dockerdIdentity(host), identity);
        assert.equal(sh(host, "stat -c %Y.%N /etc/docker/daemon.json"), mtime);
    });

    it("keeps a container's log bounded by max-size 1k and max-file 2", () => {
        apply(host, configFor(host, { ...settings, daemon: { logMaxSize: "1k", logMaxFiles: 2 } }));
        sh(host, "docker import /usr/local/share/docker-host-sandbox/busybox.tar sandbox/busybox:latest >/dev/null");
        const id = sh(host, "docker run -d --name chatty sandbox/busybox:latest sh -c 'i=0; while [ $i -lt 3000 ]; do echo line-$i-padding-padding-padding; i=$((i+1)); done; sleep 3600'").trim();
        // Poll (bounded) until the writer is done: the last line shows up in the current log.
        sh(host, `for i in $(seq 1 100); do docker logs --tail 5 ${id} 2>/dev/null | grep -q line-2999 && exit 0; sleep 0.1; done; exit 1`);
        const files = sh(host, `ls /data/docker/containers/${id}/ | grep json.log`).trim().split("\n");
        assert.deepEqual(files.sort(), [`${id}-json.log`, `${id}-json.log.1`]);
        const sizes = sh(host, `stat -c %s /data/docker/containers/${id}/${id}-json.log*`).trim().split("\n").map(Number);
        for (const size of sizes) assert.ok(size <= 1024 + 200, `a log file has ${size} bytes`);
        sh(host, `docker rm -f ${id} >/dev/null`);
    });

    it("destroy restores the host's own daemon.json, removes the drop-ins, and keeps the disk and its data", () => {
        const config = configFor(host, { ...settings, daemon: { logMaxSize: "1k", logMaxFiles: 2 } });
        const imagesBefore = sh(host, "docker images -q --no-trunc | sort");
        assert.match(imagesBefore, /^sha256:[0-9a-f]{64}$/m); // the check below needs an image to look for
        destroySteps(host, config);
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), "absent"); // the sandbox host had none
        assert.equal(sh(host, "ls /etc/systemd/system/docker.service.d/ 2>/dev/null | grep -c docker-host || true").trim(), "0");
        assert.equal(sh(host, "findmnt -rn -o FSTYPE --mountpoint /data").trim(), "xfs");
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
        // The data on the disk is intact (images imported while it was data-root are still there).
        assert.match(sh(host, "ls /data/docker/image/overlay2/imagedb/content/sha256/"), new RegExp(imagesBefore.trim().split("\n")[0]!.replace("sha256:", "")));
    });
});
