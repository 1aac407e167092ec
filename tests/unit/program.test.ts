// program.cjs, the program's entry point, run as the SDK runs it: `source-map-support/register` first (as
// @pulumi/pulumi's cmd/run does), then the entry point with its index.ts — here a stand-in index.ts of the
// test's own, beside a copy of program.cjs, that reports the stacks the SDK would make.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";

const REPO = join(__dirname, "../..");
const SOURCE_MAP_SUPPORT = require.resolve("source-map-support/register", { paths: [require.resolve("@pulumi/pulumi/cmd/run/index.js")] });

// The SDK's own promise stamp (debuggablePromise), and an error thrown inside the SDK (a missing config key).
const INDEX_TS = `
import { Config } from "@pulumi/pulumi";
import { debuggablePromise } from "@pulumi/pulumi/runtime/debuggable";
const stamped: Promise<number> & { _debugStackTrace?: string } = Promise.resolve(1);
void debuggablePromise(stamped, "test");
let thrown = "";
try {
    new Config("test").require("missing");
} catch (err) {
    thrown = (err as Error).stack ?? "";
}
process.stdout.write(JSON.stringify({ stamp: stamped._debugStackTrace, thrown }));
`;

// Projects made by the tests: each a new directory with a copy of program.cjs, this repository's
// node_modules (and so program.cjs's transpile cache) and the index.ts given.
const projects: string[] = [];
after(() => projects.forEach((d) => rmSync(d, { recursive: true, force: true })));
function project(indexTs: string): string {
    const dir = mkdtempSync(join(tmpdir(), "docker-host-program-"));
    projects.push(dir);
    copyFileSync(join(REPO, "program.cjs"), join(dir, "program.cjs"));
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
    writeFileSync(join(dir, "index.ts"), indexTs);
    return dir;
}

describe("program.cjs", () => {
    let dir: string;
    before(() => {
        dir = project(INDEX_TS);
    });

    const run = (env: NodeJS.ProcessEnv): { stamp: string; thrown: string } => {
        const res = spawnSync(process.execPath, ["-r", SOURCE_MAP_SUPPORT, join(dir, "program.cjs")], { encoding: "utf8", cwd: dir, env: { ...process.env, PULUMI_DEBUG_PROMISE_LEAKS: "", ...env } });
        assert.equal(res.status, 0, res.stderr);
        return JSON.parse(res.stdout) as { stamp: string; thrown: string };
    };

    it("leaves the SDK's promise stamps unmapped and maps every other stack", () => {
        const { stamp, thrown } = run({});
        assert.match(stamp, /^Error\n {4}at debuggablePromise \(.*[\\/]runtime[\\/]debuggable\.js:\d+:\d+\)\n/);
        assert.doesNotMatch(stamp, /[\\/]debuggable\.ts:/);
        // source-map-support still maps the SDK's frames of a real error to its TypeScript.
        assert.match(thrown, /Missing required configuration variable 'test:missing'/);
        assert.match(thrown, /[\\/]config\.ts:\d+:\d+/);
    });

    it("maps the stamps too when PULUMI_DEBUG_PROMISE_LEAKS asks for the leak report", () => {
        const { stamp } = run({ PULUMI_DEBUG_PROMISE_LEAKS: "1" });
        assert.match(stamp, /at debuggablePromise \(.*[\\/]debuggable\.ts:\d+:\d+\)/);
    });
});

describe("program.cjs's transpile cache", () => {
    // Whether TypeScript was loaded to run the project's index.ts (which reports it), i.e. whether the cache missed.
    const loadsTypeScript = (dir: string): boolean => {
        const res = spawnSync(process.execPath, [join(dir, "program.cjs")], { encoding: "utf8", cwd: dir });
        assert.equal(res.status, 0, res.stderr);
        return (JSON.parse(res.stdout) as { typescript: boolean }).typescript;
    };

    it("serves a copy of the project in another directory from the entries the first one wrote", () => {
        // A text no run has transpiled before, so the first run misses.
        const indexTs = `// ${randomUUID()}
const typescript: boolean = Object.keys(require.cache).some((file) => /[\\/]typescript[\\/]lib[\\/]typescript\.js$/.test(file));
process.stdout.write(JSON.stringify({ typescript }));
`;
        assert.equal(loadsTypeScript(project(indexTs)), true, "the first run transpiles");
        assert.equal(loadsTypeScript(project(indexTs)), false, "a copy elsewhere hits the cache");
        assert.equal(loadsTypeScript(project(`${indexTs}// changed\n`)), true, "a changed text transpiles again");
    });

    it("keeps the entries runs use and, when a run writes one, removes those unused for 30 days", () => {
        const CACHE = join(REPO, "node_modules", ".cache", "docker-host-program");
        const marker = randomUUID();
        const indexTs = `// ${marker}
const typescript: boolean = Object.keys(require.cache).some((file) => /[\\/]typescript[\\/]lib[\\/]typescript\.js$/.test(file));
process.stdout.write(JSON.stringify({ typescript }));
`;
        const dir = project(indexTs);
        assert.equal(loadsTypeScript(dir), true);
        const entries = readdirSync(CACHE).filter((name) => readFileSync(join(CACHE, name), "utf8").includes(marker));
        assert.equal(entries.length, 1);
        const used = join(CACHE, entries[0]!);
        const longAgo = new Date(Date.now() - 40 * 24 * 60 * 60 * 1000);
        // An entry written 40 days ago and used today stays; one nobody used for 40 days goes.
        utimesSync(used, longAgo, longAgo);
        assert.equal(loadsTypeScript(dir), false);
        assert.ok(Date.now() - statSync(used).mtimeMs < 60_000, "a hit marks the entry used today");
        const stale = join(CACHE, `${"0".repeat(64)}.js`);
        writeFileSync(stale, "// an entry of a version no run uses any more\n");
        utimesSync(stale, longAgo, longAgo);
        assert.equal(loadsTypeScript(dir), false, "a run that writes nothing prunes nothing");
        assert.ok(existsSync(stale));
        assert.equal(loadsTypeScript(project(`${indexTs}// changed\n`)), true);
        assert.ok(!existsSync(stale), "the run that wrote an entry removed the one unused for 40 days");
        assert.ok(existsSync(used));
        assert.equal(loadsTypeScript(dir), false, "the used entry still serves");
    });
});
