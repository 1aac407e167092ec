// Drift detection: read a host's live daemon.json, docker-host drop-in and `docker info` over SSH (during
// preview and up), compare them with what docker-host last applied there, and say per key what changed
// outside Pulumi. The apply step records what it applied (lib.sh's DH_APPLIED_*), so "last applied" needs
// no access to Pulumi state.
import { createHash } from "node:crypto";
import { Client } from "ssh2";
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
}

/** What a drift check found. */
export interface DriftReport {
    /** One line per finding, ready for `pulumi.log.warn`. Empty when the host is as last applied. */
    readonly findings: readonly string[];
    /** Set when files were changed outside Pulumi: added to the apply step so the next `up` restores them. */
    readonly repairToken?: string;
}

// Static: no user value (the paths are lib.sh's plain constants). NUL-separated so file contents cannot be
// confused with separators.
const READ_COMMAND = [
    ...[HOST_PATHS.daemonJson, HOST_PATHS.appliedDaemonJson, HOST_PATHS.listenDropIn, HOST_PATHS.appliedListenDropIn].map((file) => `cat ${file} 2>/dev/null; printf '\\0'`),
    "if [ \"$(id -u)\" -eq 0 ]; then d=docker; else d='sudo -n docker'; fi; $d info --format '{{.DockerRootDir}} {{.Driver}}' 2>/dev/null || true",
].join("; ");

/** Parses what READ_COMMAND prints. */
export function parseLiveState(stdout: string): LiveState {
    const parts = stdout.split("\0");
    if (parts.length < 5) throw new Error("unexpected output from the drift probe");
    const [root, driver] = parts[4]!.trim().split(" ");
    return {
        daemonJson: parts[0]!,
        appliedDaemonJson: parts[1]!,
        dropIn: parts[2]!,
        appliedDropIn: parts[3]!,
        ...(root && driver ? { dockerRootDir: root, storageDriver: driver } : {}),
    };
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

/** Reads the live state over SSH (through the bastion when there is one; pinned host keys enforced).
 *  Rejects with HostKeyMismatchError on a wrong host key, else with a clear reason. */
export function readLiveState(connection: Resolved<SshConnection>, limits: SshLimits = DEFAULT_SSH_LIMITS): Promise<LiveState> {
    const probe = (client: Client) =>
        new Promise<LiveState>((resolve, reject) =>
            client.exec(READ_COMMAND, (err, stream) => {
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
            }),
        );
    return withSsh(connection, probe, limits).catch((e: Error) => {
        throw e instanceof HostKeyMismatchError ? e : new Error(`cannot read the live state of ${endpointOf(connection)}: ${e.message}`);
    });
}
