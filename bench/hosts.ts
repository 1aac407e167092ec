// Fleets of fresh sandbox hosts for the benchmark, and what can be read about them without opening an SSH
// session (which would itself be counted).
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { acceptedConnections, SandboxHost } from "../tests/host/harness";

const SANDBOX = join(__dirname, "../sandbox/sandbox");
/** Hosts booted at once: booting is CPU-bound (2 cores here) and the sandbox serialises index allocation. */
const BOOT_CONCURRENCY = 4;

function sandboxAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(SANDBOX, args, { stdio: ["ignore", "pipe", "pipe"] });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (status) => resolve({ status, stdout, stderr }));
    });
}

async function pool<T, R>(items: readonly T[], limit: number, f: (item: T) => Promise<R>): Promise<R[]> {
    const results: R[] = new Array(items.length);
    let next = 0;
    const worker = async () => {
        while (next < items.length) {
            const i = next++;
            results[i] = await f(items[i]!);
        }
    };
    await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
    return results;
}

/** Sandbox host names start with this (BENCH_HOST_PREFIX, default "bench-"), so a run on a shared machine
 *  boots and removes only its own hosts. */
export const HOST_PREFIX = process.env.BENCH_HOST_PREFIX ?? "bench-";
if (!/^[a-z0-9][a-z0-9-]{0,20}$/.test(HOST_PREFIX)) {
    throw new Error(`BENCH_HOST_PREFIX: "${HOST_PREFIX}" is not a sandbox host name prefix. Fix: 1–21 characters of a-z, 0-9 and -, starting with a letter or digit, e.g. "bench-".`);
}

/** `count` host names: PREFIX1…PREFIXN, or PREFIX<kind>-1… for another set (e.g. the physical floor's). */
export const hostNames = (count: number, kind = ""): string[] => Array.from({ length: count }, (_, i) => `${HOST_PREFIX}${kind ? `${kind}-` : ""}${i + 1}`);

/** Boots fresh hosts of these names, each with a blank data disk at /dev/vdb (leftovers removed first). */
export async function bootHosts(names: readonly string[]): Promise<SandboxHost[]> {
    try {
        return await pool(names, BOOT_CONCURRENCY, async (name) => {
            // One retry: under load a container's first boot now and then exits early (nspawn status 255).
            for (let attempt = 1; ; attempt++) {
                await sandboxAsync("down", name);
                const res = await sandboxAsync("up", name);
                if (res.status === 0) return JSON.parse(res.stdout.trim().split("\n").pop()!) as SandboxHost;
                if (attempt === 2) throw new Error(`sandbox up ${name} failed twice:\n${res.stderr}`);
            }
        });
    } catch (err) {
        await downHosts(names.map((name) => ({ name })));
        throw err;
    }
}

export async function downHosts(hosts: readonly { name: string }[]): Promise<void> {
    await pool(hosts, BOOT_CONCURRENCY, async ({ name }) => {
        const res = await sandboxAsync("down", name);
        if (res.status !== 0) process.stderr.write(`bench: warning: sandbox down ${name} failed: ${res.stderr}\n`);
    });
}

export const totalAccepted = (hosts: readonly { name: string }[]): number => hosts.reduce((sum, h) => sum + acceptedConnections(h), 0);

/**
 * CPU seconds the host has used since it booted: its sandbox cgroup (sandbox/sandbox lists the host's groups
 * in <state dir>/<name>/cgroups), cgroup v1 cpuacct.usage or v2 cpu.stat. Read from this machine, no
 * session. The hosts share this machine's cores with the controller, so their CPU is what a fleet waits for.
 */
export function hostCpuSeconds(host: { name: string }): number {
    const state = process.env.DOCKER_HOST_SANDBOX_STATE ?? "/run/docker-host-sandbox";
    const groups = readFileSync(join(state, host.name, "cgroups"), "utf8").split("\n").filter(Boolean);
    for (const dir of groups) {
        if (existsSync(join(dir, "cpuacct.usage"))) return Number(readFileSync(join(dir, "cpuacct.usage"), "utf8")) / 1e9;
        const stat = existsSync(join(dir, "cpu.stat")) ? /^usage_usec (\d+)$/m.exec(readFileSync(join(dir, "cpu.stat"), "utf8")) : null;
        if (stat) return Number(stat[1]) / 1e6;
    }
    throw new Error(`no CPU accounting for sandbox host ${host.name} in ${join(state, host.name, "cgroups")}`);
}

export const totalHostCpu = (hosts: readonly { name: string }[]): number => hosts.reduce((sum, h) => sum + hostCpuSeconds(h), 0);
