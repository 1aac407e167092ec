// The program's entry point for Pulumi (Pulumi.yaml "main"): index.ts and its imports with their types
// stripped (TypeScript's transpileModule, one file at a time), instead of the language host's ts-node
// type-checking the whole program on every run; `npm test` type-checks it (tsc -p .). Current language
// hosts honour Pulumi.yaml's `typescript: false` and never load ts-node; the v3.68.0 one scripts/engine.sh
// builds offline ignores runtime options and registers ts-node anyway: this hook, registered after it,
// takes over .ts files before ts-node compiles any. (tsx would do the same, but it also intercepts every
// .js file the SDK loads, which cost more than it saved.)
// Each file's JavaScript is kept in node_modules/.cache/docker-host-program/, named by a digest of the
// TypeScript version, the options, the file's path within the project and its text: a run whose files are
// all unchanged never loads TypeScript (loading it and transpiling cost about 2 s of every run here;
// scripts/bench.sh). The path is relative because the output depends on the file's name, not on its
// directory: a copy of the project elsewhere that shares node_modules (the tests' and benchmarks'
// temporary projects) uses the same entries instead of transpiling everything again and adding its own.
// An entry a run uses gets its mtime set to that day; a run that writes an entry (some file changed) removes
// the entries no run has used for PRUNE_AFTER_DAYS, so the cache holds what was recently run, not every
// version of every file ever edited.
// It also keeps the SDK's per-promise stack stamps off source maps (below the hook).
"use strict";
const { createHash } = require("node:crypto");
const { mkdirSync, readdirSync, readFileSync, renameSync, statSync, unlinkSync, utimesSync, writeFileSync } = require("node:fs");
const { join, relative } = require("node:path");

const compilerOptions = { module: "commonjs", target: "es2022", esModuleInterop: true, sourceMap: false, inlineSourceMap: true };
const CACHE = join(__dirname, "node_modules", ".cache", "docker-host-program");
const TS_VERSION = require("typescript/package.json").version;
const DAY_MS = 24 * 60 * 60 * 1000;
const PRUNE_AFTER_DAYS = 30;
let ts;
let pruned = false;

// touch(entry): marks an entry used today (at most one metadata write per entry and day).
function touch(entry) {
    try {
        if (Date.now() - statSync(entry).mtimeMs > DAY_MS) utimesSync(entry, new Date(), new Date());
    } catch {
        // a read-only node_modules: the entry may be pruned by a later writer, and is then transpiled again
    }
}

// prune(): once per run that writes an entry, removes the entries (and leftover temporary files) unused for
// PRUNE_AFTER_DAYS.
function prune() {
    if (pruned) return;
    pruned = true;
    const cutoff = Date.now() - PRUNE_AFTER_DAYS * DAY_MS;
    for (const name of readdirSync(CACHE)) {
        try {
            const entry = join(CACHE, name);
            if (statSync(entry).mtimeMs < cutoff) unlinkSync(entry);
        } catch {
            // another run removed it first
        }
    }
}

function transpile(source, filename) {
    ts ??= require("typescript");
    const options = { ...compilerOptions, module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 };
    return ts.transpileModule(source, { compilerOptions: options, fileName: filename }).outputText;
}

require.extensions[".ts"] = (module, filename) => {
    const source = readFileSync(filename, "utf8");
    const key = createHash("sha256").update(JSON.stringify([TS_VERSION, compilerOptions, relative(__dirname, filename), source])).digest("hex");
    const cached = join(CACHE, `${key}.js`);
    let output;
    try {
        output = readFileSync(cached, "utf8");
        touch(cached);
    } catch {
        output = transpile(source, filename);
        try {
            // Written aside and renamed: a concurrent run never reads half a file.
            mkdirSync(CACHE, { recursive: true });
            writeFileSync(`${cached}.${process.pid}`, output);
            renameSync(`${cached}.${process.pid}`, cached);
            prune();
        } catch {
            // a read-only node_modules: no cache, the next run transpiles again
        }
    }
    module._compile(output, filename);
};
// The SDK stamps every promise it makes with `new Error().stack`, for a leak report it prints only with
// PULUMI_DEBUG_PROMISE_LEAKS set, and the source-map-support it registers maps each frame of every such
// stack to the SDK's TypeScript: ≈ 0.5 s of wall time and of CPU of a no-op `up` of 20 hosts here (README,
// Measurements). Without that variable those stacks keep V8's own frames; every other stack is mapped.
if (!process.env.PULUMI_DEBUG_PROMISE_LEAKS && typeof Error.prepareStackTrace === "function") {
    const mapped = Error.prepareStackTrace;
    const STAMP = /[\\/]@pulumi[\\/]pulumi[\\/]runtime[\\/]debuggable\.js$/;
    const isPromiseStamp = (frames) => frames[0]?.getFunctionName() === "debuggablePromise" && STAMP.test(frames[0].getFileName() ?? "");
    Error.prepareStackTrace = (error, frames) => (isPromiseStamp(frames) ? `${error}\n    at ${frames.join("\n    at ")}` : mapped(error, frames));
}

// The stack's outputs are the program's exports.
module.exports = require("./index.ts");
