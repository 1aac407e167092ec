// Runs a command in a cgroup of its own and reports its wall time, the peak memory of everything it
// started (the pulumi CLI, the language host, the Node.js program, the resource plugins: all its
// descendants stay in the group) and their CPU seconds. cgroup v2 (memory.peak, cpu.stat) where the
// machine has it, else the v1 memory and cpuacct hierarchies (memory.max_usage_in_bytes, cpuacct.usage).
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const ROOT = "/sys/fs/cgroup";
const GROUP = "docker-host-bench";

export interface Usage {
    readonly seconds: number;
    /** Peak memory of the group, MiB (v1: includes the page cache the run itself charged, e.g. files it wrote). */
    readonly peakMiB: number;
    readonly cpuSeconds: number;
}

export interface MeasuredRun extends Usage {
    readonly status: number | null;
    readonly out: string;
}

interface Group {
    readonly procs: string[];
    read(): { peakBytes: number; cpuNs: number };
    busy(): boolean;
    remove(): void;
}

let serial = 0;

function makeGroup(): Group {
    const name = `${process.pid}-${++serial}`;
    if (existsSync(join(ROOT, "cgroup.controllers"))) {
        // cgroup v2: the controllers have to be enabled on the way down.
        const parent = join(ROOT, GROUP);
        mkdirSync(parent, { recursive: true });
        writeFileSync(join(ROOT, "cgroup.subtree_control"), "+memory +cpu");
        writeFileSync(join(parent, "cgroup.subtree_control"), "+memory +cpu");
        const dir = join(parent, name);
        mkdirSync(dir);
        return {
            procs: [join(dir, "cgroup.procs")],
            read: () => ({
                peakBytes: Number(readFileSync(join(dir, "memory.peak"), "utf8")),
                cpuNs: Number(/^usage_usec (\d+)$/m.exec(readFileSync(join(dir, "cpu.stat"), "utf8"))?.[1] ?? NaN) * 1000,
            }),
            busy: () => readFileSync(join(dir, "cgroup.procs"), "utf8").trim() !== "",
            remove: () => rmdirSync(dir),
        };
    }
    const memory = join(ROOT, "memory", GROUP, name);
    const cpu = join(ROOT, "cpuacct", GROUP, name);
    if (!existsSync(join(ROOT, "memory")) || !existsSync(join(ROOT, "cpuacct"))) {
        throw new Error(`no cgroup v2 at ${ROOT} and no v1 memory + cpuacct hierarchies: cannot measure memory and CPU. Fix: run on a Linux machine with cgroups mounted (as root).`);
    }
    mkdirSync(memory, { recursive: true });
    mkdirSync(cpu, { recursive: true });
    return {
        procs: [join(memory, "cgroup.procs"), join(cpu, "cgroup.procs")],
        read: () => ({
            peakBytes: Number(readFileSync(join(memory, "memory.max_usage_in_bytes"), "utf8")),
            cpuNs: Number(readFileSync(join(cpu, "cpuacct.usage"), "utf8")),
        }),
        busy: () => readFileSync(join(memory, "cgroup.procs"), "utf8").trim() !== "",
        remove: () => {
            rmdirSync(memory);
            rmdirSync(cpu);
        },
    };
}

export interface RunOptions {
    readonly cwd: string;
    readonly env: NodeJS.ProcessEnv;
    readonly timeoutMs?: number;
    /** Called with each chunk of stdout as it arrives (e.g. to timestamp events). */
    readonly onStdout?: (chunk: string) => void;
}

/** Runs `command args…` in a fresh cgroup; resolves when it and every process it started have exited. */
export async function measured(command: string, args: readonly string[], options: RunOptions): Promise<MeasuredRun> {
    const group = makeGroup();
    try {
        // The shell joins the group first, then becomes the command: nothing of the command runs outside it.
        const script = 'for p in "$BENCH_CGROUP_PROCS_1" "$BENCH_CGROUP_PROCS_2"; do [ -z "$p" ] || echo $$ >"$p"; done; unset BENCH_CGROUP_PROCS_1 BENCH_CGROUP_PROCS_2; exec "$@"';
        const env = { ...options.env, BENCH_CGROUP_PROCS_1: group.procs[0], BENCH_CGROUP_PROCS_2: group.procs[1] ?? "" };
        const started = process.hrtime.bigint();
        const child = spawn("sh", ["-c", script, "sh", command, ...args], { cwd: options.cwd, env, stdio: ["ignore", "pipe", "pipe"] });
        let out = "";
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            options.onStdout?.(d.toString());
        });
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 20 * 60_000);
        const status = await new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
        const seconds = Number(process.hrtime.bigint() - started) / 1e9;
        clearTimeout(timer);
        // Plugins the CLI stopped may take a moment to exit; their usage belongs to the run.
        for (let i = 0; i < 100 && group.busy(); i++) await new Promise((r) => setTimeout(r, 50));
        const { peakBytes, cpuNs } = group.read();
        return { status, out, seconds, peakMiB: peakBytes / 2 ** 20, cpuSeconds: cpuNs / 1e9 };
    } finally {
        try {
            group.remove();
        } catch {
            // a process that outlived the wait keeps the group; it is empty and removed by the next boot
        }
    }
}
