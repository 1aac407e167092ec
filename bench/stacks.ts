// The projects the benchmark runs: this repository's program on a fleet, and the engine floor — a stack of
// as many resources that do nothing — each run the way the program is run (the committed Pulumi.yaml), or
// the way it was run before issue 13 (ts-node type-checking index.ts on every run), for comparison.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { EngineProject, engineProject, PROGRAM_FILES, REPO } from "../tests/engine/project";
import { measured, MeasuredRun } from "./cgroup";
import { EventStream } from "./profile";

export const STACK = "bench";

/** How Pulumi runs the program: as Pulumi.yaml says now, or as before (main index.ts: the language host's
 *  ts-node type-checks it on every run). */
export type Runtime = "committed" | "typecheck";

export const RUNTIME_LABEL: Record<Runtime, string> = {
    committed: "as committed (Pulumi.yaml main: program.cjs, types stripped by TypeScript's transpileModule)",
    typecheck: "as before issue 13 (main: index.ts, ts-node type-checks it every run)",
};

/** The repository's Pulumi.yaml under another project name, with the runtime chosen. */
export function pulumiYaml(name: string, runtime: Runtime): string {
    const committed = parse(readFileSync(join(REPO, "Pulumi.yaml"), "utf8")) as Record<string, unknown>;
    if (runtime === "committed") return stringify({ ...committed, name });
    return stringify({ ...committed, name, main: "index.ts", runtime: { name: "nodejs", options: { packagemanager: "npm" } } });
}

/** A copy of this repository's program. */
export function programProject(runtime: Runtime): EngineProject {
    return engineProject(PROGRAM_FILES, { "Pulumi.yaml": pulumiYaml("docker-host", runtime) });
}

// As many resources as N DockerHosts with a data disk (a component, the scripts upload and three steps:
// gate, data-disk, apply), doing nothing: the engine's own floor for that many resources.
const FLOOR_INDEX = `import * as pulumi from "@pulumi/pulumi";
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

/** The engine floor for `hosts` hosts, created (its first `up`, measured: the engine floor of a cold `up`)
 *  and ready for measured no-op runs. */
export async function floorProject(hosts: number, runtime: Runtime): Promise<{ project: EngineProject; created: MeasuredRun }> {
    // The program's own entry point and tsconfig, so the floor pays what the program pays to start.
    const p = engineProject(["program.cjs", "tsconfig.json", "package.json"], { "Pulumi.yaml": pulumiYaml("bench-floor", runtime), "index.ts": FLOOR_INDEX });
    await pulumi(p, ["stack", "init", STACK, "--secrets-provider", "passphrase"]);
    await pulumi(p, ["config", "set", "bench:hosts", String(hosts)]);
    return { project: p, created: await pulumi(p, ["up", "--yes", "--skip-preview"]) };
}

/** Runs pulumi on the bench stack in a cgroup of its own; throws on failure. With `events`, the run streams
 *  its engine events (--json) into it as they arrive. */
export async function pulumi(p: EngineProject, args: readonly string[], events?: EventStream): Promise<MeasuredRun> {
    const stackArgs = args[0] === "stack" && args[1] === "init" ? [] : ["--stack", STACK];
    const full = [...args, ...stackArgs, ...(events ? ["--json"] : []), "--non-interactive", "--color", "never"];
    const run = await measured("pulumi", full, { cwd: p.dir, env: p.env, onStdout: events ? (chunk) => events.feed(chunk) : undefined });
    if (run.status !== 0) throw new Error(`pulumi ${full.join(" ")} failed (exit ${run.status}) in ${p.dir}:\n${run.out}`);
    return run;
}

/** The stack output daemonJson: the exact daemon.json bytes per host. */
export async function daemonJsonOutput(p: EngineProject): Promise<Record<string, string>> {
    const res = await pulumi(p, ["stack", "output", "daemonJson", "--json", "--show-secrets"]);
    return JSON.parse(res.out.slice(res.out.indexOf("{"))) as Record<string, string>;
}
