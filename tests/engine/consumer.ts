// Consumers of docker-host from other Pulumi projects (examples/): a throwaway copy of an example wired to the
// offline engine (its own local backend and passphrase, never the repo's stacks or ~/.pulumi), the Node.js
// releases the suite runs it on, the package artefacts (npm tarball, plugin executable, schema), and the
// checks every consumer shares with the repo's own stack (tests/engine/engine.test.ts).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { remoteSha, SandboxHost, sh } from "../host/harness";
import { EngineEnv, provideEngine, REPO } from "./project";

/** The directory holding the plugin executable (provider/pulumi-resource-docker-host): what a program's
 *  Pulumi.yaml names under `packages:`. */
export const PROVIDER_DIR = join(REPO, "provider");
export const PLUGIN = join(PROVIDER_DIR, "pulumi-resource-docker-host");
/** The committed schema (Pulumi's analyzer over the components' Args). */
export const SCHEMA = join(REPO, "schema.json");

const NODE_CACHE = process.env.DOCKER_HOST_NODE_CACHE ?? "/var/cache/docker-host-node";
const PYTHON_CACHE = process.env.DOCKER_HOST_PYTHON_CACHE ?? "/var/cache/docker-host-python";

/** A Node.js release of scripts/node-versions, installed by scripts/setup.sh. */
export interface NodeRelease {
    readonly version: string;
    /** The directory holding its `node`. */
    readonly bin: string;
}

/** Every release scripts/node-versions lists, with where scripts/setup.sh installs it. */
export function nodeReleases(): NodeRelease[] {
    return readFileSync(join(REPO, "scripts/node-versions"), "utf8")
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l && !l.startsWith("#"))
        .map((version) => ({ version, bin: join(NODE_CACHE, version, "bin") }));
}

/** The release of that major version, asserting scripts/setup.sh installed it. */
export function nodeRelease(major: number): NodeRelease {
    const release = nodeReleases().find((r) => r.version.startsWith(`${major}.`));
    assert.ok(release, `scripts/node-versions lists no Node.js ${major}`);
    assert.ok(existsSync(join(release.bin, "node")), `Node.js ${release.version} is not installed in ${release.bin} (scripts/setup.sh installs it)`);
    return release;
}

/** Why the consumers cannot run here, or undefined: the Node.js releases are missing (not Linux x86_64). */
export function nodeReleasesSkipReason(): string | undefined {
    const missing = nodeReleases().filter((r) => !existsSync(join(r.bin, "node")));
    if (missing.length === 0) return undefined;
    const reason = `Node.js ${missing.map((r) => r.version).join(", ")} not installed in ${NODE_CACHE} (scripts/setup.sh installs them on Linux x86_64)`;
    if (process.env.CI) assert.fail(reason);
    return reason;
}

/** The project-private Python environment scripts/setup.sh makes (pulumi and pytest from PyPI). */
export const PYTHON_VENV = join(PYTHON_CACHE, "venv");

export function pythonSkipReason(): string | undefined {
    if (existsSync(join(PYTHON_VENV, "bin/python"))) return undefined;
    const reason = `no Python environment in ${PYTHON_VENV} (scripts/setup.sh makes it; it needs Debian's python3-venv)`;
    if (process.env.CI) assert.fail(reason);
    return reason;
}

/** The engine with the YAML and Python language hosts and docker-host-sdkgen (scripts/engine.sh --languages). */
export function provideLanguages(): EngineEnv {
    const build = spawnSync(join(REPO, "scripts/engine.sh"), ["--languages"], { encoding: "utf8", timeout: 30 * 60_000 });
    assert.equal(build.status, 0, `scripts/engine.sh --languages failed:\n${build.stderr}`);
    return provideEngine();
}

export interface RunOptions {
    /** Run on this Node.js release (first on PATH: the Node.js language host, the plugin and npm use it). */
    readonly node?: NodeRelease;
    /** Fed on stdin. */
    readonly input?: string;
    /** More environment. */
    readonly env?: NodeJS.ProcessEnv;
    /** Another working directory than the project's. */
    readonly cwd?: string;
}

export interface Run {
    readonly status: number | null;
    readonly out: string;
}

