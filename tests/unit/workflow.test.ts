// The pull-request preview workflow runs as committed: actionlint (with shellcheck on its run: blocks) finds
// nothing; its matrix is derived from the stack files and names no stack by hand; everything it runs is in
// the repository; the stacks it previews are exactly the Pulumi.<stack>.yaml files; the sandbox stacks are
// recognised; and the PR comment is composed as the operator expects (plan lines first, per host, then the
// diff, cut to GitHub's limit).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { commentMarker, composeComment, cutLines, extractPlanLines, GITHUB_COMMENT_LIMIT, resourceSummary } from "../../scripts/previewComment";
import { sandboxHostsOf } from "../../scripts/sandboxStack";

const REPO = join(__dirname, "../..");
const WORKFLOWS = join(REPO, ".github/workflows");
const WORKFLOW = join(WORKFLOWS, "preview.yml");
/** The first build of actionlint (Go module proxy) takes about a minute here; later runs reuse the cache. */
const ACTIONLINT_TIMEOUT_MS = 10 * 60_000;

const stackFiles = (dir: string) =>
    readdirSync(dir)
        .map((f) => /^Pulumi\.(.+)\.yaml$/.exec(f)?.[1])
        .filter((s): s is string => s !== undefined)
        .sort();

interface Step {
    readonly run?: string;
    readonly uses?: string;
}
interface Job {
    readonly steps: readonly Step[];
    readonly strategy?: { readonly matrix?: Readonly<Record<string, unknown>> };
    readonly outputs?: Readonly<Record<string, string>>;
    readonly needs?: string | readonly string[];
}
const workflow = parse(readFileSync(WORKFLOW, "utf8")) as { jobs: Readonly<Record<string, Job>> };

function actionlint(...args: string[]) {
    const res = spawnSync(join(REPO, "scripts/actionlint.sh"), args, { cwd: REPO, encoding: "utf8", timeout: ACTIONLINT_TIMEOUT_MS });
    return { status: res.status, out: `${res.stdout}${res.stderr}` };
}

