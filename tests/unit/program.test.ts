// program.cjs, the program's entry point, run as the SDK runs it: `source-map-support/register` first (as
// @pulumi/pulumi's cmd/run does), then the entry point with its index.ts — here a stand-in index.ts of the
// test's own, beside a copy of program.cjs, that reports the stacks the SDK would make.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
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
});