export interface ConsumerProject {
    readonly dir: string;
    readonly stateDir: string;
    /** Runs the pulumi CLI in the project (never throws). */
    pulumi(args: readonly string[], options?: RunOptions): Run;
    /** Like pulumi(), asserting success; returns the output. */
    ok(args: readonly string[], options?: RunOptions): string;
    /** Runs any command in the project with the project's environment (never throws). */
    exec(command: string, args: readonly string[], options?: RunOptions): Run;
    remove(): void;
}

/** A copy of examples/<example> in a temp directory, wired to the offline engine with its language hosts. */
export function consumerProject(example: string): ConsumerProject {
    const engine = provideLanguages();
    const dir = mkdtempSync(join(tmpdir(), `docker-host-${example}-`));
    cpSync(join(REPO, "examples", example), dir, {
        recursive: true,
        filter: (src) => !/[/\\](node_modules|venv|sdks|__pycache__|Pulumi\.[^/\\]+\.yaml)$/.test(src),
    });
    const stateDir = join(dir, ".state");
    mkdirSync(stateDir);
    const baseEnv: NodeJS.ProcessEnv = {
        ...process.env,
        ...(engine.pulumiHome ? { PULUMI_HOME: engine.pulumiHome } : {}),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_CONFIG_PASSPHRASE: "throwaway-consumer",
        PULUMI_BACKEND_URL: `file://${stateDir}`,
        npm_config_update_notifier: "false",
        npm_config_fund: "false",
        npm_config_audit: "false",
    };
    const exec = (command: string, args: readonly string[], options: RunOptions = {}): Run => {
        const path = [options.node?.bin, engine.pathPrefix, process.env.PATH].filter(Boolean).join(":");
        const res = spawnSync(command, args, {
            cwd: options.cwd ?? dir,
            env: { ...baseEnv, ...options.env, PATH: [options.env?.PATH, path].filter(Boolean).join(":") },
            input: options.input ?? "",
            encoding: "utf8",
            timeout: 15 * 60_000,
        });
        return { status: res.status, out: `${res.stdout ?? ""}${res.stderr ?? ""}${res.error ? `\n${res.error.message}` : ""}` };
    };
    const pulumi = (args: readonly string[], options?: RunOptions) => exec("pulumi", [...args, "--non-interactive", "--color", "never"], options);
    return {
        dir,
        stateDir,
        exec,
        pulumi,
        ok: (args, options) => {
            const res = pulumi(args, options);
            assert.equal(res.status, 0, `pulumi ${args.join(" ")} failed:\n${res.out}`);
            return res.out;
        },
        remove: () => rmSync(dir, { recursive: true, force: true }),
    };
}

/** Asserts that the schema the CLI reads from the plugin executable (`pulumi package get-schema`, which runs
 *  the provider and its analyzer on this checkout's sources) is the committed schema.json as the CLI reads
 *  it (the CLI normalises both: it drops the analyzer's "optional" marks and empty lists, adds "config");
 *  returns the former. */
export function assertPluginServesTheCommittedSchema(project: ConsumerProject, options: RunOptions = {}): string {
    const served = project.ok(["package", "get-schema", PLUGIN], options);
    const committed = project.ok(["package", "get-schema", SCHEMA], options);
    assert.deepEqual(JSON.parse(served), JSON.parse(committed), "the plugin serves another schema than schema.json (stale? npm run schema)");
    return served;
}

/** Points the copied example's `packages: docker-host: ../../provider` (relative to examples/<name>) at this
 *  checkout's provider directory, as an operator's stack names the checkout it uses. */
export function usePackageFromCheckout(project: ConsumerProject): void {
    const file = join(project.dir, "Pulumi.yaml");
    const text = readFileSync(file, "utf8");
    const pointed = text.replace(/^(  docker-host: )\.\.\/\.\.\/provider$/m, `$1${PROVIDER_DIR}`);
    assert.notEqual(pointed, text, `${file} names no docker-host: ../../provider package`);
    writeFileSync(file, pointed);
}

/** `npm pack` of this repository into `dest` (its "prepare" script builds dist/ first); the tarball's path. */
export function packTarball(dest: string): string {
    const res = spawnSync("npm", ["pack", "--pack-destination", dest, "--loglevel=error"], { cwd: REPO, encoding: "utf8", timeout: 10 * 60_000 });
    assert.equal(res.status, 0, `npm pack failed:\n${res.stdout}${res.stderr}`);
    const name = res.stdout.trim().split("\n").pop()!;
    assert.match(name, /^docker-host-\d+\.\d+\.\d+\.tgz$/);
    return join(dest, name);
}

