// The host probe and drift detection: read a host's live daemon.json, docker-host drop-in and `docker info`
// over SSH in one session (plus, in a preview, what the plan in words needs: planInWords.ts), compare them
// with what docker-host last applied there, and say per key what changed outside Pulumi. The apply step
// records what it applied (lib.sh's DH_APPLIED_*), so "last applied" needs no access to Pulumi state.
import { createHash } from "node:crypto";
import type { Client } from "ssh2";
import { Resolved, SshConnection } from "./args";
import { HOST_PATHS } from "./hostConstants";
import { DEFAULT_SSH_LIMITS, endpointOf, HostKeyMismatchError, SshLimits, withSsh } from "./ssh";

/** What the host has now, and what docker-host applied last ("" when absent). */
export interface LiveState {
    readonly daemonJson: string;
    readonly appliedDaemonJson: string;
    readonly dropIn: string;
    readonly appliedDropIn: string;
    /** `docker info` facts, or undefined when dockerd did not answer. */
    readonly dockerRootDir?: string;
    readonly storageDriver?: string;
    /** What only a preview's plan reads (planInWords.ts); absent when the probe was a drift check alone. */
    readonly plan?: PlanReading;
}

/** The part of the probe a plan needs: the data disk's drop-in, the size of a root that would move, the disk,
 *  and the containerd image store. */
export interface PlanReading {
    /** The docker.service drop-in of the data disk (20-docker-host-data-disk.conf), "" when absent. */
    readonly diskDropIn: string;
    /** Bytes under the live data-root (one filesystem, `du`), read only when data-root would move. */
    readonly rootSize?: RootSize;
    /** The data disk's state, read only when the host has one configured. */
    readonly dataDisk?: DataDiskReading;
    /** What Docker's containerd image store holds (docker info's counts), read only when Docker runs on
     *  another storage driver than the one wanted and that driver is a containerd snapshotter (gate.sh). */
    readonly imageStore?: { readonly images: number; readonly containers: number };
}

/** `du -x --block-size=1` of the live root, the measure the apply step's fit check uses (lib.sh). */
export type RootSize =
    /** `complete`: du finished; else it was stopped at its time bound (or could not read everything) and
     *  `bytes` is what it had counted: a lower bound. */
    | { readonly bytes: number; readonly complete: boolean }
    /** du printed nothing (e.g. a user without sudo cannot read the root). */
    | { readonly unreadable: true };

/** The configured data disk as the probe found it. */
export type DataDiskReading =
    | { readonly state: "missing" }
    | { readonly state: "unreadable" }
    /** `filesystem`/`partitionTable` as blkid names them, "" when none (a blank device has neither). */
    | { readonly state: "present"; readonly filesystem: string; readonly partitionTable: string; readonly mount?: MountReading };

/** What is mounted at the configured mount point, if anything. */
export interface MountReading {
    readonly source: string;
    readonly filesystem: string;
}

/** What the plan part of the probe looks at: the desired data-root, storage driver and data disk (user
 *  values, validated). */
export interface PlanTarget {
    readonly dataRoot: string;
    readonly storageDriver: string;
    readonly dataDisk?: { readonly device: string; readonly mountPoint: string };
}

/** Seconds `du` may spend measuring a root that would move; a longer count says "at least". */
export const ROOT_SIZE_SECONDS = 5;

/** What a drift check found. */
export interface DriftReport {
    /** One line per finding, ready for `pulumi.log.warn`. Empty when the host is as last applied. */
    readonly findings: readonly string[];
    /** Set when files were changed outside Pulumi: added to the apply step so the next `up` restores them. */
    readonly repairToken?: string;
}

