// Migration benchmark (not a test): on a sandbox host with a data disk, a Docker root of a few GiB of real
// data (bench/migrate-host.sh generate), then
//   - the containers' downtime of the two-pass move (pass 1 live, PERCENT % rewritten by a container
//     between the passes, pass 2 stopped) against one stopped copy of the same root (the way before: every
//     container down for the whole copy) — both through lib.sh's own copy functions, measured from the host
//     by polling two containers' PIDs every ~20 ms (the later of the two to run again), medians of 3;
//     beside them the floor of any move's downtime: Docker's own stop and start with no copy between;
//   - the move's bulk copy (lib.sh's copy_bulk, pass 1) against `cp -a` of the same tree onto the same disk;
//   - one real apply step moving data-root (pass 1 with a container writing meanwhile), whose own log line
//     "stopped for N s" is cross-checked against the poll.
// The page cache is dropped (sync; echo 3 > /proc/sys/vm/drop_caches, this machine's kernel is the
// host's) before each timed copy. Prints a Markdown report on stdout.
//
// Run: npm run bench:migrate   (root; boots and removes its own sandbox host mb-bench)
// Environment: MB_ROOT_MIB size of the generated root in MiB (default 2048), MB_CHANGED_PERCENT (default 1).
import { execFileSync, spawnSync } from "node:child_process";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { configFor, downHost, hostSteps, SandboxHost, ssh, sshAsync, upHost, uploadScripts, waitFor } from "../tests/host/harness";

const NAME = "mb-bench";
const ROOT_MIB = Number(process.env.MB_ROOT_MIB ?? 2048);
const CHANGED_PERCENT = Number(process.env.MB_CHANGED_PERCENT ?? 1);
const REMOTE_DIR = "/root/mb-bench";
const REPO = join(__dirname, "..");
const HOST_SCRIPT = `${REMOTE_DIR}/migrate-host.sh`;

const log = (line: string) => process.stderr.write(`bench:migrate: ${line}\n`);

/** Runs a migrate-host.sh command on the host; its KEY=VALUE stdout lines as numbers. */
function host(h: SandboxHost, ...args: string[]): Record<string, number> {
    const res = ssh(h, `${HOST_SCRIPT} ${args.join(" ")}`, { user: "root", timeoutMs: 60 * 60_000 });
    if (res.status !== 0) throw new Error(`migrate-host.sh ${args.join(" ")} failed on ${h.name}:\n${res.stderr}`);
    const out: Record<string, number> = {};
    for (const [, k, v] of res.stdout.matchAll(/^(\w+)=([\d.]+)$/gm)) out[k!] = Number(v);
    log(`${args.join(" ")}: ${res.stdout.trim().replace(/\n/g, ", ")}`);
    return out;
}

/** Every cached page and inode of this machine (the sandbox host's kernel is this one) dropped, after
 *  writing back what is dirty, so each timed copy starts equally cold. */
function dropCaches(): void {
    execFileSync("sync");
    execFileSync("sh", ["-c", "echo 3 >/proc/sys/vm/drop_caches"]);
}

