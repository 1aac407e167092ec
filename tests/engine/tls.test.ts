// Issues 5 and 9, the TLS socket through the real engine: certificates made by the project's generator, the
// server key set as a secret in the stack's config; after `up`, docker --tlsverify works with the client
// certificate; a rotation previews as a key-level change of daemon.json's paths to the new version (and a
// new version for the tls step) and serves the new certificate after `up`; neither the state nor the
// engine's output holds a key in plain text.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateCa, issueClientCertificate, issueServerCertificate, KeyPair } from "../../components/tls/certificates";
import { downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, writeStackConfig } from "./project";

const STACK = "tls";

describe("the TLS socket through the real engine", { skip: hostTestsSkipReason() }, () => {
    let project: EngineProject;
    let host: SandboxHost;
    const ca = generateCa("engine test CA");
    const client = issueClientCertificate(ca, "operator");
    let server: KeyPair;
    let rotated: KeyPair;
    const output: string[] = [];
    // The material's version as the host has it: the stack's config does not keep the generator's PEMs byte
    // for byte, so it is read from daemon.json rather than computed here.
    const versionInUse = () => /^\/etc\/docker\/tls\/([0-9a-f]{12})\/server-cert\.pem$/.exec(JSON.parse(sh(host, "cat /etc/docker/daemon.json")).tlscert)?.[1];
    const stagedVersions = () => sh(host, "ls /etc/docker/tls").trim().split("\n").sort();
    let first: string | undefined;
    const setServer = (pair: KeyPair) => {
        ok(pair.certPem, "config", "set", "--path", "docker-host:hosts[0].tlsCertificates.serverCertPem");
        ok(pair.keyPem, "config", "set", "--path", "docker-host:hosts[0].tlsCertificates.serverKeyPem", "--secret");
    };
    const servedSerial = () =>
        spawnSync("sh", ["-c", `openssl s_client -connect ${host.host}:2376 </dev/null 2>/dev/null | openssl x509 -noout -serial`], { encoding: "utf8" }).stdout;
    const serialOf = (pair: KeyPair) => spawnSync("openssl", ["x509", "-noout", "-serial"], { input: pair.certPem, encoding: "utf8" }).stdout;
    const ok = (input: string, ...args: string[]) => {
        const res = project.runWithInput(input, ...args, "--stack", STACK);
        output.push(res.out);
        assert.equal(res.status, 0, `pulumi ${args.join(" ")} failed:\n${res.out}`);
        return res.out;
    };

    before(() => {
        project = engineProject(PROGRAM_FILES);
        host = upHost("tls-1");
        server = issueServerCertificate(ca, { ipAddresses: [host.host] });
        ok("", "stack", "init", "--secrets-provider", "passphrase");
        writeStackConfig(project, STACK, [host]);
        ok(ca.certPem, "config", "set", "--path", "docker-host:hosts[0].tlsCertificates.caCertPem");
        setServer(server);
    });
    after(() => {
        downHost("tls-1");
        project?.remove();
    });

    it("up serves the API over TLS to the client certificate only", () => {
        const preview = ok("", "preview", "--diff");
        assert.match(preview, /stdin\s*: \[secret\]/);
        ok("", "up", "--yes", "--skip-preview");
        for (const [name, text] of Object.entries({ "ca.pem": ca.certPem, "cert.pem": client.certPem, "key.pem": client.keyPem })) {
            writeFileSync(join(project.dir, name), text, { mode: 0o600 });
        }
        const cli = spawnSync("docker", ["--tlsverify", "-H", `tcp://${host.host}:2376`, "version", "--format", "{{.Server.Version}}"], {
            env: { ...process.env, DOCKER_CERT_PATH: project.dir },
            encoding: "utf8",
            timeout: 20_000,
        });
        assert.equal(cli.status, 0, cli.stderr);
        first = versionInUse();
        assert.ok(first, "daemon.json does not point at a version of the material");
        assert.deepEqual(stagedVersions(), [first]);
    });

    it("a rotation previews as daemon.json switching to the new version, and serves the new certificate after up", () => {
        rotated = issueServerCertificate(ca, { ipAddresses: [host.host] });
        setServer(rotated);
        const before = first!;
        const preview = ok("", "preview", "--diff");
        const after = new RegExp(`~ tlscert\\s*: "/etc/docker/tls/${before}/server-cert\\.pem" => "/etc/docker/tls/([0-9a-f]{12})/server-cert\\.pem"`).exec(preview)?.[1];
        assert.ok(after && after !== before, `no key-level diff of tlscert to a new version in:\n${preview}`);
        assert.match(preview, new RegExp(`~ tlscacert\\s*: "/etc/docker/tls/${before}/ca\\.pem" => "/etc/docker/tls/${after}/ca\\.pem"`));
        assert.match(preview, new RegExp(`~ tlskey\\s*: "/etc/docker/tls/${before}/server-key\\.pem" => "/etc/docker/tls/${after}/server-key\\.pem"`));
        assert.match(preview, new RegExp(` tls v=[0-9a-f]+ version=${before}[^\n]*" => "[^\n]* tls v=[0-9a-f]+ version=${after}`));
        ok("", "up", "--yes", "--skip-preview");
        assert.equal(versionInUse(), after);
        assert.equal(servedSerial(), serialOf(rotated));
        // The previous version stays for the apply step's rollback.
        assert.deepEqual(stagedVersions(), [before, after].sort());
    });

    it("keeps the server key out of the state, the config file and the engine's output", () => {
        const keyLines = [server, rotated].flatMap((pair) => pair.keyPem.split(/\r?\n/).filter((l) => l.length > 20 && !l.startsWith("-----")));
        const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
        const texts = [...files(project.stateDir).map((f) => readFileSync(f, "utf8")), readFileSync(join(project.dir, `Pulumi.${STACK}.yaml`), "utf8"), ...output];
        for (const text of texts) {
            for (const line of keyLines) assert.ok(!text.includes(line), "a line of the server key is in plain text");
            assert.ok(!text.includes("BEGIN RSA PRIVATE KEY"), "a PEM key header is in plain text");
        }
    });
});
