// The README's configuration reference must match the code: the daemon settings table is generated
// (reference.ts), the host-entry and prune tables name exactly the keys the code accepts.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PRUNE_DEFAULTS } from "../../components/dockerHost/args";
import { configurationReferenceTable } from "../../components/dockerHost/reference";
import { knownKeysAt } from "../../components/dockerHost/validate/schema";
import { HOST_KEYS } from "../../components/stackConfig";

const README = readFileSync(join(__dirname, "../../README.md"), "utf8");

/** The rows of the first table under a heading: the first column (without backquotes) → the second. */
function tableAfter(heading: string): Map<string, string> {
    const start = README.indexOf(`\n${heading}\n`);
    assert.ok(start >= 0, `README has no heading ${heading}`);
    const lines = README.slice(start).split("\n");
    const first = lines.findIndex((l) => l.startsWith("| "));
    const rows = lines.slice(first + 2).filter((_, i, all) => all.slice(0, i + 1).every((l) => l.startsWith("|")));
    return new Map(rows.map((row) => row.split(" | ").map((cell) => cell.replace(/^\| /, "").replace(/`/g, "").trim()) as [string, string]));
}

describe("README", () => {
    it("lists every daemon setting exactly as the code defines it", () => {
        const block = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(README)?.[1];
        assert.equal(block, configurationReferenceTable(), "regenerate with: node --import tsx -e \"console.log(require('./components/dockerHost/reference').configurationReferenceTable())\"");
    });

    it("documents exactly the keys a host entry accepts", () => {
        assert.deepEqual([...tableAfter("### Host keys (entries of `docker-host:hosts`, and `docker-host:defaults` minus name/host)").keys()].sort(), [...HOST_KEYS].sort());
    });

    it("documents exactly the keys of prune, with their defaults", () => {
        const table = tableAfter("### Scheduled pruning (`prune`)");
        assert.deepEqual([...table.keys()].sort(), knownKeysAt(["prune"]).sort());
        for (const [key, value] of Object.entries(PRUNE_DEFAULTS)) assert.equal(table.get(key), String(value), key);
    });

    it("names `npm test` as the test command, which .ci/run runs", () => {
        assert.match(README, /\| every test \(unit, host, engine\) \| `npm test` \|/);
        assert.match(readFileSync(join(__dirname, "../../.ci/run"), "utf8"), /^exec npm test$/m);
    });
});
