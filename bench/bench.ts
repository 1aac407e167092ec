// Benchmarks (not tests), through the real engine on fresh sandbox hosts, each with a data disk, every host
// in one batch. For each fleet size: cold `up`, no-op `up`, a reload-class change (registry-mirrors), and
// previews with and without drift detection — each beside its floors measured in the same run: the physical
// floor (the same host-side work over plain parallel SSH, bench/physicalFloor.ts) and the engine floor (a
// stack of as many resources that do nothing, bench/stacks.ts). Also: the fixed cost per run against the
// runtime before issue 13 (ts-node type-checking), the profile of one cold `up` (bench/profile.ts), and what
// a reload- vs a restart-class change costs running containers. Prints Markdown on stdout, progress on stderr.
//
// Run: npm run bench   (root; boots and removes its own sandbox hosts)
// Environment: BENCH_HOSTS   fleet sizes, e.g. 1,5 (default 1,5,10,20)
//              BENCH_PROFILE fleet size whose cold `up` is profiled (default 10; 0: none)
//              BENCH_HOST_PREFIX  sandbox host names (default bench-)
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { EngineProject, writeStackConfig } from "../tests/engine/project";
import { downHost, SandboxHost, sh, upHost } from "../tests/host/harness";
import { MeasuredRun, Usage } from "./cgroup";
import { bootHosts, downHosts, hostNames, HOST_PREFIX, totalAccepted, totalHostCpu } from "./hosts";
import { physicalFloor } from "./physicalFloor";
import { describeProfile, EventStream, hostSide } from "./profile";
import { daemonJsonOutput, floorProject, programProject, pulumi, pulumiYaml, Runtime, STACK } from "./stacks";

/** Samples of each repeatable measurement (no-op up, preview, reload), subject and floors interleaved. */
const RUNS = 3;

function fleetSizes(): number[] {
    const text = process.env.BENCH_HOSTS ?? "1,5,10,20";
    const sizes = text.split(",").map((s) => Number(s.trim()));
    if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 60)) {
        throw new Error(`BENCH_HOSTS: "${text}" is not a list of fleet sizes. Fix: whole numbers from 1 to 60, separated by commas, e.g. BENCH_HOSTS=1,5.`);
    }
    return [...new Set(sizes)].sort((a, b) => a - b);
}

function profiledSize(): number {
    const text = process.env.BENCH_PROFILE ?? "10";
    const n = Number(text);
    if (!Number.isInteger(n) || n < 0) throw new Error(`BENCH_PROFILE: "${text}" is not a fleet size. Fix: one of the BENCH_HOSTS sizes, or 0 for no profile.`);
    return n;
}

const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** A measured program run and the SSH connections the hosts accepted during it. */
interface Sample extends Usage {
    readonly ssh: number;
}

/** Medians of each figure over the samples (each figure on its own). */
function medianOf(samples: readonly Sample[]): Sample {
    return {
        seconds: median(samples.map((s) => s.seconds)),
        peakMiB: median(samples.map((s) => s.peakMiB)),
        cpuSeconds: median(samples.map((s) => s.cpuSeconds)),
        ssh: median(samples.map((s) => s.ssh)),
    };
}

const usageOf = (runs: readonly MeasuredRun[]): Sample => medianOf(runs.map((r) => ({ ...r, ssh: 0 })));

/** Runs pulumi on the program and counts the SSH connections its hosts accepted meanwhile. */
async function counted(p: EngineProject, hosts: readonly SandboxHost[], args: readonly string[], events?: EventStream): Promise<Sample & { run: MeasuredRun }> {
    const before = totalAccepted(hosts);
    const run = await pulumi(p, args, events);
    return { ...run, ssh: totalAccepted(hosts) - before, run };
}

const say = (line: string) => process.stderr.write(`bench: ${line}\n`);

