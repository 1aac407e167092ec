// A throwaway copy of a Pulumi project wired to the offline engine: its own local backend and passphrase,
// so tests and benchmarks never touch the repo's stacks or ~/.docker-host/state.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const REPO = join(__dirname, "../..");
/** What a copy of this repository's own program needs. */
export const PROGRAM_FILES = ["Pulumi.yaml", "index.ts", "package.json", "tsconfig.json", "components"];

export interface EngineProject {
    readonly dir: string;
    readonly stateDir: string;
    readonly env: NodeJS.ProcessEnv;
    /** Runs the pulumi CLI in the project; never throws. */
    run(...args: string[]): { status: number | null; out: string };
    remove(): void;
}

/** Copies `copy` (paths in this repo) and writes `files` into a new temp project; provides the engine. */
export function engineProject(copy: readonly string[], files: Readonly<Record<string, string>> = {}): EngineProject {
    const engine = spawnSync(join(REPO, "scripts/engine.sh"), { encoding: "utf8", timeout: 30 * 60_000 });
    assert.equal(engine.status, 0, `scripts/engine.sh failed:\n${engine.stderr}`);
    const dir = mkdtempSync(join(tmpdir(), "docker-host-project-"));
    for (const entry of copy) cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
    const stateDir = join(dir, ".state");
    mkdirSync(stateDir);
    const env = {
        ...process.env,
        PATH: `${engine.stdout.trim()}:${process.env.PATH}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_CONFIG_PASSPHRASE: "throwaway-project",
        PULUMI_BACKEND_URL: `file://${stateDir}`,
    };
    return {
        dir,
        stateDir,
        env,
        run: (...args) => {
            const res = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never"], { cwd: dir, env, encoding: "utf8", timeout: 10 * 60_000 });
            return { status: res.status, out: `${res.stdout}${res.stderr}` };
        },
        remove: () => rmSync(dir, { recursive: true, force: true }),
    };
}