function uploadBenchScripts(h: SandboxHost): void {
    const tar = spawnSync("tar", ["-c", "-C", join(REPO, "components/dockerHost/scripts"), "lib.sh", "-C", join(REPO, "bench"), "migrate-host.sh"]);
    if (tar.status !== 0) throw new Error("tar of the bench scripts failed");
    const res = spawnSync("ssh", ["-i", h.privateKeyPath, "-p", String(h.port), "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", `root@${h.host}`, `mkdir -p ${REMOTE_DIR} && tar -x -C ${REMOTE_DIR}`], { input: tar.stdout });
    if (res.status !== 0) throw new Error(`uploading the bench scripts failed: ${String(res.stderr)}`);
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

const mib = (bytes: number) => bytes / 1048576;
const gib = (bytes: number) => (bytes / 1073741824).toFixed(2);
const s = (x: number) => `${x.toFixed(2)} s`;

async function main(): Promise<void> {
    log(`booting ${NAME}`);
    const h = upHost(NAME, "--disk-size", "12G");
    try {
        // The data disk as the component makes it (xfs at /data), through its own gate and data-disk steps.
        const config = configFor(h, { dataDisk: { device: "/dev/vdb" } });
        uploadScripts(h, "root");
        for (const step of hostSteps(config).filter((st) => st.name === "gate" || st.name === "data-disk")) {
            const res = ssh(h, step.create, { user: "root", input: step.stdin });
            if (res.status !== 0) throw new Error(`step ${step.name} failed:\n${res.stderr}`);
        }
        uploadBenchScripts(h);
        log(`generating a Docker root of about ${ROOT_MIB} MiB`);
        const root = host(h, "generate", String(ROOT_MIB));
        const bytes = root.bytes!;

        // Throughput: cp -a against the move's bulk copy (copy_bulk), Docker stopped (no container mounts in the tree),
        // alternating, each into an empty directory of the data disk.
        host(h, "docker-stop");
        const times: Record<"cp" | "rsync", number[]> = { cp: [], rsync: [] };
        let verify = 0;
        for (const tool of ["cp", "rsync", "rsync", "cp", "cp", "rsync"] as const) {
            dropCaches();
            const r = host(h, tool, `/data/mb-${tool}`);
            times[tool].push(r.seconds!);
            if (tool === "rsync") verify = Math.max(verify, r.verify!);
            host(h, "clean", `/data/mb-${tool}`);
        }
        host(h, "docker-start");
        const cpS = median(times.cp);
        const rsyncS = median(times.rsync);

        // Downtime: one stopped copy (the way before) and the two passes with PERCENT % changed between,
        // alternating, three of each (the medians compared); then once with the cache dropped before pass 2.
        const singleRun = () => {
            dropCaches();
            host(h, "poll-start");
            const single = host(h, "single", "/data/mb-single");
            const poll = host(h, "poll-stop");
            host(h, "clean", "/data/mb-single");
            return { copy: single.stopped_copy!, down: poll.downtime!, keeper: poll.downtime_keeper! };
        };
        const twoPass = (coldPass2: boolean) => {
            dropCaches();
            host(h, "poll-start");
            const live = host(h, "live", "/data/mb-two").live!;
            const changed = host(h, "change", String(CHANGED_PERCENT)).changed_bytes!;
            if (coldPass2) dropCaches();
            const stopped = host(h, "stopped", "/data/mb-two");
            const poll = host(h, "poll-stop");
            host(h, "clean", "/data/mb-two");
            return { live, changed, pass2: stopped.stopped_copy!, down: poll.downtime!, keeper: poll.downtime_keeper! };
        };
        // The floor: Docker's own stop and start around no copy at all, which every move pays.
        const restartRun = () => {
            host(h, "poll-start");
            host(h, "restart");
            return host(h, "poll-stop").downtime!;
        };
        const singles: ReturnType<typeof singleRun>[] = [];
        const warms: ReturnType<typeof twoPass>[] = [];
        const restarts: number[] = [];
        for (let i = 0; i < 3; i++) {
            singles.push(singleRun());
            warms.push(twoPass(false));
            restarts.push(restartRun());
        }
        const cold = twoPass(true);
        const singleDown = median(singles.map((r) => r.down));
        const restartDown = median(restarts);
        const warm = {
            down: median(warms.map((r) => r.down)),
            keeper: median(warms.map((r) => r.keeper)),
            live: median(warms.map((r) => r.live)),
            pass2: median(warms.map((r) => r.pass2)),
            changed: warms[0]!.changed,
        };
        const samples = (xs: number[]) => xs.map((x) => x.toFixed(2)).join(", ");

        // The real apply step, moving data-root to /data/docker, a container rewriting PERCENT % during pass 1.
        dropCaches();
        host(h, "poll-start");
        const apply = hostSteps(config).find((st) => st.name === "apply")!;
        const run = sshAsync(h, apply.create, { input: apply.stdin });
        let finished = false;
        void run.done.then(() => (finished = true));
        await waitFor("pass 1 of the apply step", () => /pass 1 of 2/.test(run.stderr()) || finished, 30 * 60_000);
        const changedDuring = finished ? 0 : host(h, "change", String(CHANGED_PERCENT)).changed_bytes!;
        const res = await run.done;
        if (res.status !== 0) throw new Error(`the apply step failed:\n${res.stderr}`);
        const applyDown = host(h, "poll-stop").downtime!;
        const logged = Number(/were stopped for (\d+) s/.exec(res.stderr)?.[1] ?? NaN);
        log(`apply step:\n${res.stderr}`);

        const cpu = cpus()[0]?.model.trim() ?? "?";
        const when = new Date().toISOString().slice(0, 10);
        const report = [
            `Migration benchmark, ${when}, this machine (${cpus().length} cores, ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB), sandbox host ${NAME}: old root on the host's ext4 root image, new root on its xfs data disk (both loop devices over files of one disk); page cache dropped before each timed copy.`,
            "",
            "| measurement | result |",
            "|---|---|",
            `| Docker root | ${gib(bytes)} GiB, ${root.files} files and directories |`,
            `| containers' downtime (the later of two containers to run again), two passes, ${CHANGED_PERCENT} % rewritten between them (${mib(warm.changed).toFixed(0)} MiB), median of 3 | ${s(warm.down)} = **${((warm.down / singleDown) * 100).toFixed(1)} %** of one stopped copy (${s(singleDown)}, median of 3, same run); samples ${samples(warms.map((r) => r.down))} vs ${samples(singles.map((r) => r.down))}; keeper's alone ${s(warm.keeper)} vs ${s(median(singles.map((r) => r.keeper)))}; pass 1 (live) ${s(warm.live)}, pass 2 + check ${s(warm.pass2)} |`,
            `| the floor: Docker's own stop and start with no copy between (the containers stopped and started as a move does), median of 3 | ${s(restartDown)} = ${((restartDown / singleDown) * 100).toFixed(1)} % of one stopped copy; samples ${samples(restarts)}; the two passes' downtime above it ${s(warm.down - restartDown)} |`,
            `| the same, page cache dropped again before pass 2 | ${s(cold.down)} = ${((cold.down / singleDown) * 100).toFixed(1)} % of one stopped copy; pass 2 + check ${s(cold.pass2)} |`,
            `| one stopped copy (the way before) | ${s(singleDown)} down; its copy + check ${s(median(singles.map((r) => r.copy)))} |`,
            `| copy throughput, the move's bulk copy (pass 1) vs \`cp -a\` (median of 3 each, + sync) | ${(mib(bytes) / rsyncS).toFixed(0)} MiB/s vs ${(mib(bytes) / cpS).toFixed(0)} MiB/s = **${((cpS / rsyncS) * 100).toFixed(0)} %** (${s(rsyncS)} vs ${s(cpS)}); the check after it (dry run) ${s(verify)} |`,
            `| real apply step, move to /data/docker, ${mib(changedDuring).toFixed(0)} MiB rewritten during pass 1 | down ${s(applyDown)} by the poll; its log says ${logged} s (whole seconds) |`,
        ];
        process.stdout.write(`${report.join("\n")}\n`);
    } finally {
        downHost(NAME);
    }
}

main().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exitCode = 1;
});
