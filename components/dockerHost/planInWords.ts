// The plan in words: what a preview's probe read on a host (drift.ts) and what the stack wants there, in one
// line per host for the operator and the pull request ("plan: web-1: reload (registry-mirrors)"). Pure. It
// predicts the apply step's own decision (scripts/apply.sh decide_action), row by row:
//
//   data-root   drop-ins    daemon.json   apply does   words
//   moves       any         any           restart      move data-root FROM → TO, N bytes …; restart (keys)
//   stays       changed     any           restart      restart (keys, drop-ins; containers …)
//   stays       in force    same          nothing      nothing to change
//   stays       in force    reloadable    reload       reload (keys)
//   stays       in force    otherwise     restart      restart (keys; containers …)
//
// "reloadable": both files canonical and equal apart from the keys dockerd reloads (RELOADABLE_DAEMON_KEYS,
// as restartClassDigest projects them). Before all, the gate (gate.sh): Docker on another storage driver than
// the one wanted is refused, and the line says only that — unless it is an empty containerd image store,
// which the apply step's restart turns off. The data disk's step comes first ("format DEVICE as FS, mount at
// MOUNT"). What the plan cannot see the same way as the host: a drop-in edited on disk while dockerd runs
// with the right one (the host rewrites it with a reload; the plan says nothing to change).
import { DATA_DISK_DEFAULTS, HostSettings, StorageDriver } from "./args";
import { changedDaemonKeys, DaemonConfig, isCanonicalDaemonJson, restartClassDigest } from "./daemonJson";
import { DataDiskReading, LiveState, PlanTarget, RootSize, ROOT_SIZE_SECONDS } from "./drift";
import { HOST_PATHS } from "./hostConstants";
import { trimSlash } from "./values";

/**
 * What a data-root move costs the containers, said in every plan line of a move. One constant: the move's
 * downtime depends on how lib.sh's move_root copies (a live pass while Docker runs, then Docker and every
 * container stopped for the delta and its verification).
 */
export const MOVE_DOWNTIME_WORDS = "copied live first, then every container stops for the final delta copy";

/** One line of the plan, for `pulumi.log.info` (or `warn`) on the host's component. */
export interface PlanLine {
    readonly severity: "info" | "warning";
    /** `plan: <hostName>: <words>` (the preview workflow's PR comment greps "plan: "). */
    readonly message: string;
}

/** What the stack wants on a host, as the plan compares it (desiredHost makes one from the settings). */
export interface DesiredHost {
    /** The exact daemon.json (DaemonConfig.text). */
    readonly daemonJson: string;
    /** The data-root Docker will run on (Docker's default when the config sets none). */
    readonly dataRoot: string;
    /** The storage driver the gate requires and daemon.json names. */
    readonly storageDriver: string;
    /** Whether the new daemon.json turns live-restore on. */
    readonly liveRestore: boolean;
    readonly dataDisk?: { readonly device: string; readonly filesystem: string; readonly mountPoint: string };
}

/** The desired side of a host's plan, from its settings and daemon config. */
export function desiredHost(settings: Pick<HostSettings, "dataDisk">, daemon: DaemonConfig): DesiredHost {
    const disk = settings.dataDisk;
    return {
        daemonJson: daemon.text,
        dataRoot: daemon.effective.dataRoot ?? HOST_PATHS.defaultDataRoot,
        storageDriver: daemon.effective.storageDriver ?? StorageDriver.Overlay2,
        liveRestore: daemon.effective.liveRestore === true,
        ...(disk
            ? {
                  dataDisk: {
                      device: disk.device,
                      filesystem: disk.filesystem ?? DATA_DISK_DEFAULTS.filesystem,
                      mountPoint: trimSlash(disk.mountPoint ?? DATA_DISK_DEFAULTS.mountPoint),
                  },
              }
            : {}),
    };
}

/** What the probe must read on the host for this plan (drift.ts probeCommand). */
export function planTarget(desired: DesiredHost): PlanTarget {
    return {
        dataRoot: desired.dataRoot,
        storageDriver: desired.storageDriver,
        ...(desired.dataDisk ? { dataDisk: { device: desired.dataDisk.device, mountPoint: desired.dataDisk.mountPoint } } : {}),
    };
}