/** Sets the example's connection config for `host` (the key a secret, read from the sandbox's key file). */
export function configureConnection(project: ConsumerProject, stack: string, host: SandboxHost): void {
    project.ok(["config", "set", "--stack", stack, "host", host.host]);
    project.ok(["config", "set", "--stack", stack, "hostKey", host.hostKey]);
    project.ok(["config", "set", "--stack", stack, "--secret", "privateKey"], { input: readFileSync(host.privateKeyPath, "utf8") });
}

/** What the repo's own stack verifies after `up` (tests/engine/engine.test.ts, 1.): Docker on overlay2 with
 *  its data root on the xfs data disk, live-restore on, json-file logs; and the stack's `facts` output
 *  agreeing with what `docker info` says on the host. */
export function assertConfiguredLikeTheRepoStack(host: SandboxHost, facts: Record<string, unknown>, logMaxSize = "10m"): void {
    const info = JSON.parse(sh(host, "docker info --format '{{json .}}'")) as Record<string, unknown>;
    assert.equal(info.Driver, "overlay2");
    assert.equal(info.DockerRootDir, "/data/docker");
    assert.equal(info.LiveRestoreEnabled, true);
    assert.equal(info.LoggingDriver, "json-file");
    assert.equal(sh(host, "findmnt -rn -o FSTYPE --mountpoint /data").trim(), "xfs");
    assert.equal(sh(host, "xfs_info /data | grep -o 'ftype=1'").trim(), "ftype=1");
    assert.match(sh(host, "cat /etc/docker/daemon.json"), new RegExp(`"max-size": "${logMaxSize}"`));
    assert.equal(facts.storageDriver, info.Driver);
    assert.equal(facts.dockerRootDir, info.DockerRootDir);
    assert.equal(facts.liveRestore, info.LiveRestoreEnabled);
    assert.equal(facts.loggingDriver, info.LoggingDriver);
    assert.equal(facts.serverVersion, info.ServerVersion);
}

/** The key-level daemon.json diff the repo's own stack previews for logMaxSize 10m → 20m (a restart). */
export function assertLogMaxSizePreview(preview: string): void {
    assert.match(preview, /~ max-size: "10m" => "20m"/);
    assert.match(preview, /~ create: "sh -c .* apply v=[0-9a-f]{64} [^\n]*restart-class=[0-9a-f]+[^\n]*" => "sh -c .* apply v=[0-9a-f]{64} [^\n]*restart-class=[0-9a-f]+/);
}

/** No secret in the project's state files or its outputs: no line of any of `secrets` (PEM texts: the SSH
 *  private key, a TLS server key), no "PRIVATE KEY". */
export function assertNoSecrets(project: ConsumerProject, stack: string, secrets: readonly string[]): void {
    const stateFiles = (dir: string): string[] =>
        readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? stateFiles(join(dir, e.name)) : [join(dir, e.name)]));
    const state = stateFiles(project.stateDir).map((f) => readFileSync(f, "utf8")).join("\n");
    const outputs = project.ok(["stack", "output", "--stack", stack, "--json", "--show-secrets"]);
    assert.match(state, /docker-host:index:DockerHost/);
    for (const [what, text] of [["state", state], ["outputs", outputs]] as const) {
        for (const [i, secret] of secrets.entries()) {
            const lines = secret.split("\n").filter((l) => l.length > 20 && !l.startsWith("-----"));
            assert.ok(lines.length > 0, `secret ${i} has no line to look for`);
            for (const line of lines) assert.ok(!text.includes(line), `a line of secret ${i} is in the ${what}`);
        }
        assert.ok(!text.includes("PRIVATE KEY"), `the ${what} mention a PRIVATE KEY in plain text`);
    }
}

/** What `destroy` leaves, as for the repo's own stack: no daemon.json (sandbox hosts start without one), no
 *  docker-host drop-in, Docker back on /var/lib/docker, the data disk still mounted. */
export function assertHostRestored(host: SandboxHost): void {
    assert.equal(remoteSha(host, "/etc/docker/daemon.json"), "absent");
    assert.equal(sh(host, "ls /etc/systemd/system/docker.service.d/ 2>/dev/null | grep -c docker-host || true").trim(), "0");
    assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
    assert.equal(sh(host, "findmnt -rn -o FSTYPE --mountpoint /data").trim(), "xfs");
}