describe("the preview workflow", () => {
    it("passes actionlint (and shellcheck on its run: blocks) with no finding", () => {
        const files = readdirSync(WORKFLOWS).filter((f) => /\.ya?ml$/.test(f)).map((f) => join(WORKFLOWS, f));
        const res = actionlint("-no-color", ...files);
        assert.equal(res.status, 0, `actionlint found problems:\n${res.out}`);
        assert.equal(res.out.split("\n").filter((l) => l.includes(".yml:")).length, 0, res.out);
    });

    it("actionlint reports a bad expression and, with shellcheck on PATH, an unquoted variable in run:", () => {
        const dir = mkdtempSync(join(tmpdir(), "wf-lint-"));
        try {
            const bad = join(dir, "bad.yml");
            writeFileSync(bad, ["on: pull_request", "jobs:", "  a:", "    runs-on: ubuntu-24.04", "    steps:", "      - run: echo ${{ matrix.nope }} $FOO", ""].join("\n"));
            const res = actionlint("-no-color", bad);
            assert.equal(res.status, 1, res.out);
            assert.match(res.out, /property "nope" is not defined/);
            if (spawnSync("sh", ["-c", "command -v shellcheck"]).status === 0) assert.match(res.out, /SC2086/);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("derives the preview matrix from scripts/preview-stacks.sh and names no stack by hand", () => {
        const { stacks, preview } = workflow.jobs;
        assert.ok(stacks && preview, "jobs `stacks` and `preview` exist");
        assert.ok(stacks.steps.some((s) => s.run?.includes("scripts/preview-stacks.sh") && /\$GITHUB_OUTPUT/.test(s.run)), "the stacks job writes scripts/preview-stacks.sh's output");
        assert.equal(stacks.outputs?.stacks, "${{ steps.list.outputs.stacks }}");
        assert.equal(preview.needs, "stacks");
        // The matrix is the derived list and nothing else: no include/exclude naming a stack.
        assert.deepEqual(preview.strategy?.matrix, { stack: "${{ fromJSON(needs.stacks.outputs.stacks) }}" });
        const text = readFileSync(WORKFLOW, "utf8");
        for (const stack of ["prod", ...stackFiles(REPO)]) {
            assert.doesNotMatch(text, new RegExp(`stack(-name)?:\\s*\\[?\\s*${stack}\\b`), `the workflow names the stack ${stack}`);
        }
    });

    it("previews exactly the stacks whose Pulumi.<stack>.yaml exist", () => {
        const res = spawnSync(join(REPO, "scripts/preview-stacks.sh"), { encoding: "utf8" });
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(JSON.parse(res.stdout), stackFiles(REPO));
        assert.ok(stackFiles(REPO).length > 0);
    });

    it("scripts/preview-stacks.sh follows the files: added, removed, and a name it cannot print refused", () => {
        const dir = mkdtempSync(join(tmpdir(), "wf-stacks-"));
        try {
            mkdirSync(join(dir, "scripts"));
            copyFileSync(join(REPO, "scripts/preview-stacks.sh"), join(dir, "scripts/preview-stacks.sh"));
            chmodSync(join(dir, "scripts/preview-stacks.sh"), 0o755);
            const run = () => spawnSync(join(dir, "scripts/preview-stacks.sh"), { encoding: "utf8" });
            assert.equal(run().status, 1, "no stack file is an error");
            for (const f of ["Pulumi.yaml", "PulumiPlugin.yaml", "Pulumi.staging.yaml", "Pulumi.eu-west.1.yaml", "Pulumi.a_b.yml"]) writeFileSync(join(dir, f), "config: {}\n");
            mkdirSync(join(dir, "sub"));
            writeFileSync(join(dir, "sub/Pulumi.nested.yaml"), "config: {}\n");
            const res = run();
            assert.equal(res.status, 0, res.stderr);
            assert.equal(res.stdout, '["eu-west.1","staging"]\n');
            assert.deepEqual(JSON.parse(res.stdout), stackFiles(dir));
            writeFileSync(join(dir, 'Pulumi.x"y.yaml'), "config: {}\n");
            const bad = run();
            assert.equal(bad.status, 1);
            assert.match(bad.stderr, /Pulumi\.x"y\.yaml: the stack name "x"y" is not \[A-Za-z0-9\._-\]\+\. Fix: rename the file\./);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it("runs only scripts that are in the repository, executable, and shellcheck-clean", () => {
        const runs = Object.values(workflow.jobs)
            .flatMap((job) => job.steps.map((s) => s.run ?? ""))
            .join("\n")
            .replace(/^\s*#.*$/gm, ""); // comments name scripts they do not run
        const scripts = [...new Set([...runs.matchAll(/(?:^|[\s"'(])((?:scripts|sandbox)\/[\w./-]+)/gm)].map((m) => m[1]!))];
        assert.ok(scripts.includes("scripts/preview.sh") && scripts.includes("scripts/pr-comment.sh"), scripts.join(", "));
        for (const script of scripts) {
            const path = join(REPO, script);
            assert.ok(existsSync(path), `the workflow runs ${script}, which is not in the repository`);
            if (script.endsWith(".sh")) assert.ok((statSync(path).mode & 0o111) !== 0, `${script} is not executable`);
        }
        // What those scripts run in turn (sourced or executed) exists too.
        for (const path of ["scripts/pulumi-env.sh", "scripts/setup.sh", "scripts/sandbox-stack.sh", "scripts/sandboxStack.ts", "scripts/previewComment.ts", "sandbox/sandbox"]) {
            assert.ok(existsSync(join(REPO, path)), path);
        }
        const own = ["preview.sh", "preview-stacks.sh", "pr-comment.sh", "sandbox-stack.sh", "actionlint.sh", "up.sh"].map((f) => `scripts/${f}`);
        if (spawnSync("sh", ["-c", "command -v shellcheck"]).status === 0) {
            const res = spawnSync("shellcheck", ["-x", ...own], { cwd: REPO, encoding: "utf8" });
            assert.equal(res.status, 0, res.stdout);
        }
    });
});

describe("sandbox stacks (scripts/sandboxStack.ts)", () => {
    it("the committed dev stack is the sandbox host dev-1 at index 1", () => {
        assert.deepEqual(sandboxHostsOf(readFileSync(join(REPO, "Pulumi.dev.yaml"), "utf8")), [{ name: "dev-1", index: 1 }]);
    });

    it("a stack of real servers has none; keys of an entry or of defaults count; each host once", () => {
        const real = "config:\n  docker-host:defaults:\n    privateKeyPath: /home/ops/.ssh/id_ed25519\n  docker-host:hosts:\n    - {name: web-1, host: 10.0.0.5}\n";
        assert.deepEqual(sandboxHostsOf(real), []);
        const mixed = [
            "config:",
            "  docker-host:defaults:",
            "    privateKeyPath: /home/ops/.ssh/id_ed25519",
            "  docker-host:hosts:",
            "    - {name: web-1, host: 10.0.0.5}",
            "    - {name: a, host: 10.213.7.2, privateKeyPath: /run/docker-host-sandbox/wf-a/id_ed25519}",
            "    - {name: b, host: 10.213.12.2, hostKeyPath: /run/docker-host-sandbox/wf-b/ssh_host_ed25519_key.pub}",
            "    - {name: a2, host: 10.213.7.2, privateKeyPath: /run/docker-host-sandbox/wf-a/id_ed25519}",
        ].join("\n");
        assert.deepEqual(sandboxHostsOf(mixed), [{ name: "wf-a", index: 7 }, { name: "wf-b", index: 12 }]);
        assert.deepEqual(sandboxHostsOf(""), []);
    });

    it("refuses a sandbox key at an address no sandbox index gives, naming the key and the fix", () => {
        const bad = "config:\n  docker-host:hosts:\n    - {name: x, host: 10.0.0.9, privateKeyPath: /run/docker-host-sandbox/wf-x/id_ed25519}\n    - {name: y, host: 10.213.0.2, privateKeyPath: /run/docker-host-sandbox/wf-y/id_ed25519}\n";
        assert.throws(() => sandboxHostsOf(bad, "Pulumi.t.yaml"), (e: Error) => {
            assert.match(e.message, /^Pulumi\.t\.yaml: docker-host:hosts\[0\]\.host: "10\.0\.0\.9" is not a sandbox address, but its keys are the sandbox host wf-x's \(\/run\/docker-host-sandbox\/wf-x\/\)\. Fix: set host to 10\.213\.N\.2/);
            assert.match(e.message, /docker-host:hosts\[1\]\.host: "10\.213\.0\.2"/);
            return true;
        });
    });
});

describe("boot_sandbox_hosts (scripts/sandbox-stack.sh, shared by up.sh and preview.sh)", () => {
    // A copy of the scripts with stand-ins for sandbox/sandbox and pulumi that record their calls.
    function fixture(running: readonly string[], stackExists: boolean) {
        const dir = mkdtempSync(join(tmpdir(), "wf-boot-"));
        mkdirSync(join(dir, "scripts"));
        mkdirSync(join(dir, "sandbox"));
        mkdirSync(join(dir, "bin"));
        for (const f of ["sandbox-stack.sh", "sandboxStack.ts"]) copyFileSync(join(REPO, "scripts", f), join(dir, "scripts", f));
        symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
        const calls = join(dir, "calls");
        const stub = (path: string, body: string) => {
            writeFileSync(path, `#!/usr/bin/env bash\necho "$(basename "$0") $*" >>'${calls}'\n${body}\n`);
            chmodSync(path, 0o755);
        };
        stub(join(dir, "sandbox/sandbox"), `case $1 in info) case " ${running.join(" ")} " in *" $2 "*) exit 0 ;; esac; exit 1 ;; esac`);
        stub(join(dir, "bin/pulumi"), `[ "$1 $2" != "stack select" ] || exit ${stackExists ? 0 : 1}`);
        writeFileSync(join(dir, "Pulumi.dev.yaml"), readFileSync(join(REPO, "Pulumi.dev.yaml")));
        const run = (stack: string) => {
            const script = `log() { printf 'up: %s\\n' "$*" >&2; }; source scripts/sandbox-stack.sh; boot_sandbox_hosts ${stack}; echo "hosts: \${SANDBOX_HOSTS[*]}"`;
            const res = spawnSync("bash", ["-euo", "pipefail", "-c", script], { cwd: dir, encoding: "utf8", env: { ...process.env, PATH: `${join(dir, "bin")}:${process.env.PATH}` } });
            return { ...res, calls: existsSync(calls) ? readFileSync(calls, "utf8") : "" };
        };
        return { dir, run, remove: () => rmSync(dir, { recursive: true, force: true }) };
    }

    it("boots dev-1 at index 1 and forgets the dev stack's state, with up.sh's messages of before", () => {
        const f = fixture([], true);
        try {
            const res = f.run("dev");
            assert.equal(res.status, 0, res.stderr);
            assert.equal(res.stdout, "hosts: dev-1\n");
            assert.equal(
                res.stderr,
                "up: booting the local disposable host dev-1\nup: dev-1 is a new disposable host: forgetting the dev stack's state about the previous one\n",
            );
            assert.equal(res.calls, "sandbox info dev-1\nsandbox up dev-1 --index 1\npulumi stack select dev\npulumi stack rm dev --force --yes --preserve-config\n");
        } finally {
            f.remove();
        }
    });

    it("leaves a running host and a stack without state alone; a stack of real servers boots nothing", () => {
        const running = fixture(["dev-1"], true);
        const fresh = fixture([], false);
        try {
            const r = running.run("dev");
            assert.equal(r.status, 0, r.stderr);
            assert.equal(r.stderr, "");
            assert.equal(r.calls, "sandbox info dev-1\n");
            const n = fresh.run("dev");
            assert.equal(n.calls, "sandbox info dev-1\nsandbox up dev-1 --index 1\npulumi stack select dev\n");
            assert.equal(n.stderr, "up: booting the local disposable host dev-1\n");
            writeFileSync(join(fresh.dir, "Pulumi.prod.yaml"), "config:\n  docker-host:hosts:\n    - {name: web-1, host: 10.0.0.5, privateKeyPath: /home/ops/key}\n");
            const p = fresh.run("prod");
            assert.equal(p.status, 0, p.stderr);
            assert.equal(p.stdout, "hosts: \n");
            assert.equal(p.calls, n.calls, "nothing more was called");
        } finally {
            running.remove();
            fresh.remove();
        }
    });
});

// A `pulumi preview --diff` output in the shape the CLI prints (diff display, --color never): resources with
// their diffs, then the Diagnostics section with each component's messages indented under its header.
const PREVIEW = `Previewing update (prod):
  pulumi:pulumi:Stack: (same)
    [urn=urn:pulumi:prod::docker-host::pulumi:pulumi:Stack::docker-host-prod]
    ~ command:remote:Command: (update)
        [urn=urn:pulumi:prod::docker-host::docker-host:index:DockerHost$command:remote:Command::web-2-apply]
      ~ stdin : (json) {
          ~ dns                     : [
              ~ [0]: "1.1.1.1" => "9.9.9.9"
            ]
        }
    ~ command:remote:Command: (update)
        [urn=urn:pulumi:prod::docker-host::docker-host:index:DockerHost$command:remote:Command::web-1-apply]
      ~ stdin : (json) {
          ~ log-opts                : {
              ~ max-size: "10m" => "20m"
            }
        }
Diagnostics:
  docker-host:index:DockerHost (web-2):
    plan: web-2: restart (dns; containers keep running: live-restore is on)

  docker-host:index:DockerHost (web-1):
    plan: web-1: reload (log-opts, max-concurrent-downloads)

  docker-host:index:DockerHost (db-1):
    plan: db-1: format /dev/vdb (xfs)
    plan: db-1: move data-root /var/lib/docker → /data/docker, 3.2 GiB to copy; copied live first, then every container stops for the final delta copy

  pulumi:pulumi:Stack (docker-host-prod):
    warning: web-3: no pinned host key
    the plan: web-9: is not a plan line (not at the start of the message)

Resources:
    ~ 3 to update
    15 unchanged

`;

describe("the PR comment (scripts/previewComment.ts)", () => {
    it("extracts the plan lines in order, per host, each once, whatever the indentation, prefix or colour", () => {
        const inline = "    \u001b[1minfo: plan: web-1: reload (log-opts, max-concurrent-downloads)\u001b[0m\n";
        assert.deepEqual(extractPlanLines(inline + PREVIEW), [
            { host: "web-1", text: "plan: web-1: reload (log-opts, max-concurrent-downloads)" },
            { host: "web-2", text: "plan: web-2: restart (dns; containers keep running: live-restore is on)" },
            { host: "db-1", text: "plan: db-1: format /dev/vdb (xfs)" },
            { host: "db-1", text: "plan: db-1: move data-root /var/lib/docker → /data/docker, 3.2 GiB to copy; copied live first, then every container stops for the final delta copy" },
        ]);
        assert.deepEqual(extractPlanLines("Resources:\n    5 unchanged\n"), []);
    });

    it("puts the marker, the summary and the plan lines first, then the whole diff in a collapsible block", () => {
        const comment = composeComment({ stack: "prod", status: 0, output: PREVIEW });
        const lines = comment.split("\n");
        assert.equal(lines[0], commentMarker("prod"));
        assert.equal(lines[0], "<!-- docker-host-preview stack=prod -->");
        assert.equal(lines[1], "### Preview of stack `prod`: ~ 3 to update, 15 unchanged");
        const plan = lines.filter((l) => l.startsWith("plan: "));
        assert.deepEqual(plan, extractPlanLines(PREVIEW).map((p) => p.text));
        // The plan block comes before the details block, which holds every line of the output.
        const details = comment.indexOf("<details>");
        assert.ok(comment.indexOf("```text\nplan: web-2: restart") < details);
        assert.ok(comment.includes(`\`\`\`diff\n${PREVIEW.trimEnd()}\n\`\`\`\n</details>`));
        assert.ok(comment.includes(`<summary><code>pulumi preview --diff</code> output (${PREVIEW.trimEnd().split("\n").length} lines)</summary>`));
        assert.equal(resourceSummary("no summary here"), undefined);
    });

    it("says when no host reported a plan line, and when the preview failed", () => {
        const quiet = composeComment({ stack: "dev", status: 0, output: "Previewing update (dev):\n\nResources:\n    7 unchanged\n" });
        assert.match(quiet, /^No host reported a plan line\.$/m);
        const failed = composeComment({ stack: "dev", status: 255, output: "error: docker-host:hosts[0] (dev-1).daemon.logMaxSize: \"10x\" is not a size." });
        assert.match(failed, /^### Preview of stack `dev` failed \(exit status 255\)$/m);
        assert.match(failed, /logMaxSize: "10x" is not a size/);
    });

    it("cuts a huge diff to GitHub's limit: the start, a note naming the job log, the end with the summary", () => {
        const resources = Array.from({ length: 5000 }, (_, i) => `    ~ command:remote:Command: (update) web-${i}-apply ${"x".repeat(40)}`);
        const output = `Previewing update (prod):\n${resources.join("\n")}\n${PREVIEW}`;
        const comment = composeComment({ stack: "prod", status: 0, output, logUrl: "https://github.com/o/r/actions/runs/1" });
        assert.ok(comment.length <= GITHUB_COMMENT_LIMIT, `${comment.length}`);
        assert.ok(comment.length > GITHUB_COMMENT_LIMIT - 2000, `the cut leaves the space unused: ${comment.length}`);
        assert.match(comment, /^… \d+ lines left out here to fit a GitHub comment: the whole output is in the job log \(https:\/\/github\.com\/o\/r\/actions\/runs\/1\)$/m);
        assert.ok(comment.includes("web-0-apply"), "the start is kept");
        assert.ok(comment.includes("    ~ 3 to update\n    15 unchanged\n```"), "the end (Resources) is kept");
        assert.equal(comment.split("\n").filter((l) => l.startsWith("plan: ")).length, 4, "the plan lines are all there");
        // A custom limit is honoured too, and the cut never splits a line.
        const small = composeComment({ stack: "prod", status: 0, output, maxChars: 5000 });
        assert.ok(small.length <= 5000);
        for (const line of small.split("\n").filter((l) => l.includes("web-") && l.includes("apply "))) assert.match(line, /x{40}$/);
    });

    it("keeps the plan within its share and the diff's fence unbreakable", () => {
        const many = Array.from({ length: 4000 }, (_, i) => `    plan: h-${i}: reload (log-opts, max-concurrent-downloads, registry-mirrors)`).join("\n");
        const comment = composeComment({ stack: "big", status: 0, output: many });
        assert.ok(comment.length <= GITHUB_COMMENT_LIMIT);
        assert.match(comment, /^… \d+ more plan lines: see the job log$/m);
        const fenced = composeComment({ stack: "f", status: 0, output: "a line with ``` inside\n    plan: h-1: reload (dns)" });
        assert.match(fenced, /^````diff\na line with ``` inside/m);
        assert.throws(() => commentMarker("a b"), /not \[A-Za-z0-9\._-\]\+/);
    });

    it("cutLines keeps whole lines, the first and the last ones, and returns short input unchanged", () => {
        const lines = Array.from({ length: 100 }, (_, i) => `line ${i}`);
        assert.deepEqual(cutLines(lines, 10_000, () => "cut"), lines);
        const cut = cutLines(lines, 200, (n) => `… ${n} left out`);
        assert.ok(cut.join("\n").length <= 200);
        assert.equal(cut[0], "line 0");
        assert.equal(cut.at(-1), "line 99");
        const note = cut.find((l) => l.startsWith("…"))!;
        assert.equal(Number(/… (\d+)/.exec(note)![1]) + cut.length - 1, 100);
    });
});
