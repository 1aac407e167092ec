// Docker Engine 29, whose fresh installs keep images in the containerd image store: Debian's mirror has no
// Engine 29, so its dockerd is built here from moby's Go module (tests/host/engine29 pins v2.0.0-beta.15,
// Engine 29.5.1 by its releases/versions.yaml) and started in place of the newest sandbox Engine's own (sid's
// containerd 2.1 beside it) on an empty root: a fresh install. With an image in the store the gate refuses
// and nothing changes; once the store is empty the steps pass, the apply step's restart turns the store off
// (its daemon.json names overlay2), and data-root moves to the data disk. The preview's plan line says each;
// and a daemon.json with every typed setting passes that dockerd's --validate.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { daemonConfig, renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { readLiveState } from "../../components/dockerHost/drift";
import { desiredHost, planInWords, planTarget } from "../../components/dockerHost/planInWords";
import { EVERY_SETTING } from "../unit/fixtures";
import { applySteps, configFor, dockerdIdentity, downHost, hostSteps, hostTestsSkipReason, SandboxHost, sh, ssh, TEST_ENGINE, upHost } from "./harness";

const MODULE_DIR = join(__dirname, "engine29");
/** The Engine the pinned module is (releases/versions.yaml of v2.0.0-beta.15): dockerd reports it. */
const ENGINE_29 = "29.5.1";
const WITH_DISK = { dataDisk: { device: "/dev/vdb" } };

/** The preview's plan line for the host (its probe over SSH, as DockerHost runs it). */
async function planLine(host: SandboxHost): Promise<string> {
    const desired = desiredHost(WITH_DISK, daemonConfig(WITH_DISK));
    const live = await readLiveState(configFor(host, WITH_DISK).connection, { target: planTarget(desired) });
    return planInWords(host.name, live, desired).message;
}
const NEWEST_ENGINE = spawnSync(join(__dirname, "../../sandbox/build-rootfs.sh"), ["--engines"], { encoding: "utf8" }).stdout.trim().split("\n").pop()!;

/** dockerd of Engine 29 built from tests/host/engine29 (graph drivers that need cgo left out, as dockerd's
 *  static builds do); the Go build cache makes a second build a few seconds. */
function buildDockerd(dir: string): string {
    const moby = /^require github\.com\/moby\/moby\/v2 (v\S+)$/m.exec(readFileSync(join(MODULE_DIR, "go.mod"), "utf8"))![1]!;
    const out = join(dir, "dockerd");
    const ldflags = `-X github.com/moby/moby/v2/dockerversion.Version=${ENGINE_29} -X github.com/moby/moby/v2/dockerversion.GitCommit=moby-${moby}`;
    const build = spawnSync(
        "go",
        ["build", "-tags", "exclude_graphdriver_btrfs exclude_graphdriver_devicemapper exclude_disk_quota", "-ldflags", ldflags, "-o", out, "github.com/moby/moby/v2/cmd/dockerd"],
        { cwd: MODULE_DIR, env: { ...process.env, CGO_ENABLED: "0" }, encoding: "utf8" },
    );
    assert.equal(build.status, 0, `building dockerd ${ENGINE_29} failed:\n${build.stderr}`);
    return out;
}

describe(`Docker Engine ${ENGINE_29}, a fresh install on the containerd image store`, {
    skip: hostTestsSkipReason() ?? (TEST_ENGINE !== NEWEST_ENGINE ? `runs beside the newest sandbox Engine's containerd (${NEWEST_ENGINE}); this run's hosts run ${TEST_ENGINE}` : undefined),
}, () => {
    let host: SandboxHost;
    let dir: string;
    let dockerd: string;
    before(() => {
        dir = mkdtempSync(join(tmpdir(), "docker-host-engine29-"));
        dockerd = buildDockerd(dir);
        host = upHost("t-engine29");
        const install = ssh(host, "set -e; systemctl stop docker.socket docker.service; cat >/usr/sbin/dockerd; rm -rf /var/lib/docker; systemctl start docker", {
            user: "root",
            input: readFileSync(dockerd),
        });
        assert.equal(install.status, 0, `installing dockerd ${ENGINE_29} on ${host.name} failed: ${install.stderr}`);
    });
    after(() => {
        downHost("t-engine29");
        rmSync(dir, { recursive: true, force: true });
    });

    it("takes a daemon.json with every typed setting (dockerd --validate, here)", () => {
        const file = join(dir, "daemon.json");
        writeFileSync(file, renderDaemonJson({ daemon: EVERY_SETTING }));
        // --validate only checks that userland-proxy-path names a program.
        writeFileSync(join(dir, "docker-proxy"), "#!/bin/sh\n");
        chmodSync(join(dir, "docker-proxy"), 0o755);
        const res = spawnSync(dockerd, ["--validate", "--config-file", file], { encoding: "utf8", env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ""}` } });
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /configuration OK/);
    });

    it(`starts as Engine ${ENGINE_29} on the containerd image store, its fresh-install default`, () => {
        assert.equal(sh(host, "docker version --format '{{.Server.Version}}'").trim(), ENGINE_29);
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
        assert.deepEqual(result!.facts, { serverVersion: ENGINE_29, storageDriver: "overlay2", dockerRootDir: "/data/docker", loggingDriver: "json-file", liveRestore: true });
        assert.equal(sh(host, "docker info --format '{{.Driver}} {{.DockerRootDir}} {{json .DriverStatus}}'").split(" [")[0], "overlay2 /data/docker");
        assert.equal(sh(host, "findmnt -n -o FSTYPE /data").trim(), "xfs");
        assert.equal(await planLine(host), "plan: t-engine29: nothing to change");
    });
});
