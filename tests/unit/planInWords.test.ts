// The plan in words (planInWords.ts): each row of apply.sh's decision table in words, with the keys named
// as in daemon.json; the data disk, a data-root move with its measured size, the first apply, and an
// unreachable host. The probe's plan reads (drift.ts probeCommand) run here in a real shell, against a
// directory of known size, with stand-ins for docker and sudo.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { daemonConfig } from "../../components/dockerHost/daemonJson";
import { LiveState, parseLiveState, PlanReading, probeCommand } from "../../components/dockerHost/drift";
import { DesiredHost, desiredHost, humanBytes, MOVE_DOWNTIME_WORDS, planInWords, planTarget, unknownPlan } from "../../components/dockerHost/planInWords";

/** A host docker-host configured earlier with `settings`, as the probe reads it. */
function configured(settings: Parameters<typeof daemonConfig>[0], reading: Partial<PlanReading> = {}): LiveState {
    const d = daemonConfig(settings);
    return {
        daemonJson: d.text,
        appliedDaemonJson: d.text,
        dropIn: d.effective.hosts ? "[Service]\nExecStart=\nExecStart=/usr/sbin/dockerd --containerd=/run/containerd/containerd.sock\n" : "",
        appliedDropIn: "",
        dockerRootDir: d.effective.dataRoot ?? "/var/lib/docker",
        storageDriver: "overlay2",
        plan: { diskDropIn: settings.dataDisk ? `[Unit]\nRequiresMountsFor=${settings.dataDisk.mountPoint ?? "/data"}\n` : "", ...reading },
    };
}
const want = (settings: Parameters<typeof daemonConfig>[0]): DesiredHost => desiredHost(settings, daemonConfig(settings));
const DISK = { device: "/dev/vdb" };
const MOUNTED = { dataDisk: { state: "present", filesystem: "xfs", partitionTable: "", mount: { source: "/dev/vdb", filesystem: "xfs" } } } as const;

