// The TypeScript consumer (examples/typescript) through the real engine: a fresh Pulumi TypeScript project
// (Pulumi's own template tsconfig: CommonJS, "node" module resolution) that installs docker-host from the
// `npm pack` tarball with @pulumi/* at this repository's versions, and drives one sandbox host on each
// Node.js release of scripts/node-versions: up on 24, the preview and update of a restart-class change on
// 22, a no-op up on 20, destroy on 26 — the same results the repo's own stack gets (engine.test.ts).
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dockerdIdentity, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "../host/harness";
import {
    assertConfiguredLikeTheRepoStack,
    assertHostRestored,
    assertLogMaxSizePreview,
    assertNoSecrets,
    configureConnection,
    ConsumerProject,
    consumerProject,
    nodeRelease,
    nodeReleasesSkipReason,
    packTarball,
} from "./consumer";
import { REPO } from "./project";

const HOST = "cons-ts";
const STACK = "consumer";

describe("a TypeScript project using the npm package through the real engine", { skip: hostTestsSkipReason() ?? nodeReleasesSkipReason() }, () => {
    let project: ConsumerProject;
    let host: SandboxHost;
    const node20 = () => nodeRelease(20);
    const node22 = () => nodeRelease(22);
    const node24 = () => nodeRelease(24);
    const node26 = () => nodeRelease(26);
    const facts = (node = node24()) => JSON.parse(project.ok(["stack", "output", "--stack", STACK, "facts", "--json"], { node })) as Record<string, unknown>;

    before(() => {
        project = consumerProject("typescript");
        host = upHost(HOST);
    });
    after(() => {
        downHost(HOST);
        project?.remove();
    });

    it("1. installs from the tarball with no extra setup: compiled, typed, the host scripts shipped, one @pulumi/pulumi", () => {
        const tarball = packTarball(project.dir);
        const pins = (JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as { devDependencies: Record<string, string> }).devDependencies;
        const sdks = ["@pulumi/pulumi", "@pulumi/command", "@pulumi/docker"].map((name) => `${name}@${pins[name]}`);
        // --ignore-scripts: @pulumi/command's install script would run `pulumi plugin install` (a download).
        const install = project.exec("npm", ["install", "--no-audit", "--no-fund", "--ignore-scripts", "--prefer-offline", "--loglevel=error", tarball, ...sdks], { node: node24() });
        assert.equal(install.status, 0, `npm install failed:\n${install.out}`);
        const pkg = join(project.dir, "node_modules/docker-host");
        assert.ok(existsSync(join(pkg, "dist/components/index.js")) && existsSync(join(pkg, "dist/components/index.d.ts")));
        assert.deepEqual(readdirSync(join(pkg, "dist/components/dockerHost/scripts")).sort(), readdirSync(join(REPO, "components/dockerHost/scripts")).sort());
        assert.ok(!existsSync(join(pkg, "components")), "the tarball ships TypeScript sources");
        assert.ok(!existsSync(join(pkg, "index.ts")), "the tarball ships the per-environment program");
        assert.ok(!existsSync(join(pkg, "node_modules/@pulumi")), "docker-host brought its own @pulumi SDKs");
        // Pulumi's loader does not compile node_modules: both entry points load as plain CommonJS.
        const load = project.exec("node", ["-e", "for (const m of ['docker-host', 'docker-host/components']) if (typeof require(m).DockerHost !== 'function') process.exit(1)"], { node: node24() });
        assert.equal(load.status, 0, load.out);
        // The template's tsconfig ("node" resolution) type-checks the program against the shipped .d.ts.
        const tsc = project.exec(join(project.dir, "node_modules/.bin/tsc"), ["--noEmit", "--pretty", "false", "-p", "."], { node: node24() });
        assert.equal(tsc.status, 0, `tsc failed:\n${tsc.out}`);
    });

    it("2. up on Node.js 24 configures the host as the repo's own stack does", () => {
        project.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"], { node: node24() });
        configureConnection(project, STACK, host);
        const up = project.ok(["up", "--stack", STACK, "--yes", "--skip-preview"], { node: node24() });
        assert.doesNotMatch(up, /warning/i);
        assertConfiguredLikeTheRepoStack(host, facts());
    });

    it("3. on Node.js 22, a log option change previews as the same key-level diff and a restart, then applies", () => {
        project.ok(["config", "set", "--stack", STACK, "logMaxSize", "20m"], { node: node22() });
        const preview = project.ok(["preview", "--stack", STACK, "--diff"], { node: node22() });
        assertLogMaxSizePreview(preview);
        const before = dockerdIdentity(host);
        project.ok(["up", "--stack", STACK, "--yes", "--skip-preview"], { node: node22() });
        assert.notEqual(dockerdIdentity(host), before);
        assertConfiguredLikeTheRepoStack(host, facts(node22()), "20m");
    });

    it("4. on Node.js 20, a second up changes nothing", () => {
        const before = [dockerdIdentity(host), sh(host, "stat -c %Y /etc/docker/daemon.json")];
        project.ok(["up", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes"], { node: node20() });
        assert.deepEqual([dockerdIdentity(host), sh(host, "stat -c %Y /etc/docker/daemon.json")], before);
    });

    it("5. neither the state nor the outputs hold the private key", () => {
        assertNoSecrets(project, STACK, [readFileSync(host.privateKeyPath, "utf8")]);
    });

    it("6. destroy on Node.js 26 restores the host", () => {
        project.ok(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { node: node26() });
        assertHostRestored(host);
        project.ok(["stack", "rm", "--stack", STACK, "--yes"], { node: node26() });
    });
});
