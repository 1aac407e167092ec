// Benchmarks (not tests): wall time of `pulumi up` through the real engine against sandbox hosts, and what a
// reload- vs a restart-class change costs running containers. Prints a Markdown report on stdout.
//
// Run: npm run bench   (root; boots and removes its own sandbox hosts)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { stringify } from "yaml";
import { EngineProject, engineProject, PROGRAM_FILES, REPO } from "../tests/engine/project";
import { downHost, SandboxHost, sh, upHost } from "../tests/host/harness";

const RUNS = 3;

function pulumi(p: EngineProject, ...args: string[]): number {
    const started = process.hrtime.bigint();
    const res = p.run(...args, "--stack", "bench");
    if (res.status !== 0) throw new Error(`pulumi ${args.join(" ")} failed:\n${res.out}`);
    return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The bench stack; host keys pinned, as an operator's stack should have them, unless `pin` is false. */
function stackConfig(hosts: SandboxHost[], batchSize: number, daemon: object, pin = true): string {
    return stringify({
        config: {
            "docker-host:rollout": { batchSize },
            "docker-host:defaults": { daemon },
            "docker-host:hosts": hosts.map((h) => ({
                name: h.name,
                host: h.host,
                privateKeyPath: h.privateKeyPath,
                ...(pin ? { hostKey: h.hostKey } : {}),
                dataDisk: { device: "/dev/vdb" },
            })),
        },
    });
}

function median(xs: number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
}

const fmt = (s: number) => `${s.toFixed(2)} s`;

// A stack with as many resources as N DockerHosts (a component + 4 children each) that do nothing: the
// engine's own floor for a no-op update.
const FLOOR_INDEX = `
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
const n = new pulumi.Config("bench").requireNumber("hosts");
class Trivial extends pulumi.ComponentResource {
    constructor(name: string) {
        super("bench:index:Trivial", name, {});
        // No create command: the provider registers them without opening an SSH connection.
        const connection = { host: "127.0.0.1", privateKey: pulumi.secret("unused") };
        for (const step of ["scripts", "gate", "data-disk", "apply"]) new command.remote.Command(name + "-" + step, { connection }, { parent: this });
        this.registerOutputs({});
    }
}
for (let i = 0; i < n; i++) new Trivial("h" + i);
`;

function noopUp(hostCount: number): { docker: number; unpinned: number; floor: number } {
    const hosts = Array.from({ length: hostCount }, (_, i) => upHost(`bench-${i + 1}`));
    const p = engineProject(PROGRAM_FILES, { "Pulumi.bench.yaml": stackConfig(hosts, hostCount, {}, false) });
    const noop = () => median(Array.from({ length: RUNS }, () => pulumi(p, "up", "--yes", "--skip-preview", "--expect-no-changes")));
    try {
        pulumi(p, "stack", "init", "--secrets-provider", "passphrase");
        pulumi(p, "up", "--yes", "--skip-preview");
        const unpinned = noop();
        // Pinned: each run checks every host's key with a bare SSH handshake before any step.
        writeFileSync(join(p.dir, "Pulumi.bench.yaml"), `${stackConfig(hosts, hostCount, {})}${/^encryptionsalt: .*$/m.exec(readFileSync(join(p.dir, "Pulumi.bench.yaml"), "utf8"))?.[0] ?? ""}\n`);
        pulumi(p, "up", "--yes", "--skip-preview");
        const docker = noop();
        const floorProject = engineProject([], { "Pulumi.yaml": "name: bench-floor\nruntime: nodejs\n", "index.ts": FLOOR_INDEX, "package.json": '{"name":"bench-floor","main":"index.ts"}', "tsconfig.json": readFileSync(join(REPO, "tsconfig.json"), "utf8").replace(/"include": \[[^\]]*\]/, '"include": ["index.ts"]') });
        try {
            pulumi(floorProject, "stack", "init", "--secrets-provider", "passphrase");
            pulumi(floorProject, "config", "set", "bench:hosts", String(hostCount));
            pulumi(floorProject, "up", "--yes", "--skip-preview");
            const floor = median(Array.from({ length: RUNS }, () => pulumi(floorProject, "up", "--yes", "--skip-preview", "--expect-no-changes")));
            return { docker, unpinned, floor };
        } finally {
            floorProject.remove();
        }
    } finally {
        hosts.forEach((h) => downHost(h.name));
        p.remove();
    }
}

function coldUp(hostCount: number, batchSize: number): number {
    const hosts = Array.from({ length: hostCount }, (_, i) => upHost(`bench-${i + 1}`));
    const p = engineProject(PROGRAM_FILES, { "Pulumi.bench.yaml": stackConfig(hosts, batchSize, {}) });
    try {
        pulumi(p, "stack", "init", "--secrets-provider", "passphrase");
        return pulumi(p, "up", "--yes", "--skip-preview");
    } finally {
        hosts.forEach((h) => downHost(h.name));
        p.remove();
    }
}

