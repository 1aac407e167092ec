// The README's configuration reference must match the code.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { configurationReferenceTable } from "../../components/dockerHost/reference";

const README = readFileSync(join(__dirname, "../../README.md"), "utf8");

describe("README", () => {
    it("lists every daemon setting exactly as the code defines it", () => {
        const block = /<!-- settings:start -->\n([\s\S]*?)\n<!-- settings:end -->/.exec(README)?.[1];
        assert.equal(block, configurationReferenceTable(), "regenerate with: node --import tsx -e \"console.log(require('./components/dockerHost/reference').configurationReferenceTable())\"");
    });

    it("documents every key a host entry accepts", () => {
        const source = readFileSync(join(__dirname, "../../components/stackConfig.ts"), "utf8");
        const keys = /const HOST_KEYS = \[([^\]]+)\]/.exec(source)![1]!.match(/"([a-zA-Z]+)"/g)!.map((k) => k.slice(1, -1));
        for (const key of keys) assert.match(README, new RegExp(`^\\| \`${key}\` \\|`, "m"), `README lacks host key ${key}`);
    });

    it("names `npm test` as the test command, which .ci/run runs", () => {
        assert.match(README, /\| every test \(unit, host, engine\) \| `npm test` \|/);
        assert.match(readFileSync(join(__dirname, "../../.ci/run"), "utf8"), /^exec npm test$/m);
    });
});
