// The physical floor: the host-side work of a change done directly over plain parallel SSH, one session per
// host, no engine, no checks, no transaction — what any tool has to pay at least.
import { spawn } from "node:child_process";
import { SandboxHost } from "../tests/host/harness";

/** Cold: format and mount the data disk as the component does by default (xfs, ftype=1, at /data), write
 *  the daemon.json the component wrote (stdin), restart Docker, wait until `docker info` answers. */
const COLD = [
    "set -eu",
    "mkfs.xfs -q -n ftype=1 /dev/vdb",
    "mkdir -p /data /etc/docker",
    "mount /dev/vdb /data",
    "cat >/etc/docker/daemon.json",
    "systemctl restart docker",
    "until docker info >/dev/null 2>&1; do sleep 0.05; done",
].join("\n");

/** Reload: write the daemon.json the component wrote for the change, reload dockerd (SIGHUP), wait for `docker info`. */
const RELOAD = ["set -eu", "cat >/etc/docker/daemon.json", "systemctl reload docker", "until docker info >/dev/null 2>&1; do sleep 0.05; done"].join("\n");

/** Probe: read what a preview's probe reads at least, the live daemon.json and `docker info` (stdin unused). */
const PROBE = ["set -eu", "cat /etc/docker/daemon.json >/dev/null", "docker info >/dev/null"].join("\n");

const SCRIPTS = { cold: COLD, reload: RELOAD, probe: PROBE } as const;
export type FloorKind = keyof typeof SCRIPTS;

/** A host that stops answering fails the run within about a minute instead of hanging it. */
const SSH_BOUNDS = ["-o", "ConnectTimeout=15", "-o", "ServerAliveInterval=5", "-o", "ServerAliveCountMax=6"];

function sshRun(host: SandboxHost, script: string, input: string): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(
            "ssh",
            ["-i", host.privateKeyPath, "-p", String(host.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", ...SSH_BOUNDS, `root@${host.host}`, script],
            { stdio: ["pipe", "ignore", "pipe"] },
        );
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.stdin.end(input);
        child.on("close", (status) => (status === 0 ? resolve() : reject(new Error(`physical floor on ${host.name} failed (exit ${status}): ${stderr}`))));
    });
}

/** Seconds until every host has done `kind`, all hosts at once; `daemonJson[i]` is what hosts[i] gets. */
export async function physicalFloor(kind: FloorKind, hosts: readonly SandboxHost[], daemonJson: readonly string[]): Promise<number> {
    if (daemonJson.length !== hosts.length) throw new Error(`internal: ${daemonJson.length} daemon.json texts for ${hosts.length} hosts`);
    const started = process.hrtime.bigint();
    await Promise.all(hosts.map((h, i) => sshRun(h, SCRIPTS[kind], daemonJson[i]!)));
    return Number(process.hrtime.bigint() - started) / 1e9;
}