// Polls the Docker API on the host every ~20 ms while a change is applied; reports the longest gap in
// answers and how many of 5 running containers were restarted.
function changeCost(kind: "reload" | "restart"): { gapSeconds: number; restarted: number; dockerdRestarted: boolean } {
    const [host] = [upHost("bench-1")];
    const p = engineProject(PROGRAM_FILES, { "Pulumi.bench.yaml": stackConfig([host!], 1, { logMaxSize: "10m" }) });
    try {
        pulumi(p, "stack", "init", "--secrets-provider", "passphrase");
        pulumi(p, "up", "--yes", "--skip-preview");
        sh(host!, "docker import /usr/local/share/docker-host-sandbox/busybox.tar bench/busybox >/dev/null; for i in 1 2 3 4 5; do docker run -d --name c$i bench/busybox sleep 2147483647 >/dev/null; done");
        const startedBefore = sh(host!, "docker inspect -f '{{.State.StartedAt}}' c1 c2 c3 c4 c5").trim().split("\n");
        const dockerdBefore = sh(host!, "systemctl show -p MainPID --value docker");
        sh(host!, "setsid sh -c 'while :; do if timeout 2 docker version -f x >/dev/null 2>&1; then echo \"$(date +%s.%N) up\"; else echo \"$(date +%s.%N) down\"; fi; sleep 0.02; done' >/tmp/poll.log 2>&1 < /dev/null & echo $! >/tmp/poll.pid");
        const daemon = kind === "reload" ? { logMaxSize: "10m", registryMirrors: ["https://mirror.example.com"] } : { logMaxSize: "20m" };
        writeFileSync(join(p.dir, "Pulumi.bench.yaml"), `${stackConfig([host!], 1, daemon)}${/^encryptionsalt: .*$/m.exec(readFileSync(join(p.dir, "Pulumi.bench.yaml"), "utf8"))?.[0] ?? ""}\n`);
        pulumi(p, "up", "--yes", "--skip-preview");
        sh(host!, "sleep 0.5; kill -- -$(cat /tmp/poll.pid) 2>/dev/null || kill $(cat /tmp/poll.pid)");
        const samples = sh(host!, "cat /tmp/poll.log").trim().split("\n").map((l) => l.split(" ")).map(([t, s]) => ({ t: Number(t), up: s === "up" }));
        let gap = 0;
        let lastUp = samples[0]?.t ?? 0;
        for (const s of samples) {
            if (s.up) {
                gap = Math.max(gap, s.t - lastUp);
                lastUp = s.t;
            }
        }
        const startedAfter = sh(host!, "docker inspect -f '{{.State.StartedAt}}' c1 c2 c3 c4 c5").trim().split("\n");
        return {
            gapSeconds: gap,
            restarted: startedAfter.filter((s, i) => s !== startedBefore[i]).length,
            dockerdRestarted: sh(host!, "systemctl show -p MainPID --value docker") !== dockerdBefore,
        };
    } finally {
        downHost("bench-1");
        p.remove();
    }
}

function main(): void {
    const lines: string[] = [];
    const out = (l: string) => {
        lines.push(l);
        process.stderr.write(`${l}\n`);
    };
    out(`| measurement | result |`);
    out(`|---|---|`);
    for (const n of [1, 3]) {
        const { docker, unpinned, floor } = noopUp(n);
        out(`| no-op \`up\`, ${n} host(s), keys pinned (median of ${RUNS}) | ${fmt(docker)} = ${(docker / floor).toFixed(2)}× the engine floor (same resource count: ${fmt(floor)}); without pins ${fmt(unpinned)} = ${(unpinned / floor).toFixed(2)}× |`);
    }
    out(`| cold \`up\`, 1 host | ${fmt(coldUp(1, 1))} |`);
    out(`| cold \`up\`, 3 hosts, batchSize 3 | ${fmt(coldUp(3, 3))} |`);
    out(`| cold \`up\`, 3 hosts, batchSize 1 | ${fmt(coldUp(3, 1))} |`);
    for (const kind of ["reload", "restart"] as const) {
        const c = changeCost(kind);
        out(`| ${kind}-class change (${kind === "reload" ? "registry-mirrors" : "log max-size"}): longest Docker API gap | ${fmt(c.gapSeconds)}; dockerd restarted: ${c.dockerdRestarted ? "yes" : "no"}; containers restarted: ${c.restarted} of 5 |`);
    }
    process.stdout.write(`${lines.join("\n")}\n`);
}

main();
