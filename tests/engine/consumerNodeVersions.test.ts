// The unit suite (tests/unit) on each Node.js release of scripts/node-versions that is not the one running
// the suite already, so that "supported and tested" in the README (and package.json's engines) is true of the
// library's own logic on every release, not just of the consumers that drive the engine on them
// (consumer*.test.ts). The releases are official binaries from the npm registry (scripts/setup.sh).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { nodeReleases, nodeReleasesSkipReason } from "./consumer";
import { REPO } from "./project";

function withoutTestContext(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
    const { NODE_TEST_CONTEXT: _, ...rest } = env;
    return rest;
}

describe("the unit suite on every supported Node.js release", { skip: nodeReleasesSkipReason() }, () => {
    const files = readdirSync(join(REPO, "tests/unit"))
        .filter((f) => f.endsWith(".test.ts"))
        .map((f) => join("tests/unit", f));
    for (const release of nodeReleases()) {
        const same = process.version === `v${release.version}`;
        it(`passes on Node.js ${release.version}`, { skip: same ? "this is the release running the suite" : undefined }, () => {
            const res = spawnSync(join(release.bin, "node"), ["--import", "tsx", "--test", "--test-reporter=dot", ...files], {
                cwd: REPO,
                // Without NODE_TEST_CONTEXT, which the runner of this file set: with it, the nested
                // runner would take itself for one of this runner's children and run nothing.
                env: { ...withoutTestContext(process.env), PATH: `${release.bin}:${process.env.PATH}` },
                encoding: "utf8",
                timeout: 10 * 60_000,
            });
            const out = `${res.stdout}${res.stderr}`;
            assert.equal(res.status, 0, `tests/unit on Node.js ${release.version} failed:\n${out.slice(-20_000)}`);
            // The dot reporter prints one dot per passing test: a run that ran nothing is no pass.
            assert.ok((out.match(/\./g) ?? []).length >= files.length, `tests/unit on Node.js ${release.version} ran no test:\n${out}`);
        });
    }
});