/** One line of the results: an operation on a fleet, its samples' medians and its floors. */
interface Row {
    readonly op: Op;
    readonly hosts: number;
    readonly samples: number;
    readonly subject: Sample;
    /** Seconds: the same host-side work over plain parallel SSH. */
    readonly physical?: number;
    /** The engine floor's run (same number of resources doing nothing). */
    readonly engine?: Usage;
    /** Cold up: CPU seconds the hosts used (their sandbox cgroups), for the program and for the physical floor. */
    readonly hostCpu?: { readonly subject: number; readonly physical: number };
}

type Op = "cold up" | "no-op up" | "reload (registry-mirrors)" | "preview, drift detection on" | "preview, drift detection off";

/** How a fixed-cost sample ran: as committed, or as before issue 13 with ts-node's disk cache warm (the
 *  files unchanged since the last run on this machine) or cold (TS_NODE_CACHE=false: a fresh CI runner, or
 *  any run after the program changed — then ts-node type-checks it). */
type FixedVariant = "committed" | "typecheck, cache warm" | "typecheck, cache cold";
const FIXED_VARIANTS: readonly FixedVariant[] = ["committed", "typecheck, cache warm", "typecheck, cache cold"];

interface FixedCost {
    readonly hosts: number;
    readonly program: Record<FixedVariant, Usage>;
    readonly floor: Record<FixedVariant, Usage>;
}

const UP = ["up", "--yes", "--skip-preview"] as const;
const NOOP = [...UP, "--expect-no-changes"] as const;

