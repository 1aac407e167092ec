// The Python consumer (examples/python): docker-host's Python SDK generated from the schema the CLI reads
// from the plugin executable (provider/pulumi-resource-docker-host), tested with pytest (tests/python: it
// installs, its argument types are the schema's, a program under Pulumi's Python mocks registers DockerHost
// with the provider's inputs), then the example through the real engine on one sandbox host: the Python
// language host from sdk/v3 v3.68.0 (scripts/engine.sh --languages), up (with the TLS socket: its server
// key, a secret, crosses the language boundary like the SSH key), the key-level preview of a restart-class
// change, a no-op up and destroy, as for the repo's own stack (engine.test.ts, tls.test.ts).
//
// What differs from a current Pulumi (README, "Use it from your stack"): that language host predates SDK
// generation (`pulumi package add`/`gen-sdk --language python` answer "method GeneratePackage not
// implemented"), so the SDK comes from docker-host-sdkgen, which runs the Python code generator of the CLI's
// own pkg/v3; and it ignores Pulumi.yaml's `virtualenv` option (the CLI no longer passes options as flags),
// so the environment's python is named with PULUMI_PYTHON_CMD.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
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
    PYTHON_VENV,
    pythonSkipReason,
    RunOptions,
    usePackageFromCheckout,
} from "./consumer";
import { generateCa, issueServerCertificate, KeyPair } from "../../components/tls/certificates";
import { REPO } from "./project";

const HOST = "cons-py";
const STACK = "consumer";

describe("a Python project using the component package", { skip: nodeReleasesSkipReason() ?? pythonSkipReason() }, () => {
    let project: ConsumerProject;
    let host: SandboxHost | undefined;
    let site: string; // the generated SDK, installed (pip --target): on PYTHONPATH
    const ca = generateCa("python consumer CA");
    let server: KeyPair;
    const node24 = () => nodeRelease(24);
    const python = (): RunOptions => ({ node: node24(), env: { PULUMI_PYTHON_CMD: join(PYTHON_VENV, "bin/python"), PYTHONPATH: site } });
    const output = (name: string) => JSON.parse(project.ok(["stack", "output", "--stack", STACK, name, "--json"], python())) as unknown;

    before(() => {
        project = consumerProject("python");
        usePackageFromCheckout(project);
    });
    after(() => {
        if (host) downHost(HOST);
        project?.remove();
    });

    it("1. its SDK is generated from the schema the CLI reads from the plugin, which is the committed one", () => {
        const schema = assertPluginServesTheCommittedSchema(project, { node: node24() });
        const schemaFile = join(project.dir, "schema.json");
        writeFileSync(schemaFile, schema);
        const gen = project.exec("docker-host-sdkgen", [schemaFile, join(project.dir, "sdk")]);
        assert.equal(gen.status, 0, gen.out);
        site = join(project.dir, ".site");
        const install = project.exec(join(PYTHON_VENV, "bin/python"), ["-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--disable-pip-version-check", "--target", site, join(project.dir, "sdk/python")]);
        assert.equal(install.status, 0, install.out);
    });

    it("2. pytest: the SDK installs, its argument types are the schema's, a mocked program registers DockerHost", () => {
        const res = spawnSync(join(PYTHON_VENV, "bin/python"), ["-m", "pytest", "-q", "-p", "no:cacheprovider", join(REPO, "tests/python")], {
            cwd: project.dir,
            env: { ...process.env, PYTHONDONTWRITEBYTECODE: "1", PYTHONPATH: site, DOCKER_HOST_SCHEMA: join(project.dir, "schema.json"), DOCKER_HOST_SDK: join(project.dir, "sdk/python") },
            encoding: "utf8",
            timeout: 10 * 60_000,
        });
        const out = `${res.stdout}${res.stderr}`;
        assert.equal(res.status, 0, `pytest failed:\n${out}`);
        assert.match(out, /\b\d+ passed\b/);
        assert.doesNotMatch(out, /\b(failed|error)\b/i);
    });

    describe("through the real engine", { skip: hostTestsSkipReason() }, () => {
        before(() => {
            host = upHost(HOST);
            server = issueServerCertificate(ca, { ipAddresses: [host.host] });
        });

        it("3. up configures the host as the repo's own stack does, with the TLS socket", () => {
            project.ok(["stack", "init", STACK, "--secrets-provider", "passphrase"], python());
            configureConnection(project, STACK, host!);
            project.ok(["config", "set", "--stack", STACK, "tlsCaCert"], { ...python(), input: ca.certPem });
            project.ok(["config", "set", "--stack", STACK, "tlsServerCert"], { ...python(), input: server.certPem });
            project.ok(["config", "set", "--stack", STACK, "--secret", "tlsServerKey"], { ...python(), input: server.keyPem });
            const up = project.ok(["up", "--stack", STACK, "--yes", "--skip-preview"], python());
            assert.doesNotMatch(up, /warning/i);
            assertConfiguredLikeTheRepoStack(host!, output("facts") as Record<string, unknown>);
            assert.equal(output("dockerHostUrl"), `ssh://root@${host!.host}:22`);
            // dockerd serves the API on 2376 with this server certificate, requiring client certificates.
            const daemon = JSON.parse(sh(host!, "cat /etc/docker/daemon.json")) as Record<string, unknown>;
            assert.equal(daemon.tlsverify, true);
            const served = spawnSync("sh", ["-c", `openssl s_client -connect ${host!.host}:2376 </dev/null 2>/dev/null | openssl x509 -noout -serial`], { encoding: "utf8", timeout: 20_000 });
            const issued = spawnSync("openssl", ["x509", "-noout", "-serial"], { input: server.certPem, encoding: "utf8" });
            assert.equal(served.stdout.trim(), issued.stdout.trim());
        });

        it("4. a log option change previews as the same key-level diff and a restart, then applies", () => {
            project.ok(["config", "set", "--stack", STACK, "logMaxSize", "20m"], python());
            const preview = project.ok(["preview", "--stack", STACK, "--diff"], python());
            assertLogMaxSizePreview(preview);
            const before = dockerdIdentity(host!);
            project.ok(["up", "--stack", STACK, "--yes", "--skip-preview"], python());
            assert.notEqual(dockerdIdentity(host!), before);
            assertConfiguredLikeTheRepoStack(host!, output("facts") as Record<string, unknown>, "20m");
        });

        it("5. a second up changes nothing", () => {
            const before = [dockerdIdentity(host!), sh(host!, "stat -c %Y /etc/docker/daemon.json")];
            project.ok(["up", "--stack", STACK, "--yes", "--skip-preview", "--expect-no-changes"], python());
            assert.deepEqual([dockerdIdentity(host!), sh(host!, "stat -c %Y /etc/docker/daemon.json")], before);
        });

        it("6. neither the state nor the outputs hold the SSH private key or the TLS server key", () => {
            assertNoSecrets(project, STACK, [readFileSync(host!.privateKeyPath, "utf8"), server.keyPem]);
        });

        it("7. destroy restores the host", () => {
            project.ok(["destroy", "--stack", STACK, "--yes", "--skip-preview"], python());
            assertHostRestored(host!);
            project.ok(["stack", "rm", "--stack", STACK, "--yes"], python());
        });
    });
});
