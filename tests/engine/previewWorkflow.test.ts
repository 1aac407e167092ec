// The command the preview workflow runs, through the real engine against sandbox hosts: scripts/preview.sh
// writes the PR comment of a stack — the plan lines first, then the key-level diff — and boots a stack's
// sandbox host first when it is not running (the logic scripts/up.sh shares, scripts/sandbox-stack.sh).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { extractPlanLines } from "../../scripts/previewComment";
import { downHost, hostTestsSkipReason, sandbox, SandboxHost, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, REPO, succeeded, writeStackConfig } from "./project";

const STACK = "wf";
const BOOT_STACK = "wf-boot";
const BOOT_HOST = "wf-boot-1";

describe("scripts/preview.sh, the preview workflow's command, through the real engine", { skip: hostTestsSkipReason() }, () => {
    let project: EngineProject;
    let host: SandboxHost;

    const ok = (...args: string[]) => succeeded(project.run(...args, "--stack", STACK), args);
    /** Runs scripts/preview.sh on the throwaway project, as the workflow does (CI set: drift probes on). */
    const preview = (stack: string) => {
        const outfile = join(project.dir, `comment-${stack}.md`);
        const res = spawnSync(join(REPO, "scripts/preview.sh"), ["--cwd", project.dir, "--log-url", "https://example.invalid/run/1", stack, outfile], {
            env: { ...project.env, CI: "true" },
            encoding: "utf8",
            timeout: 15 * 60_000,
        });
        return { status: res.status, stderr: res.stderr, comment: () => readFileSync(outfile, "utf8") };
    };

    before(() => {
        project = engineProject(PROGRAM_FILES);
        host = upHost("wf-1");
        ok("stack", "init", "--secrets-provider", "passphrase");
        writeStackConfig(project, STACK, [host]);
        ok("up", "--yes", "--skip-preview");
    });
    after(() => {
        downHost("wf-1");
        sandbox("down", BOOT_HOST); // absent when the boot test did not run
        project?.remove();
    });

    it("writes the comment of a restart-class change: the plan lines first, then the key-level diff", () => {
        writeStackConfig(project, STACK, [host], { daemon: { logMaxSize: "20m" } });
        const res = preview(STACK);
        assert.equal(res.status, 0, res.stderr);
        const comment = res.comment();
        const lines = comment.split("\n");
        assert.equal(lines[0], `<!-- docker-host-preview stack=${STACK} -->`);
        assert.match(lines[1]!, /^### Preview of stack `wf`: ~ 1 to update, \d+ unchanged$/);
        // The diff, whole, inside the collapsible block.
        const details = comment.indexOf("<details>");
        assert.ok(details > 0, comment);
        assert.match(comment.slice(details), /~ max-size: "10m" => "20m"/);
        assert.match(comment.slice(details), /~ create: "sh -c .* apply v=[0-9a-f]{64} [^\n]*restart-class=/);
        assert.ok(comment.trimEnd().endsWith("</details>"));
        // Every plan line pulumi printed (preview.sh tees its output to stderr) is in the comment, before the diff.
        const printed = extractPlanLines(res.stderr).map((p) => p.text);
        // Above the diff, each once (the diff below is pulumi's output, which repeats them).
        const aboveDiff = comment.slice(0, details).split("\n").filter((l) => l.startsWith("plan: "));
        assert.deepEqual(aboveDiff, printed);
        assert.match(comment, /^plan: wf-1: .*\brestart\b/m);
        // A preview changes nothing: the stack still has the change to make.
        assert.match(ok("preview", "--diff"), /~ max-size: "10m" => "20m"/);
    });

    it("boots a stack's sandbox host that is not running, at the address the stack names, then previews it", () => {
        sandbox("down", BOOT_HOST);
        // A free sandbox index from the top, away from the lowest ones `sandbox up` hands out by default.
        const used = new Set(sandbox("list").stdout.split("\n").flatMap((l) => /"host":"10\.213\.(\d+)\.2"/.exec(l)?.[1] ?? []).map(Number));
        const index = [...Array(60).keys()].map((i) => 250 - i).find((i) => !used.has(i))!;
        const dir = `/run/docker-host-sandbox/${BOOT_HOST}`;
        writeFileSync(
            join(project.dir, `Pulumi.${BOOT_STACK}.yaml`),
            [
                "config:",
                "  docker-host:defaults:",
                `    privateKeyPath: ${dir}/id_ed25519`,
                `    hostKeyPath: ${dir}/ssh_host_ed25519_key.pub`,
                "  docker-host:hosts:",
                `    - {name: ${BOOT_HOST}, host: 10.213.${index}.2, dataDisk: {device: /dev/vdb}}`,
                "",
            ].join("\n"),
        );
        const res = preview(BOOT_STACK);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, new RegExp(`^preview: booting the local disposable host ${BOOT_HOST}$`, "m"));
        const info = sandbox("info", BOOT_HOST);
        assert.equal(info.status, 0, info.stderr);
        assert.match(info.stdout, new RegExp(`"host":"10\\.213\\.${index}\\.2"`));
        const comment = res.comment();
        assert.match(comment, /^### Preview of stack `wf-boot`: \+ \d+ to create$/m);
        assert.match(comment, new RegExp(`${BOOT_HOST}-apply`));
    });
});