/** The line for a host the probe could not read (unreachable, timed out): a warning, never an error. */
export function unknownPlan(hostName: string, endpoint: string, reason: string): PlanLine {
    return { severity: "warning", message: `plan: ${hostName}: unknown, cannot reach ${endpoint}: ${reason}` };
}

/** The plan line of one host. `live` must come from a probe with the plan's reads (live.plan set). */
export function planInWords(hostName: string, live: LiveState, desired: DesiredHost): PlanLine {
    const line = (severity: PlanLine["severity"], words: string): PlanLine => ({ severity, message: `plan: ${hostName}: ${words}` });
    const reading = live.plan;
    if (!reading) return line("warning", "unknown, the probe read no plan");
    if (live.dockerRootDir === undefined) {
        return line("warning", "unknown, Docker is not answering there (docker info failed); the apply step refuses to change a host whose dockerd is down");
    }
    const storeOff = live.storageDriver !== desired.storageDriver && reading.imageStore !== undefined;
    const refusal = gateRefusal(live, desired);
    if (refusal) return line("warning", `the gate refuses: ${refusal}; nothing changes`);
    const parts: string[] = [];
    let severity: PlanLine["severity"] = "info";

    if (live.appliedDaemonJson === "") parts.push(`first apply, no docker-host daemon.json yet${live.daemonJson === "" ? "" : " (the host's own is kept for destroy)"}`);

    if (desired.dataDisk) {
        const disk = diskWords(desired.dataDisk, reading.dataDisk);
        if (disk) {
            parts.push(disk.words);
            if (disk.refused) severity = "warning";
        }
    }

    if (storeOff) parts.push(`turn off the containerd image store, which holds no image and no container (Docker restarts on storage driver ${desired.storageDriver})`);

    const moves = live.dockerRootDir !== desired.dataRoot;
    if (moves) parts.push(`move data-root ${live.dockerRootDir} → ${desired.dataRoot}, ${sizeWords(reading.rootSize)} to copy, measured now; ${MOVE_DOWNTIME_WORDS}`);

    const dropIns = changedDropIns(live, desired);
    const json = daemonJsonChange(live.daemonJson, desired.daemonJson);
    const restart = moves || dropIns.length > 0 || json.kind === "restart" || storeOff;
    if (restart) {
        const what = [...json.keys, ...dropIns, ...(storeOff && json.kind !== "restart" ? ["image store"] : [])];
        const reasons = what.length > 0 ? what.join(", ") : "daemon.json rewritten in docker-host's form";
        // A move's own words say what happens to the containers.
        parts.push(`restart (${reasons}${moves ? "" : `; ${containerWords(live.daemonJson, desired.liveRestore)}`})`);
    } else if (json.kind === "reload") {
        parts.push(`reload (${json.keys.join(", ")})`);
    }
    return line(severity, parts.length > 0 ? parts.join("; ") : "nothing to change");
}

/** Why gate.sh refuses the host's storage driver, or undefined when it passes: Docker must already run on the
 *  driver wanted, or on a containerd image store that holds nothing (the apply step's restart turns it off). */
function gateRefusal(live: LiveState, desired: DesiredHost): string | undefined {
    if (live.storageDriver === undefined || live.storageDriver === desired.storageDriver) return undefined;
    const store = live.plan?.imageStore;
    if (!store) return `Docker uses storage driver ${live.storageDriver}, not ${desired.storageDriver} (changing it would hide every image and container)`;
    if (store.images === 0 && store.containers === 0) return undefined;
    return `Docker uses the containerd image store, which holds ${store.images} image(s) and ${store.containers} container(s) that storage driver ${desired.storageDriver} would no longer see`;
}

/** What a restart does to running containers: they outlive dockerd only when the daemon being stopped
 *  already runs with live-restore (the running dockerd's setting decides, at its shutdown). */
function containerWords(liveJson: string, newLiveRestore: boolean): string {
    if (!newLiveRestore) return "containers restart: live-restore is off";
    if (parseObject(liveJson)?.["live-restore"] === true) return "containers keep running: live-restore is on";
    return "containers restart: live-restore takes effect only after this restart";
}

