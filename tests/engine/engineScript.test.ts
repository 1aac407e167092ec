// scripts/engine.sh's choice of the "command" plugin never changes the operator's Pulumi home: an operator's
// own plugin is used as it is; docker-host's stand-in (also an old one found in the operator's home) runs
// from a private Pulumi home that sees the operator's other plugins through links. scripts/pulumi-env.sh
// keeps the operator's backend and refuses a stack other than dev without a passphrase.
//
// Runs the real scripts. engine.sh needs the shared engine cache (/var/cache/docker-host-engine; the first
// run builds the engine, minutes), hence root; every Pulumi home here is a temporary directory, and no
// test lets pulumi download anything except the one bounded attempt of "no plugin at all" below.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { REPO } from "./project";

const ENGINE = join(REPO, "scripts/engine.sh");
const COMMAND_DIR = "plugins/resource-command-v1.2.1";
const CACHE = process.env.DOCKER_HOST_ENGINE_CACHE ?? "/var/cache/docker-host-engine";

function engineSkipReason(): string | undefined {
    if (process.getuid?.() !== 0) return "engine.sh writes the shared engine cache /var/cache/docker-host-engine (root)";
    return undefined;
}

const temps: string[] = [];
function tempDir(prefix: string): string {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    temps.push(dir);
    return dir;
}
after(() => temps.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** Every entry under `root` (not following links): kind, mode, mtime and content digest or link target. */
function treeDigest(root: string): Record<string, string> {
    const out: Record<string, string> = {};
    const walk = (rel: string) => {
        const path = join(root, rel);
        const st = lstatSync(path);
        const meta = `${st.mode.toString(8)} ${st.mtimeMs}`;
        if (st.isSymbolicLink()) out[rel] = `link ${meta} ${readlinkSync(path)}`;
        else if (st.isDirectory()) {
            out[rel] = `dir ${meta}`;
            for (const name of readdirSync(path).sort()) walk(join(rel, name));
        } else out[rel] = `file ${meta} ${createHash("sha256").update(readFileSync(path)).digest("hex")}`;
    };
    walk(".");
    return out;
}

/** A Pulumi home laid out as pulumi leaves it: plugin directories with their .lock and .lastused files. */
function operatorHome(commandPlugin: string | undefined, options: { dockerPlugin?: boolean } = {}): string {
    const home = tempDir("docker-host-operator-pulumi-home-");
    const plugin = (dir: string, file: string, text: string) => {
        mkdirSync(join(home, dir), { recursive: true });
        writeFileSync(join(home, dir, file), text);
        chmodSync(join(home, dir, file), 0o755);
        writeFileSync(join(home, `${dir}.lock`), "");
        writeFileSync(join(home, `${dir}.lastused`), "");
    };
    if (commandPlugin !== undefined) plugin(COMMAND_DIR, "pulumi-resource-command", commandPlugin);
    if (options.dockerPlugin) plugin("plugins/resource-docker-v4.5.0", "pulumi-resource-docker", "#!/bin/sh\n# not a real provider\nexit 1\n");
    writeFileSync(join(home, "credentials.json"), '{"current":"https://api.pulumi.com","accessTokens":{"https://api.pulumi.com":"pul-not-a-real-token"}}\n');
    chmodSync(join(home, "credentials.json"), 0o600);
    return home;
}

/** The environment of a run: only the given Pulumi variables, downloads off unless `allowDownload`. */
function runEnv(vars: Record<string, string>, options: { allowDownload?: boolean } = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const key of Object.keys(env)) {
        if (/^(PULUMI_|DOCKER_HOST_(COMMAND_PLUGIN|PLUGIN_HOME|OPERATOR_PULUMI_HOME|DISABLED_PLUGIN_ACQUISITION|STATE_DIR)$)/.test(key)) delete env[key];
    }
    if (!options.allowDownload) env.PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION = "true";
    return { ...env, ...vars };
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv) {
    const res = spawnSync(command, args, { encoding: "utf8", env, cwd: REPO, timeout: 30 * 60_000 });
    return { status: res.status, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
}

function envLines(stdout: string): Record<string, string> {
    return Object.fromEntries(stdout.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

const FAKE_UPSTREAM = "#!/bin/sh\n# some command provider, neither docker-host's nor a real one\nexit 1\n";
const OLD_STANDIN = "#!/bin/sh\n# Command (docker-host offline build)\nexit 1\n";

describe("scripts/engine.sh: which command plugin, and the operator's Pulumi home untouched", { skip: engineSkipReason() }, () => {
    it("uses the operator's own command plugin v1.2.1 and leaves that Pulumi home byte-equal", () => {
        const home = operatorHome(FAKE_UPSTREAM, { dockerPlugin: true });
        const privateHome = join(tempDir("docker-host-private-home-"), "home");
        const before = treeDigest(home);
        const res = run(ENGINE, ["--env"], runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: privateHome }));
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, new RegExp(`engine: command plugin: upstream v1\\.2\\.1 \\(${home}/${COMMAND_DIR}/pulumi-resource-command\\)`));
        const env = envLines(res.stdout);
        assert.equal(env.COMMAND_PLUGIN, "upstream");
        assert.equal(env.PULUMI_HOME, undefined, "the operator's PULUMI_HOME stays");
        assert.equal(env.PATH_PREFIX, join(CACHE, "bin"));
        assert.deepEqual(treeDigest(home), before);
        assert.equal(existsSync(join(privateHome, COMMAND_DIR)), false, "no stand-in is installed for the upstream plugin");
    });

    it("never takes an old stand-in for upstream: the private home gets ours, the operator's file stays byte-equal", () => {
        const home = operatorHome(OLD_STANDIN, { dockerPlugin: true });
        const privateHome = join(tempDir("docker-host-private-home-"), "home");
        const before = treeDigest(home);
        const env = runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: privateHome });
        const res = run(ENGINE, ["--env"], env);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /engine: command plugin: docker-host stand-in \(.*docker-host's stand-in from an earlier engine\.sh \(left as it is\)\); PULUMI_HOME=/);
        const lines = envLines(res.stdout);
        assert.equal(lines.COMMAND_PLUGIN, "standin");
        assert.equal(lines.PULUMI_HOME, privateHome);
        assert.deepEqual(treeDigest(home), before);

        // Ours, a real file in the private home; the operator's other plugin visible through links; no credentials.
        const ours = join(privateHome, COMMAND_DIR, "pulumi-resource-command");
        assert.ok(lstatSync(ours).isFile());
        assert.ok(readFileSync(ours).equals(readFileSync(join(CACHE, "provider/pulumi-resource-command"))));
        assert.equal(readlinkSync(join(privateHome, "plugins/resource-docker-v4.5.0/pulumi-resource-docker")), join(home, "plugins/resource-docker-v4.5.0/pulumi-resource-docker"));
        assert.ok(!existsSync(join(privateHome, "plugins/resource-docker-v4.5.0.lastused")) && !existsSync(join(privateHome, "plugins/resource-docker-v4.5.0.lock")), "pulumi's bookkeeping files are not linked (it writes them)");
        assert.equal(existsSync(join(privateHome, "credentials.json")), false);
        // Pulumi itself finds both there (plugin ls runs no plugin).
        const ls = run(join(CACHE, "bin/pulumi"), ["plugin", "ls", "--json"], { ...env, PULUMI_HOME: privateHome, PULUMI_SKIP_UPDATE_CHECK: "true" });
        assert.equal(ls.status, 0, ls.stderr);
        const plugins = (JSON.parse(ls.stdout) as { name: string; version: string }[]).map((p) => `${p.name}-${p.version}`).sort();
        assert.deepEqual(plugins, ["command-1.2.1", "docker-4.5.0"]);
        assert.deepEqual(treeDigest(home), before);

        // A second run: cached, nothing built or installed again; a plugin gone from the operator's home is
        // gone from the private one.
        rmSync(join(home, "plugins/resource-docker-v4.5.0"), { recursive: true });
        const beforeSecond = treeDigest(home);
        const started = Date.now();
        const again = run(ENGINE, ["--env"], env);
        const seconds = (Date.now() - started) / 1000;
        assert.equal(again.status, 0, again.stderr);
        assert.doesNotMatch(again.stderr, /building|installing|install/i);
        assert.ok(seconds < 5, `a cached engine.sh took ${seconds} s`);
        assert.equal(existsSync(join(privateHome, "plugins/resource-docker-v4.5.0")), false);
        assert.ok(lstatSync(ours).isFile());
        assert.deepEqual(treeDigest(home), beforeSecond);
    });

    it("DOCKER_HOST_COMMAND_PLUGIN=upstream fails with the fix when only a stand-in is there, changing nothing", () => {
        const home = operatorHome(OLD_STANDIN);
        const before = treeDigest(home);
        const res = run(ENGINE, ["--env"], runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: join(tempDir("docker-host-private-home-"), "home"), DOCKER_HOST_COMMAND_PLUGIN: "upstream" }));
        assert.equal(res.status, 1, res.stderr);
        assert.match(res.stderr, /DOCKER_HOST_COMMAND_PLUGIN=upstream, but the upstream command plugin v1\.2\.1 is not usable: .*Fix: /);
        assert.equal(res.stdout, "");
        assert.deepEqual(treeDigest(home), before);
    });

    it("DOCKER_HOST_COMMAND_PLUGIN=standin skips the operator's upstream plugin, which stays byte-equal", () => {
        const home = operatorHome(FAKE_UPSTREAM);
        const privateHome = join(tempDir("docker-host-private-home-"), "home");
        const before = treeDigest(home);
        const res = run(ENGINE, ["--env"], runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: privateHome, DOCKER_HOST_COMMAND_PLUGIN: "standin" }));
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /engine: command plugin: docker-host stand-in \(DOCKER_HOST_COMMAND_PLUGIN=standin\)/);
        assert.equal(envLines(res.stdout).PULUMI_HOME, privateHome);
        assert.ok(!readFileSync(join(privateHome, COMMAND_DIR, "pulumi-resource-command")).equals(Buffer.from(FAKE_UPSTREAM)));
        assert.deepEqual(treeDigest(home), before);
    });

    it("with no command plugin at all, tries one bounded download, then falls back to the stand-in", () => {
        const home = operatorHome(undefined);
        const privateHome = join(tempDir("docker-host-private-home-"), "home");
        const env = runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: privateHome, DOCKER_HOST_UPSTREAM_INSTALL_TIMEOUT: "30" }, { allowDownload: true });
        const res = run(ENGINE, ["--env"], env);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stderr, /trying to download the upstream command plugin v1\.2\.1 for .* \(at most 30 s\)/);
        // Offline (this project's machines) the download fails and ours is used; with network, upstream's.
        const plugin = envLines(res.stdout).COMMAND_PLUGIN;
        if (plugin === "standin") {
            assert.match(res.stderr, /command plugin: docker-host stand-in \(none in .*, and the download failed/);
            // The attempt ran in a throwaway home: the operator's has nothing new (no logs, no lock file).
            assert.deepEqual(readdirSync(home), ["credentials.json"]);
            // Not tried again on the next run (offline machines stay fast); =upstream tries again and fails.
            const again = run(ENGINE, ["--env"], env);
            assert.equal(again.status, 0, again.stderr);
            assert.doesNotMatch(again.stderr, /trying to download/);
            assert.match(again.stderr, /its download failed less than a day ago/);
            const forced = run(ENGINE, ["--env"], { ...env, DOCKER_HOST_COMMAND_PLUGIN: "upstream" });
            assert.equal(forced.status, 1, forced.stderr);
            assert.match(forced.stderr, /trying to download/);
            assert.match(forced.stderr, /DOCKER_HOST_COMMAND_PLUGIN=upstream, but .* Fix: /);
        } else assert.match(res.stderr, /command plugin: upstream v1\.2\.1/);
        // Without the operator's consent (PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true) no attempt.
        const quiet = run(ENGINE, ["--env"], runEnv({ PULUMI_HOME: operatorHome(undefined), DOCKER_HOST_PLUGIN_HOME: privateHome }));
        assert.equal(quiet.status, 0, quiet.stderr);
        assert.doesNotMatch(quiet.stderr, /trying to download/);
        assert.match(quiet.stderr, /forbids the download/);
    });
});