// The probe: one SSH session reads everything the drift check and the plan need. Its only parameters are
// user values (data-root, device, mount point) and travel on stdin, never in the command (as the steps'
// do); paths of docker-host's own are lib.sh's plain constants. A user other than root reads root-only
// things through `sudo -n` and gets nothing where sudo refuses (the parse says "unreadable"). Sections are
// NUL-separated, so file contents cannot be confused with separators.
const SUDO = "if [ \"$(id -u)\" -eq 0 ]; then s=; else s='sudo -n'; fi";
const DRIFT_SECTIONS = [
    ...[HOST_PATHS.daemonJson, HOST_PATHS.appliedDaemonJson, HOST_PATHS.listenDropIn, HOST_PATHS.appliedListenDropIn].map((file) => `cat ${file} 2>/dev/null; printf '\\0'`),
    "info=$($s docker info --format '{{.DockerRootDir}} {{.Driver}}' 2>/dev/null) || info=''; printf '%s\\0' \"$info\"",
];
const PLAN_SECTIONS = [
    `cat ${HOST_PATHS.diskDropIn} 2>/dev/null; printf '\\0'`,
    // du prints each top-level directory as it finishes it and the root last: stopped early, the lines so
    // far still add up to a lower bound.
    `live=\${info% *}; if [ -n "$live" ] && [ "$live" != "$want_root" ]; then $s timeout ${ROOT_SIZE_SECONDS} du -x --block-size=1 -d 1 -- "$live" 2>/dev/null; echo "status=$?"; fi; printf '\\0'`,
    // blkid exits 2 on a device without any signature (blank).
    `if [ -n "$device" ]; then if [ -b "$device" ]; then echo present; $s blkid -p -o export -- "$device" 2>/dev/null; echo "status=$?"; else echo missing; fi; fi; printf '\\0'`,
    `if [ -n "$mount_point" ]; then findmnt -rn -o SOURCE,FSTYPE --mountpoint "$mount_point" 2>/dev/null; fi; printf '\\0'`,
    // On another driver than the one wanted: the containerd image store's counts, as the gate reads them.
    `if [ -n "$info" ] && [ "\${info##* }" != "$want_driver" ]; then $s docker info --format '{{.Images}} {{.Containers}} {{json .DriverStatus}}' 2>/dev/null; fi; printf '\\0'`,
];
const DRIFT_COMMAND = [SUDO, ...DRIFT_SECTIONS].join("; ");
const PLAN_COMMAND = ["IFS= read -r want_root; IFS= read -r want_driver; IFS= read -r device; IFS= read -r mount_point", SUDO, ...DRIFT_SECTIONS, ...PLAN_SECTIONS].join("; ");

/** The probe's command and stdin: the drift check's reads, plus the plan's when there is a target. */
export function probeCommand(target?: PlanTarget): { command: string; stdin: string } {
    if (!target) return { command: DRIFT_COMMAND, stdin: "" };
    const values = [target.dataRoot, target.storageDriver, target.dataDisk?.device ?? "", target.dataDisk?.mountPoint ?? ""];
    // Validation admits only plain paths; a line break would shift the values the command reads.
    for (const v of values) if (!/^[A-Za-z0-9._@+/-]*$/.test(v)) throw new Error(`internal: probe value ${JSON.stringify(v)} is not a plain path`);
    return { command: PLAN_COMMAND, stdin: values.map((v) => `${v}\n`).join("") };
}

/** Parses what the probe prints (probeCommand). */
export function parseLiveState(stdout: string): LiveState {
    const parts = stdout.split("\0");
    if (parts.length < 6) throw new Error("unexpected output from the drift probe");
    const [root, driver] = parts[4]!.trim().split(" ");
    return {
        daemonJson: parts[0]!,
        appliedDaemonJson: parts[1]!,
        dropIn: parts[2]!,
        appliedDropIn: parts[3]!,
        ...(root && driver ? { dockerRootDir: root, storageDriver: driver } : {}),
        ...(parts.length >= 10 ? { plan: parsePlanReading(parts.slice(5, 10), root) } : {}),
    };
}

function parsePlanReading([diskDropIn, du, disk, mount, store]: string[], liveRoot: string | undefined): PlanReading {
    const rootSize = du === "" ? undefined : parseRootSize(du!, liveRoot ?? "");
    const dataDisk = disk === "" ? undefined : parseDataDisk(disk!, mount!);
    const imageStore = parseImageStore(store ?? "");
    return { diskDropIn: diskDropIn!, ...(rootSize ? { rootSize } : {}), ...(dataDisk ? { dataDisk } : {}), ...(imageStore ? { imageStore } : {}) };
}

/** "IMAGES CONTAINERS DRIVER_STATUS_JSON": the counts when the status names a containerd snapshotter (as
 *  lib.sh's containerd_store_contents decides). */
function parseImageStore(text: string): PlanReading["imageStore"] {
    const m = /^(\d+) (\d+) (.*)$/s.exec(text.trim());
    if (!m || !m[3]!.includes("io.containerd.snapshotter")) return undefined;
    return { images: Number(m[1]), containers: Number(m[2]) };
}

