// Knowing the current data root, on one sandbox host with a small ext4 data disk: every check before the
// first change (a blank disk under a bad mount point stays blank; a target too small stops nothing); data
// written after a move survives removing dataDisk and putting it back (an rsync delta, never a switch to
// older data); a root changed since Docker left it, or nested in the live root, is refused; destroy brings
// the data back to the original root, a volume plugin serving its container there again.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DockerHostConfig } from "../../components/dockerHost/args";
import {
    apply,
    applySteps,
    configFor,
    deleteStep,
    destroySteps,
    dockerdIdentity,
    downHost,
    hostTestsSkipReason,
    installVolumePlugin,
    remoteSha,
    SandboxHost,
    sh,
    upHost,
    VOLUME_PLUGIN,
} from "./harness";

const NAME = "t-roots";

describe("data roots: checks first, never a switch to older data", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    let withDisk: DockerHostConfig;
    let withoutDisk: DockerHostConfig;
    let originalDaemonJson: string;
    const fileSha = (path: string) => sh(host, `sha256sum '${path}' | cut -d' ' -f1`).trim();
    const root = () => sh(host, "docker info --format '{{.DockerRootDir}}'").trim();
    const keeperPid = () => sh(host, "docker inspect -f '{{.State.Pid}}' keeper").trim();
    const writeVolume = (name: string) => {
        sh(host, `docker volume create ${name} >/dev/null && docker run --rm -v ${name}:/d sandbox/busybox:latest sh -c 'head -c 8192 /dev/urandom >/d/data.bin'`);
        return fileSha(`${root()}/volumes/${name}/_data/data.bin`);
    };
    before(() => {
        host = upHost(NAME, "--state", "docker-data", "--disk-size", "160M");
        withDisk = configFor(host, { dataDisk: { device: "/dev/vdb", filesystem: "ext4" }, daemon: { logMaxSize: "10m" } });
        withoutDisk = configFor(host, { daemon: { logMaxSize: "10m" } });
        originalDaemonJson = remoteSha(host, "/etc/docker/daemon.json");
    });
    after(() => downHost(NAME));

    it("refuses a mount point that holds files before formatting: the disk stays blank", () => {
        sh(host, "mkdir -p /data && touch /data/someone-elses-file");
        const { runs } = applySteps(host, withDisk);
        const disk = runs.find((r) => r.step.name === "data-disk")!;
        assert.equal(disk.status, 1);
        assert.match(disk.stderr, /\/data is not a mount point but already holds files/);
        assert.equal(sh(host, "blkid -p -o value -s TYPE /dev/vdb || true").trim(), "");
        sh(host, "rm /data/someone-elses-file");
    });

    it("refuses a target too small for the data: nothing stopped, nothing changed", () => {
        sh(host, "head -c 150000000 /dev/zero >/var/lib/docker/volumes/precious/_data/ballast");
        const dockerd = dockerdIdentity(host);
        const pid = keeperPid();
        const { runs } = applySteps(host, withDisk);
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1);
        assert.match(applyRun.stderr, /moving data-root from \/var\/lib\/docker \(.*\) to \/data\/docker needs about .* free on its filesystem, which has .*Nothing was stopped or changed/);
        assert.equal(dockerdIdentity(host), dockerd);
        assert.equal(keeperPid(), pid);
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), originalDaemonJson);
        assert.equal(sh(host, "ls -A /data/docker 2>/dev/null || true").trim(), "");
        sh(host, "rm /var/lib/docker/volumes/precious/_data/ballast");
    });

    let late: string;
    it("keeps data written after a move when dataDisk is removed (the delta goes back)", () => {
        assert.equal(apply(host, withDisk).migrated, true);
        assert.equal(root(), "/data/docker");
        late = writeVolume("late");
        sh(host, "docker tag sandbox/busybox:latest sandbox/late:1");
        // Pulumi applies the new configuration, then deletes the removed data-disk step.
        const result = apply(host, withoutDisk);
        assert.equal(deleteStep(host, withDisk, "data-disk").status, 0);
        assert.equal(result.migrated, true);
        assert.equal(root(), "/var/lib/docker");
        assert.equal(fileSha("/var/lib/docker/volumes/late/_data/data.bin"), late);
        assert.match(sh(host, "docker images --format '{{.Repository}}:{{.Tag}}'"), /sandbox\/late:1/);
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
    });

    let later: string;
    it("brings the disk's older copy up to date when dataDisk comes back", () => {
        later = writeVolume("later");
        sh(host, "docker volume rm late >/dev/null");
        const result = apply(host, withDisk);
        assert.equal(result.migrated, true);
        assert.equal(root(), "/data/docker");
        assert.equal(fileSha("/data/docker/volumes/later/_data/data.bin"), later);
        // The delta is exact: what was removed in the live root is gone from the copy too.
        assert.equal(sh(host, "docker volume ls -q | grep -c '^late$' || true").trim(), "0");
    });

    it("refuses a data-root inside the live root", () => {
        const { runs } = applySteps(host, configFor(host, { dataDisk: { device: "/dev/vdb", filesystem: "ext4" }, daemon: { dataRoot: "/data/docker/inner", logMaxSize: "10m" } }));
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1);
        assert.match(applyRun.stderr, /data-root \/data\/docker\/inner is inside Docker's current root \/data\/docker/);
        assert.equal(root(), "/data/docker");
    });

    it("refuses to go back to a root changed since Docker left it; the way forward works", () => {
        sh(host, "touch /var/lib/docker/volumes/precious/_data/hand-edit");
        const dockerd = dockerdIdentity(host);
        const { runs } = applySteps(host, withoutDisk);
        const applyRun = runs.find((r) => r.step.name === "apply")!;
        assert.equal(applyRun.status, 1);
        assert.match(applyRun.stderr, /\/var\/lib\/docker was Docker's root until .*, and was changed since .*Nothing was changed\. Fix: move \/var\/lib\/docker away/);
        assert.equal(dockerdIdentity(host), dockerd);
        assert.equal(root(), "/data/docker");
        // The fix the message gives.
        sh(host, "mv /var/lib/docker /var/lib/docker.before");
        assert.equal(apply(host, withoutDisk).migrated, true);
        assert.equal(root(), "/var/lib/docker");
        assert.equal(fileSha("/var/lib/docker/volumes/later/_data/data.bin"), later);
    });

    it("destroy after a move brings the data back to the original root", () => {
        apply(host, withDisk);
        assert.equal(root(), "/data/docker");
        const newest = writeVolume("newest");
        // A volume plugin's volume in use on the disk: the plugin is disabled for the stopped pass of the move
        // back and enabled again, and serves the container from the original root. (Started again without
        // live-restore, as the original daemon.json has it, dockerd would also have restarted the plugin by
        // itself; migrate.test.ts shows the move forward, where it would not.)
        installVolumePlugin(host);
        sh(host, `docker volume create -d ${VOLUME_PLUGIN} remote >/dev/null
                  docker run -d --name remoteuser -v remote:/r sandbox/busybox:latest sleep 2147483647 >/dev/null`);
        const runs = destroySteps(host, withDisk);
        assert.equal(root(), "/var/lib/docker");
        assert.equal(fileSha("/var/lib/docker/volumes/newest/_data/data.bin"), newest);
        assert.equal(remoteSha(host, "/etc/docker/daemon.json"), originalDaemonJson);
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
        assert.equal(sh(host, "docker exec remoteuser stat -c %s /r/remote-data").trim(), String(8 * 2 ** 20));
        assert.equal(sh(host, "findmnt -rn -o TARGET | awk '/^\\/data\\//' | sort -u").trim(), "");
        assert.match(runs.find((r) => r.step.name === "apply")!.stderr, /disabling 1 plugin\(s\) for the copy's last pass/);
    });
});