/** Everything measured on one fleet size: hosts booted fresh, the program's runs and their floors. */
async function fleet(n: number, profile: boolean): Promise<{ rows: Row[]; fixed?: FixedCost; profileLines: string[] }> {
    say(`${n} host(s): booting ${n} for the program and ${n} for the physical floor of the cold up`);
    const all = await bootHosts([...hostNames(n), ...hostNames(n, "floor")]);
    const hosts = all.slice(0, n);
    const floorHosts = all.slice(n);
    const rows: Row[] = [];
    const p = programProject("committed");
    let floor: EngineProject | undefined;
    let profileLines: string[] = [];
    try {
        await pulumi(p, ["stack", "init", STACK, "--secrets-provider", "passphrase"]);
        const stack = (options: { daemon?: object; detectDrift: boolean }) => writeStackConfig(p, STACK, hosts, { batchSize: n, ...options });
        stack({ detectDrift: false });

        // Cold: the program on fresh hosts, then the same host-side work on the other fresh hosts, then
        // the engine floor's first `up` (creating as many resources).
        say(`${n} host(s): cold up`);
        const startedAtUnix = Date.now() / 1000;
        const events = new EventStream(process.hrtime.bigint());
        const cpuBefore = totalHostCpu(hosts);
        const cold = await counted(p, hosts, UP, profile ? events : undefined);
        const hostCpu = totalHostCpu(hosts) - cpuBefore;
        const endedAtUnix = Date.now() / 1000;
        const daemonJson = await daemonJsonOutput(p);
        const texts = hosts.map((h) => daemonJson[h.name]!);
        const floorCpuBefore = totalHostCpu(floorHosts);
        const physicalCold = await physicalFloor("cold", floorHosts, texts);
        const floorCpu = totalHostCpu(floorHosts) - floorCpuBefore;
        await downHosts(floorHosts);
        const created = await floorProject(n, "committed");
        floor = created.project;
        rows.push({ op: "cold up", hosts: n, samples: 1, subject: cold, physical: physicalCold, engine: created.created, hostCpu: { subject: hostCpu, physical: floorCpu } });
        if (profile) {
            profileLines = describeProfile(
                `Profile of the cold \`up\` of ${n} hosts`,
                cold.seconds,
                events.events,
                hosts.map((h) => hostSide(h, startedAtUnix, endedAtUnix)),
                startedAtUnix,
            );
        }

        say(`${n} host(s): no-op up and previews, each beside its floors`);
        const noop: Sample[] = [];
        const noopFloor: MeasuredRun[] = [];
        const previewOn: Sample[] = [];
        const previewOff: Sample[] = [];
        const previewFloor: MeasuredRun[] = [];
        const probeFloor: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            noop.push(await counted(p, hosts, NOOP));
            noopFloor.push(await pulumi(floor, NOOP));
            stack({ detectDrift: true });
            previewOn.push(await counted(p, hosts, ["preview"]));
            stack({ detectDrift: false });
            previewOff.push(await counted(p, hosts, ["preview"]));
            previewFloor.push(await pulumi(floor, ["preview"]));
            probeFloor.push(await physicalFloor("probe", hosts, texts));
        }
        rows.push({ op: "no-op up", hosts: n, samples: RUNS, subject: medianOf(noop), physical: 0, engine: usageOf(noopFloor) });
        rows.push({ op: "preview, drift detection on", hosts: n, samples: RUNS, subject: medianOf(previewOn), physical: median(probeFloor), engine: usageOf(previewFloor) });
        rows.push({ op: "preview, drift detection off", hosts: n, samples: RUNS, subject: medianOf(previewOff), physical: median(probeFloor), engine: usageOf(previewFloor) });

        say(`${n} host(s): reload-class changes (registry-mirrors), each beside the physical floor`);
        const reload: Sample[] = [];
        const physicalReload: number[] = [];
        for (let i = 0; i < RUNS; i++) {
            stack({ detectDrift: false, daemon: { registryMirrors: [`https://mirror-${i + 1}.example.com`] } });
            reload.push(await counted(p, hosts, UP));
            const summary = JSON.parse((await pulumi(p, ["stack", "output", "summary", "--json", "--show-secrets"])).out.replace(/^[^{]*/, "")) as Record<string, { lastAction: string }>;
            const notReloaded = hosts.filter((h) => summary[h.name]?.lastAction !== "reload");
            if (notReloaded.length > 0) throw new Error(`the registry-mirrors change was not a reload on ${notReloaded.map((h) => h.name).join(", ")}: ${JSON.stringify(summary)}`);
            const changed = await daemonJsonOutput(p);
            physicalReload.push(await physicalFloor("reload", hosts, hosts.map((h) => changed[h.name]!)));
        }
        rows.push({ op: "reload (registry-mirrors)", hosts: n, samples: RUNS, subject: medianOf(reload), physical: median(physicalReload), engine: usageOf(noopFloor) });

        // The fixed cost per run, on the smallest fleet: the program's no-op `up` and the engine floor's, as
        // committed and as run before issue 13, interleaved.
        let fixed: FixedCost | undefined;
        if (n === fleetSizes()[0]) {
            say(`${n} host(s): the fixed cost per run, as committed against ts-node type-checking`);
            const typecheckFloor = (await floorProject(n, "typecheck")).project;
            try {
                const runs = Object.fromEntries(FIXED_VARIANTS.map((v) => [v, { program: [] as MeasuredRun[], floor: [] as MeasuredRun[] }])) as Record<FixedVariant, { program: MeasuredRun[]; floor: MeasuredRun[] }>;
                const cold = (q: EngineProject): EngineProject => ({ ...q, env: { ...q.env, TS_NODE_CACHE: "false" } });
                for (let i = 0; i < RUNS; i++) {
                    for (const variant of FIXED_VARIANTS) {
                        const runtime: Runtime = variant === "committed" ? "committed" : "typecheck";
                        writeFileSync(join(p.dir, "Pulumi.yaml"), pulumiYaml("docker-host", runtime));
                        const [program, floorOf] = variant === "typecheck, cache cold" ? [cold(p), cold(typecheckFloor)] : [p, runtime === "committed" ? floor : typecheckFloor];
                        runs[variant].program.push(await pulumi(program, NOOP));
                        runs[variant].floor.push(await pulumi(floorOf, NOOP));
                    }
                }
                writeFileSync(join(p.dir, "Pulumi.yaml"), pulumiYaml("docker-host", "committed"));
                const usage = (which: "program" | "floor"): Record<FixedVariant, Usage> => ({
                    committed: usageOf(runs.committed[which]),
                    "typecheck, cache warm": usageOf(runs["typecheck, cache warm"][which]),
                    "typecheck, cache cold": usageOf(runs["typecheck, cache cold"][which]),
                });
                fixed = { hosts: n, program: usage("program"), floor: usage("floor") };
            } finally {
                typecheckFloor.remove();
            }
        }
        return { rows, fixed, profileLines };
    } finally {
        await downHosts(all);
        p.remove();
        floor?.remove();
    }
}