/** du's "BYTES<TAB>PATH" lines then "status=N": the root's own line when du got there, else the sum so far. */
function parseRootSize(text: string, liveRoot: string): RootSize {
    const lines = text.trim().split("\n");
    const status = /^status=(\d+)$/.exec(lines.pop() ?? "")?.[1];
    const entries = lines.map((l) => /^(\d+)\t(.*)$/.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    if (entries.length === 0) return { unreadable: true };
    const total = entries.find((m) => m[2] === liveRoot);
    if (total) return { bytes: Number(total[1]), complete: status === "0" };
    return { bytes: entries.reduce((sum, m) => sum + Number(m[1]), 0), complete: false };
}

function parseDataDisk(text: string, mount: string): DataDiskReading {
    const lines = text.trim().split("\n");
    if (lines[0] === "missing") return { state: "missing" };
    const status = /^status=(\d+)$/.exec(lines.at(-1) ?? "")?.[1];
    if (status !== "0" && status !== "2") return { state: "unreadable" };
    const field = (name: string) => lines.find((l) => l.startsWith(`${name}=`))?.slice(name.length + 1) ?? "";
    const [source, fs] = mount.trim().split(" ");
    return { state: "present", filesystem: field("TYPE"), partitionTable: field("PTTYPE"), ...(source && fs ? { mount: { source, filesystem: fs } } : {}) };
}

/** Compares the live state with what was last applied and with what the stack wants. Pure. */
export function describeDrift(hostName: string, live: LiveState, desired: { dataRoot: string; storageDriver: string }): DriftReport {
    const findings: string[] = [];
    let changedOutside = false;
    if (live.appliedDaemonJson !== "" && live.daemonJson !== live.appliedDaemonJson) {
        changedOutside = true;
        const changes = keyChanges(live.appliedDaemonJson, live.daemonJson);
        findings.push(`daemon.json on ${hostName}: ${changes.join(", ")}, changed outside Pulumi; the next up restores it`);
    }
    if (live.appliedDaemonJson !== "" && live.dropIn !== live.appliedDropIn) {
        changedOutside = true;
        findings.push(
            `docker.service drop-in 10-docker-host.conf on ${hostName}: ${live.dropIn === "" ? "removed" : live.appliedDropIn === "" ? "added" : "edited"}, changed outside Pulumi; the next up restores it`,
        );
    }
    if (live.appliedDaemonJson !== "") {
        if (live.dockerRootDir === undefined) {
            findings.push(`Docker on ${hostName} is not answering (docker info failed)`);
        } else {
            if (live.dockerRootDir !== desired.dataRoot) findings.push(`Docker on ${hostName} runs on ${live.dockerRootDir}, not ${desired.dataRoot}`);
            if (live.storageDriver !== desired.storageDriver) findings.push(`Docker on ${hostName} uses storage driver ${live.storageDriver}, not ${desired.storageDriver}`);
        }
    }
    const repairToken = changedOutside ? createHash("sha256").update(`${live.daemonJson}\0${live.dropIn}`).digest("hex").slice(0, 12) : undefined;
    return { findings, ...(repairToken ? { repairToken } : {}) };
}

/** "key before → after" for every top-level key that differs; files that are not JSON are named whole. */
export function keyChanges(before: string, after: string): string[] {
    let a: Record<string, unknown>;
    let b: Record<string, unknown>;
    try {
        a = before.trim() === "" ? {} : (JSON.parse(before) as Record<string, unknown>);
        b = after.trim() === "" ? {} : (JSON.parse(after) as Record<string, unknown>);
    } catch {
        return [after.trim() === "" ? "removed" : "no longer valid JSON"];
    }
    const show = (v: unknown) => (v === undefined ? "(unset)" : JSON.stringify(v));
    const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
    const changes = keys.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map((k) => `${k} ${show(a[k])} → ${show(b[k])}`);
    return changes.length > 0 ? changes : ["reformatted (same settings)"];
}

/** The probe could not run: the host did not answer in time, refused, or answered nonsense. */
export class ProbeError extends Error {
    constructor(
        /** "user@host:port" of the host. */
        readonly endpoint: string,
        /** Why, in the SSH library's or the parser's words. */
        readonly reason: string,
    ) {
        super(`cannot read the live state of ${endpoint}: ${reason}`);
        this.name = "ProbeError";
    }
}

/**
 * Reads the live state over SSH in one session (through the bastion when there is one; pinned host keys
 * enforced), with the plan's reads when `target` is given. Rejects with HostKeyMismatchError on a wrong host
 * key, else with a ProbeError.
 */
export function readLiveState(connection: Resolved<SshConnection>, options: { target?: PlanTarget; limits?: SshLimits } = {}): Promise<LiveState> {
    const { command, stdin } = probeCommand(options.target);
    const probe = (client: Client) =>
        new Promise<LiveState>((resolve, reject) =>
            client.exec(command, (err, stream) => {
                if (err) return reject(err);
                let out = "";
                stream.on("data", (d: Buffer) => (out += d.toString("utf8")));
                stream.stderr.on("data", () => undefined);
                stream.on("close", () => {
                    try {
                        resolve(parseLiveState(out));
                    } catch (e) {
                        reject(e as Error);
                    }
                });
                stream.end(stdin);
            }),
        );
    return withSsh(connection, probe, options.limits ?? DEFAULT_SSH_LIMITS).catch((e: Error) => {
        throw e instanceof HostKeyMismatchError ? e : new ProbeError(endpointOf(connection), e.message);
    });
}
