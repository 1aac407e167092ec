// The program's entry point for Pulumi (Pulumi.yaml "main"): index.ts and its imports with their types
// stripped (TypeScript's transpileModule, one file at a time), instead of the language host's ts-node
// type-checking the whole program on every run; `npm test` type-checks it (tsc -p .). Current language
// hosts honour Pulumi.yaml's `typescript: false` and never load ts-node; the v3.68.0 one scripts/engine.sh
// builds offline ignores runtime options and registers ts-node anyway: this hook, registered after it,
// takes over .ts files before ts-node compiles any. (tsx would do the same, but it also intercepts every
// .js file the SDK loads, which cost more than it saved.)
"use strict";
const { readFileSync } = require("node:fs");
const ts = require("typescript");

const compilerOptions = { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, esModuleInterop: true, sourceMap: false, inlineSourceMap: true };
require.extensions[".ts"] = (module, filename) => {
    const { outputText } = ts.transpileModule(readFileSync(filename, "utf8"), { compilerOptions, fileName: filename });
    module._compile(outputText, filename);
};
// The stack's outputs are the program's exports.
module.exports = require("./index.ts");
