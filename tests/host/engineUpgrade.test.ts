// An Engine upgrade under a host the component configured, as an operator's package upgrade does it: on a host
// of the second-newest sandbox Engine (28.5), configured with its data-root on the data disk and a container
// running, dockerd and runc are replaced by the newest Engine's (29.5: the very files of its rootfs image) and
// Docker restarts. Engine 29 stays on overlay2 at the moved root (daemon.json names both; a root it finds in use
// would keep it too), the container and its image survive, live-restore keeps the container's process through
// the restart, and the component has nothing left to do: the preview's plan says so and the apply step leaves
// dockerd alone.
import assert from "node:assert/strict";
import { spawnSync, SpawnSyncReturns } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { apply, configFor, dockerdIdentity, downHost, hostTestsSkipReason, planLine, releasesOf, sandbox, SandboxHost, sh, ssh, TEST_ENGINE, upHost } from "./harness";

const NAME = "t-upgrade";
const WITH_DISK = { dataDisk: { device: "/dev/vdb" } };
const ENGINES = spawnSync(join(__dirname, "../../sandbox/build-rootfs.sh"), ["--engines"], { encoding: "utf8" }).stdout.trim().split("\n");
const [FROM, TO] = ENGINES.slice(-2) as [string, string];
/** What the newest Engine's rootfs holds that the upgrade replaces. */
const UPGRADED = ["/usr/sbin/dockerd", "/usr/sbin/runc"];

/** The files of the newest Engine's rootfs image (built if need be), read with debugfs into a new directory. */
function newestEngineFiles(): { dir: string; files: Map<string, Buffer> } {
    const build = sandbox("build", "--engine", TO);
    assert.equal(build.status, 0, build.stderr);
    const image = /rootfs ready: (\S+)/.exec(build.stderr)?.[1];
    assert.ok(image, `sandbox build --engine ${TO} named no image:\n${build.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), "docker-host-upgrade-"));
    const files = new Map<string, Buffer>();
    for (const path of UPGRADED) {
        const out = join(dir, path.replaceAll("/", "_"));
        const dumped: SpawnSyncReturns<string> = spawnSync("debugfs", ["-R", `dump -p ${path} ${out}`, image], { encoding: "utf8" });
        assert.equal(dumped.status, 0, dumped.stderr);
        files.set(path, readFileSync(out));
    }
    return { dir, files };
}

describe(`an Engine upgrade, ${FROM} to ${TO}, under a configured host`, {
    skip: hostTestsSkipReason() ?? (TEST_ENGINE !== FROM ? `upgrades the second-newest sandbox Engine (${FROM}); this run's hosts run ${TEST_ENGINE}` : undefined),
}, () => {
    let host: SandboxHost;
    let dir = "";
    before(() => {
        host = upHost(NAME);
    });
    after(() => {
        downHost(NAME);
        if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it(`keeps Docker on overlay2 at the moved root, the container running, and leaves the component nothing to do`, async () => {
        sh(host, "docker import /usr/local/share/docker-host-sandbox/busybox.tar sandbox/busybox:latest >/dev/null");
        sh(host, "docker run -d --name keeper --restart unless-stopped sandbox/busybox:latest sleep 2147483647 >/dev/null");
        const configured = apply(host, configFor(host, WITH_DISK));
        assert.equal(configured.facts.dockerRootDir, "/data/docker");
        assert.equal(configured.facts.liveRestore, true);
        const image = sh(host, "docker image inspect -f '{{.Id}}' sandbox/busybox:latest").trim();
        const keeper = sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim();
        const daemonJson = sh(host, "cat /etc/docker/daemon.json");

        const upgrade = newestEngineFiles();
        dir = upgrade.dir;
        for (const [path, bytes] of upgrade.files) {
            // Written beside and renamed, as dpkg does: the running dockerd's file stays whole until the restart.
            const put = ssh(host, `cat >'${path}.dpkg-new' && chmod 0755 '${path}.dpkg-new' && mv -f '${path}.dpkg-new' '${path}'`, { user: "root", input: bytes });
            assert.equal(put.status, 0, put.stderr);
        }
        sh(host, "systemctl restart docker");

        assert.match(sh(host, "docker version --format '{{.Server.Version}}'").trim(), releasesOf(TO));
        assert.equal(sh(host, "docker info --format '{{.Driver}} {{.DockerRootDir}} {{.Images}}'").trim(), "overlay2 /data/docker 1");
        assert.equal(sh(host, "docker image inspect -f '{{.Id}}' sandbox/busybox:latest").trim(), image);
        assert.equal(sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim(), keeper, "live-restore kept the container's process through the upgrade");

        assert.equal(await planLine(host, WITH_DISK), `plan: ${NAME}: nothing to change`);
        const dockerd = dockerdIdentity(host);
        const again = apply(host, configFor(host, WITH_DISK));
        assert.equal(again.action, "none");
        assert.equal(again.migrated, false);
        assert.equal(again.facts.serverVersion, sh(host, "docker version --format '{{.Server.Version}}'").trim());
        assert.equal(dockerdIdentity(host), dockerd);
        assert.equal(sh(host, "cat /etc/docker/daemon.json"), daemonJson);
    });
});