// Polls the Docker API on the host every ~20 ms while a change is applied; reports the longest gap in
// answers and how many of 5 running containers were restarted.
async function changeCost(kind: "reload" | "restart"): Promise<{ gapSeconds: number; restarted: number; dockerdRestarted: boolean }> {
    const name = hostNames(1)[0]!;
    const host = upHost(name);
    const p = programProject("committed");
    try {
        await pulumi(p, ["stack", "init", STACK, "--secrets-provider", "passphrase"]);
        writeStackConfig(p, STACK, [host], { daemon: { logMaxSize: "10m" }, detectDrift: false });
        await pulumi(p, UP);
        sh(host, "docker import /usr/local/share/docker-host-sandbox/busybox.tar bench/busybox >/dev/null; for i in 1 2 3 4 5; do docker run -d --name c$i bench/busybox sleep 2147483647 >/dev/null; done");
        const startedBefore = sh(host, "docker inspect -f '{{.State.StartedAt}}' c1 c2 c3 c4 c5").trim().split("\n");
        const dockerdBefore = sh(host, "systemctl show -p MainPID --value docker");
        sh(host, "setsid sh -c 'while :; do if timeout 2 docker version -f x >/dev/null 2>&1; then echo \"$(date +%s.%N) up\"; else echo \"$(date +%s.%N) down\"; fi; sleep 0.02; done' >/tmp/poll.log 2>&1 < /dev/null & echo $! >/tmp/poll.pid");
        const daemon = kind === "reload" ? { logMaxSize: "10m", registryMirrors: ["https://mirror.example.com"] } : { logMaxSize: "20m" };
        writeStackConfig(p, STACK, [host], { daemon, detectDrift: false });
        await pulumi(p, UP);
        sh(host, "sleep 0.5; kill -- -$(cat /tmp/poll.pid) 2>/dev/null || kill $(cat /tmp/poll.pid)");
        const samples = sh(host, "cat /tmp/poll.log").trim().split("\n").map((l) => l.split(" ")).map(([t, s]) => ({ t: Number(t), up: s === "up" }));
        let gap = 0;
        let lastUp = samples[0]?.t ?? 0;
        for (const s of samples) {
            if (s.up) {
                gap = Math.max(gap, s.t - lastUp);
                lastUp = s.t;
            }
        }
        const startedAfter = sh(host, "docker inspect -f '{{.State.StartedAt}}' c1 c2 c3 c4 c5").trim().split("\n");
        return {
            gapSeconds: gap,
            restarted: startedAfter.filter((s, i) => s !== startedBefore[i]).length,
            dockerdRestarted: sh(host, "systemctl show -p MainPID --value docker") !== dockerdBefore,
        };
    } finally {
        downHost(name);
        p.remove();
    }
}

const s2 = (s: number) => `${s.toFixed(2)} s`;
const x2 = (r: number) => `${r.toFixed(2)}×`;