/** How daemon.json changes: not at all, only in keys dockerd reloads, or in keys that need a restart. */
function daemonJsonChange(liveJson: string, desiredJson: string): { kind: "same" | "reload" | "restart"; keys: string[] } {
    if (liveJson === desiredJson) return { kind: "same", keys: [] };
    // No daemon.json yet: every key is new, and the host restarts (apply.sh has nothing to compare with).
    if (liveJson.trim() === "") return { kind: "restart", keys: changedDaemonKeys("{}", desiredJson) };
    if (parseObject(liveJson) === undefined) return { kind: "restart", keys: ["daemon.json replaced (not valid JSON)"] };
    const keys = changedDaemonKeys(liveJson, desiredJson);
    // The host reloads only between two files in docker-host's form (apply.sh's restart_projection); a
    // hand-written one is restarted to be safe.
    const reloadable = isCanonicalDaemonJson(liveJson) && restartClassDigest(liveJson) === restartClassDigest(desiredJson);
    return { kind: reloadable ? "reload" : "restart", keys };
}

/** The docker.service drop-ins whose change makes dockerd start again (apply.sh's drop_ins_state). */
function changedDropIns(live: LiveState, desired: DesiredHost): string[] {
    const changed: string[] = [];
    const wantListen = parseObject(desired.daemonJson)?.["hosts"] !== undefined;
    if (wantListen !== (live.dropIn !== "")) changed.push(`drop-in ${basename(HOST_PATHS.listenDropIn)}`);
    // disk.sh writes exactly this line for the mount point.
    if (desired.dataDisk && !live.plan!.diskDropIn.split("\n").includes(`RequiresMountsFor=${desired.dataDisk.mountPoint}`)) {
        changed.push(`drop-in ${basename(HOST_PATHS.diskDropIn)}`);
    }
    return changed;
}

/** What the data-disk step will do, or undefined when the disk is ready (right filesystem, mounted there). */
function diskWords(want: NonNullable<DesiredHost["dataDisk"]>, disk: DataDiskReading | undefined): { words: string; refused?: boolean } | undefined {
    const { device, filesystem, mountPoint } = want;
    if (!disk || disk.state === "unreadable") return { words: `data disk ${device}: state unknown (blkid could not read it as this user)` };
    if (disk.state === "missing") return { words: `data disk ${device} does not exist on the host: the data-disk step will fail`, refused: true };
    if (disk.filesystem === "" && disk.partitionTable === "") return { words: `format ${device} as ${filesystem}, mount at ${mountPoint}` };
    if (disk.filesystem !== filesystem) {
        const holds = disk.filesystem !== "" ? `a filesystem (${disk.filesystem})` : `a partition table (${disk.partitionTable})`;
        return { words: `data disk ${device} holds ${holds}, not ${filesystem}: the data-disk step refuses it`, refused: true };
    }
    if (disk.mount?.filesystem === filesystem) return undefined;
    if (disk.mount) return { words: `${disk.mount.source} (${disk.mount.filesystem}) is mounted at ${mountPoint}: the data-disk step refuses it`, refused: true };
    return { words: `mount ${device} (${filesystem}, kept) at ${mountPoint}` };
}

/** "3435973837 bytes (3.2 GiB)", "at least …" when du was cut short. */
export function sizeWords(size: RootSize | undefined): string {
    if (size === undefined || "unreadable" in size) return "a size it could not measure (du read nothing as this user)";
    const human = humanBytes(size.bytes);
    return size.complete ? `${size.bytes} bytes (${human})` : `at least ${size.bytes} bytes (${human}; du stopped after ${ROOT_SIZE_SECONDS} s)`;
}

/** Binary units with one decimal: "512 B", "3.2 GiB". */
export function humanBytes(bytes: number): string {
    const units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let value = bytes;
    let unit = 0;
    while (value >= 1024 && unit < units.length - 1) {
        value /= 1024;
        unit++;
    }
    return unit === 0 ? `${bytes} B` : `${value.toFixed(1)} ${units[unit]}`;
}

function parseObject(text: string): Record<string, unknown> | undefined {
    if (text.trim() === "") return undefined;
    try {
        const value: unknown = JSON.parse(text);
        return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
    } catch {
        return undefined;
    }
}

function basename(path: string): string {
    return path.slice(path.lastIndexOf("/") + 1);
}
