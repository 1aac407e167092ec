// The Pulumi YAML consumer (examples/yaml) through the real engine: the YAML language host built from
// github.com/pulumi/pulumi-yaml (scripts/engine.sh --languages), docker-host's component provider run from
// this checkout (provider/pulumi-resource-docker-host, named under `packages:` in Pulumi.yaml), one sandbox
// host: the schema the CLI reads from the plugin is the committed one; up, the key-level preview of a
// restart-class change, a no-op up and destroy give what the repo's own stack gives (engine.test.ts). The
// provider is a Node.js process: it runs on Node.js 22 for the up and the change, on 24 for the no-op up,
// on 26 for the destroy.
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { dockerdIdentity, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "../host/harness";
import {
    assertConfiguredLikeTheRepoStack,
    assertHostRestored,
    assertLogMaxSizePreview,
    assertNoSecrets,
    assertPluginServesTheCommittedSchema,
    configureConnection,
    ConsumerProject,
    consumerProject,
    nodeRelease,
    nodeReleasesSkipReason,
    PLUGIN,
    usePackageFromCheckout,
} from "./consumer";

const HOST = "cons-yaml";
const STACK = "consumer";

describe("a Pulumi YAML project using the component package through the real engine", { skip: hostTestsSkipReason() ?? nodeReleasesSkipReason() }, () => {
    let project: ConsumerProject;
    let host: SandboxHost;
    const node22 = () => nodeRelease(22);
    const node24 = () => nodeRelease(24);
    const node26 = () => nodeRelease(26);
    const output = (name: string) => JSON.parse(project.ok(["stack", "output", "--stack", STACK, name, "--json"], { node: node24() })) as unknown;

    before(() => {
        project = consumerProject("yaml");
        usePackageFromCheckout(project);
        host = upHost(HOST);
    });
    after(() => {
        downHost(HOST);
        project?.remove();
    });

    it("1. `pulumi package get-schema` of the plugin answers the committed schema.json", () => {
        assertPluginServesTheCommittedSchema(project, { node: node22() });
    });

    it("2. `pulumi package add` of the plugin executable records a name and version, not the checkout (README)", () => {
        const dir = join(project.dir, "package-add");
        mkdirSync(dir);
        writeFileSync(join(dir, "Pulumi.yaml"), "name: package-add\nruntime: yaml\n");
        const add = project.exec("pulumi", ["package", "add", PLUGIN, "--non-interactive"], { node: node22(), cwd: dir });
        assert.equal(add.status, 0, add.out);
        assert.match(readFileSync(join(dir, "Pulumi.yaml"), "utf8"), /^packages:\n {2}docker-host: docker-host@0\.1\.0$/m);
    });

    it("3. up (the provider on Node.js 22) configures the host as the repo's own stack does", () => {
        project.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"], { node: node22() });
        configureConnection(project, STACK, host);
        const up = project.ok(["up", "--stack", STACK, "--yes", "--skip-preview"], { node: node22() });
        assert.doesNotMatch(up, /warning/i);
        assertConfiguredLikeTheRepoStack(host, output("facts") as Record<string, unknown>);
        assert.equal(output("dockerHostUrl"), `ssh://root@${host.host}:22`);
        assert.equal(output("lastAction"), "restart");
    });

    it("4. a log option change previews as the same key-level diff and a restart, then applies", () => {
        project.ok(["config", "set", "--stack", STACK, "logMaxSize", "20m"], { node: node22() });
        const preview = project.ok(["preview", "--stack", STACK, "--diff"], { node: node22() });
        assertLogMaxSizePreview(preview);
        const before = dockerdIdentity(host);
        project.ok(["up", "--stack", STACK, "--yes", "--skip-preview"], { node: node22() });
        assert.notEqual(dockerdIdentity(host), before);
        assertConfiguredLikeTheRepoStack(host, output("facts") as Record<string, unknown>, "20m");
    });

    it("5. a second up (the provider on Node.js 24) changes nothing", () => {
        const before = [dockerdIdentity(host), sh(host, "stat -c %Y /etc/docker/daemon.json")];
        project.ok(["up", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes"], { node: node24() });
        assert.deepEqual([dockerdIdentity(host), sh(host, "stat -c %Y /etc/docker/daemon.json")], before);
    });

    it("6. neither the state nor the outputs hold the private key", () => {
        assertNoSecrets(project, STACK, [readFileSync(host.privateKeyPath, "utf8")]);
    });

    it("7. destroy (the provider on Node.js 26) restores the host", () => {
        project.ok(["destroy", "--stack", STACK, "--yes", "--skip-preview"], { node: node26() });
        assertHostRestored(host);
        project.ok(["stack", "rm", "--stack", STACK, "--yes"], { node: node26() });
    });
});