describe("planInWords", () => {
    it("says nothing to change when the files are in place and the root stays", () => {
        const s = { dataDisk: DISK, daemon: { debug: true } };
        assert.deepEqual(planInWords("web-1", configured(s, MOUNTED), want(s)), { severity: "info", message: "plan: web-1: nothing to change" });
    });

    it("names the keys of a reload, as in daemon.json", () => {
        const before = { daemon: { debug: true } };
        const after = { daemon: { registryMirrors: ["https://mirror.example.com"], maxConcurrentDownloads: 6 } };
        assert.equal(planInWords("web-1", configured(before), want(after)).message, "plan: web-1: reload (debug, max-concurrent-downloads, registry-mirrors)");
    });

    it("names the keys of a restart; containers keep running only when live-restore is on before and after", () => {
        const on = planInWords("web-2", configured({}), want({ daemon: { logMaxSize: "20m", dns: ["10.0.0.53"] } }));
        assert.equal(on.message, "plan: web-2: restart (dns, log-opts; containers keep running: live-restore is on)");
        const off = planInWords("web-2", configured({}), want({ daemon: { liveRestore: false, logMaxSize: "20m" } }));
        assert.equal(off.message, "plan: web-2: restart (live-restore, log-opts; containers restart: live-restore is off)");
        // Turned on in the same change: the daemon that stops still runs without it.
        const turnedOn = planInWords("web-2", configured({ daemon: { liveRestore: false } }), want({ daemon: { logMaxSize: "20m" } }));
        assert.equal(turnedOn.message, "plan: web-2: restart (live-restore, log-opts; containers restart: live-restore takes effect only after this restart)");
    });

    it("restarts for a listen drop-in (hosts) and for a daemon.json in another form, as apply.sh does", () => {
        const hosts = planInWords("h", configured({}), want({ daemon: { hosts: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"] } }));
        assert.equal(hosts.message, "plan: h: restart (hosts, drop-in 10-docker-host.conf; containers keep running: live-restore is on)");
        // Same settings, written by hand on one line: the host cannot tell a reload apart, so it restarts.
        const text = daemonConfig({}).text;
        const handWritten = { ...configured({}), daemonJson: JSON.stringify(JSON.parse(text)) };
        assert.equal(planInWords("h", handWritten, want({})).message, "plan: h: restart (daemon.json rewritten in docker-host's form; containers keep running: live-restore is on)");
        // Only reloadable keys differ, but the installed file is not in docker-host's form: restart too.
        const unsorted = { ...configured({}), daemonJson: `${JSON.stringify({ "storage-driver": "overlay2", "live-restore": true, "log-driver": "json-file", "log-opts": { "max-file": "3", "max-size": "10m" } }, null, 2)}\n` };
        assert.match(planInWords("h", unsorted, want({ daemon: { debug: true } })).message, /^plan: h: restart \(debug;/);
    });

    it("a first apply with a blank data disk: format, move with the bytes measured, restart", () => {
        const live: LiveState = {
            daemonJson: "",
            appliedDaemonJson: "",
            dropIn: "",
            appliedDropIn: "",
            dockerRootDir: "/var/lib/docker",
            storageDriver: "overlay2",
            plan: { diskDropIn: "", rootSize: { bytes: 3435973837, complete: true }, dataDisk: { state: "present", filesystem: "", partitionTable: "" } },
        };
        const line = planInWords("db-1", live, want({ dataDisk: { device: "/dev/nvme1n1", filesystem: "ext4", mountPoint: "/srv/disk/" } }));
        assert.deepEqual(line, {
            severity: "info",
            message:
                "plan: db-1: first apply, no docker-host daemon.json yet; format /dev/nvme1n1 as ext4, mount at /srv/disk; " +
                `move data-root /var/lib/docker → /srv/disk/docker, 3435973837 bytes (3.2 GiB) to copy, measured now; ${MOVE_DOWNTIME_WORDS}; ` +
                "restart (data-root, live-restore, log-driver, log-opts, storage-driver, drop-in 20-docker-host-data-disk.conf)",
        });
    });

    it("a move cut short says 'at least'; a root it could not read says so", () => {
        const s = { daemon: { dataRoot: "/srv/docker" } };
        const partial = planInWords("h", configured({}, { rootSize: { bytes: 1024, complete: false } }), want(s));
        assert.equal(partial.message, `plan: h: move data-root /var/lib/docker → /srv/docker, at least 1024 bytes (1.0 KiB; du stopped after 5 s) to copy, measured now; ${MOVE_DOWNTIME_WORDS}; restart (data-root)`);
        const unreadable = planInWords("h", configured({}, { rootSize: { unreadable: true } }), want(s));
        assert.match(unreadable.message, /move data-root \/var\/lib\/docker → \/srv\/docker, a size it could not measure \(du read nothing as this user\) to copy/);
    });

    it("a data disk the step would refuse, or that is missing, makes the line a warning", () => {
        const s = { dataDisk: DISK };
        const other = planInWords("h", configured(s, { dataDisk: { state: "present", filesystem: "ext4", partitionTable: "" } }), want(s));
        assert.deepEqual(other, { severity: "warning", message: "plan: h: data disk /dev/vdb holds a filesystem (ext4), not xfs: the data-disk step refuses it" });
        const table = planInWords("h", configured(s, { dataDisk: { state: "present", filesystem: "", partitionTable: "gpt" } }), want(s));
        assert.match(table.message, /holds a partition table \(gpt\), not xfs/);
        assert.equal(planInWords("h", configured(s, { dataDisk: { state: "missing" } }), want(s)).severity, "warning");
        const unmounted = planInWords("h", configured(s, { dataDisk: { state: "present", filesystem: "xfs", partitionTable: "" } }), want(s));
        assert.deepEqual(unmounted, { severity: "info", message: "plan: h: mount /dev/vdb (xfs, kept) at /data" });
    });

    it("says what the gate says of the storage driver: a containerd image store turned off when empty, else refused", () => {
        const fresh = (imageStore?: PlanReading["imageStore"]): LiveState => ({
            daemonJson: "",
            appliedDaemonJson: "",
            dropIn: "",
            appliedDropIn: "",
            dockerRootDir: "/var/lib/docker",
            storageDriver: "overlayfs",
            plan: { diskDropIn: "", ...(imageStore ? { imageStore } : {}) },
        });
        assert.deepEqual(planInWords("e29", fresh({ images: 0, containers: 0 }), want({})), {
            severity: "info",
            message:
                "plan: e29: first apply, no docker-host daemon.json yet; turn off the containerd image store, which holds no image and no container (Docker restarts on storage driver overlay2); " +
                "restart (live-restore, log-driver, log-opts, storage-driver; containers restart: live-restore takes effect only after this restart)",
        });
        assert.deepEqual(planInWords("e29", fresh({ images: 2, containers: 1 }), want({ dataDisk: DISK })), {
            severity: "warning",
            message: "plan: e29: the gate refuses: Docker uses the containerd image store, which holds 2 image(s) and 1 container(s) that storage driver overlay2 would no longer see; nothing changes",
        });
        assert.deepEqual(planInWords("v", { ...fresh(), storageDriver: "vfs" }, want({})), {
            severity: "warning",
            message: "plan: v: the gate refuses: Docker uses storage driver vfs, not overlay2 (changing it would hide every image and container); nothing changes",
        });
        // daemon.json already as wanted, the store still on: the apply step restarts anyway.
        const same = { ...configured({}), storageDriver: "overlayfs", plan: { diskDropIn: "", imageStore: { images: 0, containers: 0 } } };
        assert.match(planInWords("h", same, want({})).message, /; restart \(image store; containers keep running: live-restore is on\)$/);
    });

    it("an unreachable host, or dockerd down, is a warning that says the plan is unknown", () => {
        assert.deepEqual(unknownPlan("h", "root@10.0.0.5:22", "Timed out while waiting for handshake"), {
            severity: "warning",
            message: "plan: h: unknown, cannot reach root@10.0.0.5:22: Timed out while waiting for handshake",
        });
        const { dockerRootDir: _, storageDriver: __, ...down } = configured({});
        assert.match(planInWords("h", down, want({})).message, /^plan: h: unknown, Docker is not answering there/);
        assert.equal(planInWords("h", down, want({})).severity, "warning");
    });

    it("prints sizes in binary units", () => {
        assert.deepEqual([0, 1023, 1024, 1536, 52428800, 3435973837].map(humanBytes), ["0 B", "1023 B", "1.0 KiB", "1.5 KiB", "50.0 MiB", "3.2 GiB"]);
    });
});

describe("the probe's plan reads, in a real shell", () => {
    const dir = mkdtempSync(join(tmpdir(), "plan-probe-"));
    after(() => rmSync(dir, { recursive: true, force: true }));
    const bin = join(dir, "bin");
    const root = join(dir, "docker-root");
    mkdirSync(bin);
    mkdirSync(join(root, "volumes", "v1"), { recursive: true });
    mkdirSync(join(root, "image"), { recursive: true });
    writeFileSync(join(root, "volumes", "v1", "data"), Buffer.alloc(3 * 1024 * 1024, 7));
    writeFileSync(join(root, "image", "small"), "x");
    // Stand-ins: dockerd answers on `root`; sudo runs what it is given (for a user who is not root).
    const stub = (name: string, body: string) => {
        writeFileSync(join(bin, name), `#!/bin/sh\n${body}\n`);
        chmodSync(join(bin, name), 0o755);
    };
    // docker info: the root and driver, or (asked on another driver than the one wanted) the store's counts.
    stub("docker", `case "$*" in *Images*) echo '3 1 [["driver-type","io.containerd.snapshotter.v1"]]' ;; *) echo '${root} overlay2' ;; esac`);
    stub("sudo", '[ "$1" = -n ] && shift; exec "$@"');
    const run = (stdin: string, command: string) => spawnSync("sh", ["-c", command], { input: stdin, encoding: "utf8", env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });

    it("measures the live root with du (the apply step's measure) when data-root would move, and reads the disk", () => {
        const { command, stdin } = probeCommand({ dataRoot: "/data/docker", storageDriver: "overlay2", dataDisk: { device: join(dir, "not-a-device"), mountPoint: join(dir, "mnt") } });
        const res = run(stdin, command);
        assert.equal(res.status, 0, res.stderr);
        const live = parseLiveState(res.stdout);
        const du = spawnSync("du", ["-sx", "--block-size=1", root], { encoding: "utf8" });
        assert.deepEqual(live.plan?.rootSize, { bytes: Number(du.stdout.split("\t")[0]), complete: true });
        assert.ok((live.plan?.rootSize as { bytes: number }).bytes >= 3 * 1024 * 1024);
        assert.deepEqual(live.plan?.dataDisk, { state: "missing" });
        assert.equal(live.dockerRootDir, root);
    });

    it("does not run du when the root stays, nor read the image store on the driver wanted", () => {
        const { command, stdin } = probeCommand({ dataRoot: root, storageDriver: "overlay2" });
        const live = parseLiveState(run(stdin, command).stdout);
        assert.deepEqual(live.plan, { diskDropIn: live.plan!.diskDropIn });
    });

    it("reads the containerd image store's counts when Docker runs on another driver", () => {
        const { command, stdin } = probeCommand({ dataRoot: root, storageDriver: "btrfs" });
        const live = parseLiveState(run(stdin, command).stdout);
        assert.deepEqual(live.plan?.imageStore, { images: 3, containers: 1 });
    });

    it("takes the user's values on stdin only, and refuses one that is not a plain path", () => {
        const { command, stdin } = probeCommand(planTarget(want({ dataDisk: { device: "/dev/vdb", mountPoint: "/data" } })));
        assert.equal(stdin, "/data/docker\noverlay2\n/dev/vdb\n/data\n");
        assert.doesNotMatch(command, /\/dev\/vdb|\/data\b/);
        assert.throws(() => probeCommand({ dataRoot: "/data/docker\n/etc", storageDriver: "overlay2" }), /not a plain path/);
        assert.throws(() => probeCommand({ dataRoot: "/data/$(reboot)", storageDriver: "overlay2" }), /not a plain path/);
    });

    it("parses a disk with a filesystem, a blank one, what is mounted, and a du stopped early", () => {
        const sections = (du: string, disk: string, mount: string) => `{}\0{}\0\0\0/var/lib/docker overlay2\0\0${du}\0${disk}\0${mount}\0`;
        const xfs = parseLiveState(sections("", "present\nDEVNAME=/dev/vdb\nUUID=1234\nTYPE=xfs\nstatus=0\n", "/dev/vdb xfs\n")).plan;
        assert.deepEqual(xfs?.dataDisk, { state: "present", filesystem: "xfs", partitionTable: "", mount: { source: "/dev/vdb", filesystem: "xfs" } });
        assert.deepEqual(parseLiveState(sections("", "present\nstatus=2\n", "")).plan?.dataDisk, { state: "present", filesystem: "", partitionTable: "" });
        assert.deepEqual(parseLiveState(sections("", "present\nstatus=1\n", "")).plan?.dataDisk, { state: "unreadable" });
        const partial = parseLiveState(sections("100\t/var/lib/docker/image\n200\t/var/lib/docker/volumes\nstatus=124\n", "", "")).plan;
        assert.deepEqual(partial?.rootSize, { bytes: 300, complete: false });
        assert.deepEqual(parseLiveState(sections("status=1\n", "", "")).plan?.rootSize, { unreadable: true });
        // The image store section: counts only where the driver status names a containerd snapshotter.
        const store = (text: string) => parseLiveState(`${sections("", "", "")}${text}\0`).plan?.imageStore;
        assert.deepEqual(store('0 0 [["driver-type","io.containerd.snapshotter.v1"]]\n'), { images: 0, containers: 0 });
        assert.equal(store('4 2 [["Backing Filesystem","extfs"]]\n'), undefined);
        assert.equal(store(""), undefined);
    });
});
