// A throwaway copy of a Pulumi project wired to the offline engine: its own local backend and passphrase,
// so tests and benchmarks never touch the repo's stacks or ~/.docker-host/state.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stringify } from "yaml";

export const REPO = join(__dirname, "../..");
/** What a copy of this repository's own program needs (program.cjs: its entry point, Pulumi.yaml's main). */
export const PROGRAM_FILES = ["Pulumi.yaml", "program.cjs", "index.ts", "package.json", "tsconfig.json", "components"];

/** The output of a pulumi run (`run`'s result for `args`), after asserting that it succeeded. */
export function succeeded(res: { status: number | null; out: string }, args: readonly string[]): string {
    assert.equal(res.status, 0, `pulumi ${args.join(" ")} failed:\n${res.out}`);
    return res.out;
}

export interface EngineProject {
    readonly dir: string;
    readonly stateDir: string;
    readonly env: NodeJS.ProcessEnv;
    /** Runs the pulumi CLI in the project; never throws. */
    run(...args: string[]): { status: number | null; out: string };
    /** Like run, feeding `input` on stdin (e.g. `config set --secret` values). */
    runWithInput(input: string, ...args: string[]): { status: number | null; out: string };
    remove(): void;
}

function runPulumi(cwd: string, env: NodeJS.ProcessEnv, input: string, args: string[]) {
    const res = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd, env, input, encoding: "utf8", timeout: 10 * 60_000 });
    return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

/** What `scripts/engine.sh --env` says: the PATH prefix, the command plugin chosen, and — for docker-host's
 * stand-in — the private Pulumi home every pulumi command must run with. */
export interface EngineEnv {
    readonly pathPrefix: string;
    readonly commandPlugin: "upstream" | "standin";
    readonly pulumiHome?: string;
}

/** Runs `scripts/engine.sh --env` (building the engine when needed) and parses its KEY=VALUE lines. */
export function provideEngine(env: NodeJS.ProcessEnv = process.env): EngineEnv {
    const engine = spawnSync(join(REPO, "scripts/engine.sh"), ["--env"], { encoding: "utf8", env, timeout: 30 * 60_000 });
    assert.equal(engine.status, 0, `scripts/engine.sh --env failed:\n${engine.stderr}`);
    const values = new Map<string, string>();
    for (const line of engine.stdout.split("\n")) {
        const eq = line.indexOf("=");
        if (eq > 0) values.set(line.slice(0, eq), line.slice(eq + 1));
    }
    const pathPrefix = values.get("PATH_PREFIX");
    const commandPlugin = values.get("COMMAND_PLUGIN");
    assert.ok(pathPrefix, `scripts/engine.sh --env printed no PATH_PREFIX:\n${engine.stdout}`);
    assert.ok(commandPlugin === "upstream" || commandPlugin === "standin", `scripts/engine.sh --env: COMMAND_PLUGIN=${commandPlugin}`);
    const pulumiHome = values.get("PULUMI_HOME");
    return { pathPrefix, commandPlugin, ...(pulumiHome ? { pulumiHome } : {}) };
}

/** Copies `copy` (paths in this repo) and writes `files` into a new temp project; provides the engine. */
export function engineProject(copy: readonly string[], files: Readonly<Record<string, string>> = {}): EngineProject {
    const engine = provideEngine();
    const dir = mkdtempSync(join(tmpdir(), "docker-host-project-"));
    for (const entry of copy) cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
    const stateDir = join(dir, ".state");
    mkdirSync(stateDir);
    const env = {
        ...process.env,
        PATH: `${engine.pathPrefix}:${process.env.PATH}`,
        ...(engine.pulumiHome ? { PULUMI_HOME: engine.pulumiHome } : {}),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_CONFIG_PASSPHRASE: "throwaway-project",
        PULUMI_BACKEND_URL: `file://${stateDir}`,
    };
    return {
        dir,
        stateDir,
        env,
        run: (...args) => runPulumi(dir, env, "", args),
        runWithInput: (input, ...args) => runPulumi(dir, env, input, args),
        remove: () => rmSync(dir, { recursive: true, force: true }),
    };
}

/** A host of a test stack: its name, address and key file. */
export interface StackHost {
    readonly name: string;
    readonly host: string;
    readonly privateKeyPath: string;
    /** sshd's host key, pinned in the stack unless `options.pinHostKeys` is false. */
    readonly hostKey?: string;
    /** SSH user (default root). */
    readonly user?: string;
    /** A jump host in front of it, with its own pinned key. */
    readonly bastion?: { readonly host: string; readonly user?: string; readonly hostKey?: string };
    /** Daemon settings of this host alone, over the stack's defaults. */
    readonly daemon?: object;
}

/** Writes Pulumi.<stack>.yaml for `hosts` (each with /dev/vdb as its data disk), keeping the stack's salt.
 *  `rollout` is docker-host:rollout as written (else `batchSize`, default 1). */
export function writeStackConfig(
    project: EngineProject,
    stack: string,
    hosts: readonly StackHost[],
    options: { daemon?: object; detectDrift?: boolean; keyPath?: string; batchSize?: number; rollout?: object; pinHostKeys?: boolean } = {},
): void {
    const file = join(project.dir, `Pulumi.${stack}.yaml`);
    const salt = existsSync(file) ? /^encryptionsalt: .*$/m.exec(readFileSync(file, "utf8"))?.[0] : undefined;
    const config = {
        config: {
            "docker-host:rollout": options.rollout ?? { batchSize: options.batchSize ?? 1 },
            ...(options.detectDrift === undefined ? {} : { "docker-host:detectDrift": options.detectDrift }),
            "docker-host:defaults": { daemon: options.daemon ?? {} },
            "docker-host:hosts": hosts.map((h) => ({
                name: h.name,
                host: h.host,
                privateKeyPath: options.keyPath ?? h.privateKeyPath,
                ...(h.user ? { user: h.user } : {}),
                ...(h.hostKey && options.pinHostKeys !== false ? { hostKey: h.hostKey } : {}),
                ...(h.bastion ? { bastion: h.bastion } : {}),
                ...(h.daemon ? { daemon: h.daemon } : {}),
                dataDisk: { device: "/dev/vdb" },
            })),
        },
    };
    writeFileSync(file, `${stringify(config)}${salt ? `${salt}\n` : ""}`);
}
