// The seed's pitfall on a fresh ext4 disk: mounted straight at data-root it holds lost+found, which must not
// pass for "already has data" — the images and containers are copied, not left behind.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { apply, configFor, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "./harness";

const NAME = "t-ext4-root";

describe("data-root at the root of a fresh ext4 disk", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    before(() => {
        host = upHost(NAME, "--state", "docker-data");
    });
    after(() => downHost(NAME));

    it("copies the old root even though the new one holds lost+found", () => {
        const images = sh(host, "docker images -q --no-trunc | sort");
        const result = apply(host, configFor(host, { dataDisk: { device: "/dev/vdb", filesystem: "ext4", mountPoint: "/data" }, daemon: { dataRoot: "/data" } }));
        assert.equal(result.migrated, true);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data");
        assert.equal(sh(host, "docker images -q --no-trunc | sort"), images);
        assert.equal(sh(host, "test -d /data/lost+found && echo kept").trim(), "kept");
    });
});