function table(rows: readonly Row[]): string[] {
    const lines = [
        "| operation | hosts | wall (median of) | physical floor | engine floor | × physical | × engine | controller peak memory | controller CPU | SSH connections |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ];
    for (const r of rows) {
        const phys = r.physical === undefined ? "—" : r.physical === 0 ? "0 (nothing to do)" : s2(r.physical);
        const xPhys = r.physical ? x2(r.subject.seconds / r.physical) : "—";
        const engine = r.engine ? `${s2(r.engine.seconds)}, ${r.engine.peakMiB.toFixed(0)} MiB` : "—";
        const xEngine = r.engine ? x2(r.subject.seconds / r.engine.seconds) : "—";
        lines.push(
            `| ${r.op} | ${r.hosts} | ${s2(r.subject.seconds)}${r.samples > 1 ? ` (${r.samples})` : ""} | ${phys} | ${engine} | ${xPhys} | ${xEngine} | ${r.subject.peakMiB.toFixed(0)} MiB | ${r.subject.cpuSeconds.toFixed(1)} s | ${r.subject.ssh} |`,
        );
    }
    return lines;
}

/** The cold ups' host-side CPU against the physical floor's: what a fleet on shared cores waits for. */
function hostCpuTable(rows: readonly Row[]): string[] {
    const cold = rows.filter((r) => r.hostCpu);
    if (cold.length === 0) return [];
    const perHost = (cpu: number, hosts: number) => `${s2(cpu)} (${(cpu / hosts).toFixed(2)} s per host)`;
    return [
        "| cold `up`: hosts' CPU (their sandbox cgroups) | hosts | program | physical floor | × physical |",
        "|---|---|---|---|---|",
        ...cold.map((r) => `| cold \`up\` | ${r.hosts} | ${perHost(r.hostCpu!.subject, r.hosts)} | ${perHost(r.hostCpu!.physical, r.hosts)} | ${x2(r.hostCpu!.subject / r.hostCpu!.physical)} |`),
    ];
}

/** The issue's goals, each a ratio measured in this run: met, missed, or not measured (fleet size not run). */
function goals(rows: readonly Row[], fixed: FixedCost | undefined): string[] {
    const find = (op: Op, hosts: number) => rows.find((r) => r.op === op && r.hosts === hosts);
    const verdict = (ok: boolean) => (ok ? "**met**" : "**missed**");
    const lines = ["| goal | measured | verdict |", "|---|---|---|"];
    if (fixed) {
        const f = (u: Usage) => `${s2(u.seconds)} (CPU ${u.cpuSeconds.toFixed(1)} s)`;
        const ratio = (which: "program" | "floor", v: FixedVariant) => fixed[which].committed.seconds / fixed[which][v].seconds;
        lines.push(
            `| our program's fixed cost per run ≤ 0.5× before (no-op \`up\`, ${fixed.hosts} host(s); before = ts-node type-checking, its cache cold) | as committed ${f(fixed.program.committed)}; before ${f(fixed.program["typecheck, cache cold"])} = ${x2(ratio("program", "typecheck, cache cold"))}; before with ts-node's cache warm ${f(fixed.program["typecheck, cache warm"])} = ${x2(ratio("program", "typecheck, cache warm"))}. The engine floor stack: ${s2(fixed.floor.committed.seconds)} vs ${s2(fixed.floor["typecheck, cache cold"].seconds)} cold = ${x2(ratio("floor", "typecheck, cache cold"))}, ${s2(fixed.floor["typecheck, cache warm"].seconds)} warm | ${verdict(ratio("program", "typecheck, cache cold") <= 0.5)} |`,
        );
    }
    const ratioGoal = (label: string, op: Op, hosts: number, of: "physical" | "engine", limit: number, extra?: (r: Row) => { text: string; ok: boolean }) => {
        const r = find(op, hosts);
        const base = r && (of === "physical" ? r.physical : r.engine?.seconds);
        if (!r || !base) return lines.push(`| ${label} | not measured (BENCH_HOSTS without ${hosts}) | — |`);
        const more = extra?.(r);
        const ratio = r.subject.seconds / base;
        lines.push(`| ${label} | ${s2(r.subject.seconds)} vs ${s2(base)} = ${x2(ratio)}${more ? `; ${more.text}` : ""} | ${verdict(ratio <= limit && (more?.ok ?? true))} |`);
    };
    ratioGoal("cold `up` of 1 host ≤ 2× its physical floor", "cold up", 1, "physical", 2);
    ratioGoal("cold `up` of 10 hosts ≤ 2.5× its physical floor", "cold up", 10, "physical", 2.5);
    ratioGoal("no-op `up` of 20 hosts ≤ 1.2× its engine floor, zero SSH connections", "no-op up", 20, "engine", 1.2, (r) => ({ text: `${r.subject.ssh} SSH connections`, ok: r.subject.ssh === 0 }));
    ratioGoal("preview with drift probes of 20 hosts ≤ 2× the preview without probes (the engine floor's preview: no SSH at all)", "preview, drift detection on", 20, "engine", 2, (r) => {
        const off = find("preview, drift detection off", 20)!;
        return { text: `drift detection off (the plan-in-words probe only) ${s2(off.subject.seconds)}: on/off ${x2(r.subject.seconds / off.subject.seconds)}`, ok: true };
    });
    // Less than linear: each step up in fleet size grows the cold up's peak memory by a smaller factor than
    // the number of hosts grew.
    const cold = rows.filter((r) => r.op === "cold up");
    if (cold.length < 2) {
        lines.push("| controller memory grows less than linearly in hosts (cold `up`) | not measured (one fleet size) | — |");
    } else {
        const steps = cold.slice(1).map((r, i) => ({ from: cold[i]!, to: r }));
        const ok = steps.every(({ from, to }) => to.subject.peakMiB / from.subject.peakMiB < to.hosts / from.hosts);
        const perHost = (a: Row, b: Row) => (b.subject.peakMiB - a.subject.peakMiB) / (b.hosts - a.hosts);
        lines.push(
            `| controller memory grows less than linearly in hosts (cold \`up\`: each fleet-size step grows peak memory by less than the host count) | ${cold.map((r) => `${r.hosts}: ${r.subject.peakMiB.toFixed(0)} MiB`).join(", ")}; per added host ${steps.map(({ from, to }) => `${from.hosts}→${to.hosts}: ${perHost(from, to).toFixed(1)} MiB`).join(", ")} | ${verdict(ok)} |`,
        );
    }
    return lines;
}

async function main(): Promise<void> {
    const sizes = fleetSizes();
    const profiled = profiledSize();
    const rows: Row[] = [];
    let fixed: FixedCost | undefined;
    let profileLines: string[] = [];
    for (const n of sizes) {
        const res = await fleet(n, n === profiled);
        rows.push(...res.rows);
        fixed ??= res.fixed;
        if (res.profileLines.length > 0) profileLines = res.profileLines;
        say(`${n} host(s) done:\n${[...table(res.rows), "", ...hostCpuTable(res.rows), "", ...(res.fixed ? goals([], res.fixed).slice(2) : []), ...res.profileLines].join("\n")}`);
    }
    say("reload- vs restart-class change with 5 running containers");
    const costs = [];
    for (const kind of ["reload", "restart"] as const) costs.push({ kind, ...(await changeCost(kind)) });

    const ordered = [...rows].sort((a, b) => a.op.localeCompare(b.op) || a.hosts - b.hosts);
    const out = [
        `Fleet sizes ${sizes.join(", ")}; hosts prefixed ${HOST_PREFIX}; every host in one batch; ${new Date().toISOString()}.`,
        "",
        ...table(ordered),
        "",
        ...hostCpuTable(ordered),
        "",
        ...goals(rows, fixed),
        "",
        ...(profileLines.length > 0 ? [...profileLines, ""] : []),
        "| change, 5 containers running | longest gap between Docker API answers | dockerd restarted | containers restarted |",
        "|---|---|---|---|",
        ...costs.map((c) => `| ${c.kind}-class (${c.kind === "reload" ? "registry-mirrors" : "log max-size"}) | ${s2(c.gapSeconds)} | ${c.dockerdRestarted ? "yes" : "no"} | ${c.restarted} of 5 |`),
    ];
    process.stdout.write(`${out.join("\n")}\n`);
}

main().catch((err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
});
