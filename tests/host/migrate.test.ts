// Scenarios 3 and 8: data-root moves to the new disk with images, containers and volumes intact and the
// old directory kept; after a reboot Docker is back on the disk; without the disk it does not start on
// an empty directory of the root filesystem.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apply, configFor, downHost, hostTestsSkipReason, sandbox, SandboxHost, sh, upHost } from "./harness";

const NAME = "t-migrate";

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
});