describe("scripts/pulumi-env.sh: backend and passphrase", () => {
    /** Sources pulumi-env.sh in bash with `args` and prints the variables it exports. */
    const source = (args: string[], env: NodeJS.ProcessEnv) =>
        run("bash", ["-c", 'set -euo pipefail; source scripts/pulumi-env.sh "$@"; printf "%s\\n" "BACKEND=$PULUMI_BACKEND_URL" "PASSPHRASE=${PULUMI_CONFIG_PASSPHRASE-<unset>}" "HOME=${PULUMI_HOME-<unset>}" "PATH0=${PATH%%:*}"', "pulumi-env", ...args], env);

    it("keeps the operator's PULUMI_BACKEND_URL, defaults the passphrase for dev only, exports the private home", { skip: engineSkipReason() }, () => {
        const home = operatorHome(OLD_STANDIN);
        const privateHome = join(tempDir("docker-host-private-home-"), "home");
        const backend = `file://${tempDir("docker-host-operator-backend-")}`;
        const res = source(["dev"], runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: privateHome, PULUMI_BACKEND_URL: backend }));
        assert.equal(res.status, 0, res.stderr);
        const out = envLines(res.stdout);
        assert.equal(out.BACKEND, backend);
        assert.equal(out.PASSPHRASE, "docker-host-dev");
        assert.equal(out.HOME, privateHome);
        assert.equal(out.PATH0, join(CACHE, "bin"));

        // Unset: the local file backend under DOCKER_HOST_STATE_DIR; an operator's passphrase is kept for dev too.
        const stateDir = join(tempDir("docker-host-state-"), "state");
        const local = source(["dev"], runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: privateHome, DOCKER_HOST_STATE_DIR: stateDir, PULUMI_CONFIG_PASSPHRASE: "mine" }));
        assert.equal(local.status, 0, local.stderr);
        assert.equal(envLines(local.stdout).BACKEND, `file://${stateDir}`);
        assert.equal(envLines(local.stdout).PASSPHRASE, "mine");
    });

    it("refuses a Pulumi Cloud backend without PULUMI_ACCESS_TOKEN when the private home is used (it has no login)", { skip: engineSkipReason() }, () => {
        const home = operatorHome(OLD_STANDIN);
        const res = source(["dev"], runEnv({ PULUMI_HOME: home, DOCKER_HOST_PLUGIN_HOME: join(tempDir("docker-host-private-home-"), "home"), PULUMI_BACKEND_URL: "https://api.pulumi.com" }));
        assert.equal(res.status, 1, res.stderr);
        assert.match(res.stderr, /Fix: export PULUMI_ACCESS_TOKEN=/);
    });

    it("npm start -- prod without a passphrase fails before anything runs, saying how to set one", () => {
        const res = run(join(REPO, "scripts/up.sh"), ["prod"], runEnv({ DOCKER_HOST_STATE_DIR: join(tempDir("docker-host-state-"), "state") }));
        assert.equal(res.status, 1, res.stderr);
        assert.match(res.stderr, /the prod stack needs a secrets passphrase of your own/);
        assert.match(res.stderr, /export PULUMI_CONFIG_PASSPHRASE=/);
        assert.match(res.stderr, /PULUMI_CONFIG_PASSPHRASE_FILE/);
        assert.doesNotMatch(res.stderr, /^(engine|setup|up):/m, "nothing was built, installed or run");
        assert.equal(res.stdout, "");

        const viaFile = source(["prod"], runEnv({ PULUMI_CONFIG_PASSPHRASE_FILE: "/nonexistent/passphrase" }));
        assert.equal(viaFile.status, 1);
        assert.match(viaFile.stderr, /PULUMI_CONFIG_PASSPHRASE_FILE="\/nonexistent\/passphrase" is not a readable file/);
    });
});
