// Issue 5, the TLS socket through the real engine: certificates made by the project's generator, the server
// key set as a secret in the stack's config; after `up`, docker --tlsverify works with the client
// certificate, and neither the state nor the engine's output holds the key in plain text.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateCa, issueClientCertificate, issueServerCertificate } from "../../components/tls/certificates";
import { downHost, hostTestsSkipReason, SandboxHost, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, writeStackConfig } from "./project";

const STACK = "tls";

describe("the TLS socket through the real engine", { skip: hostTestsSkipReason() }, () => {
    let project: EngineProject;
    let host: SandboxHost;
    const ca = generateCa("engine test CA");
    const client = issueClientCertificate(ca, "operator");
    let server: ReturnType<typeof issueServerCertificate>;
    const output: string[] = [];
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
        const set = (key: string, value: string, secret: boolean) =>
            ok(value, "config", "set", "--path", `docker-host:hosts[0].tlsCertificates.${key}`, ...(secret ? ["--secret"] : []));
        set("caCertPem", ca.certPem, false);
        set("serverCertPem", server.certPem, false);
        set("serverKeyPem", server.keyPem, true);
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
        const version = spawnSync("docker", ["--tlsverify", "-H", `tcp://${host.host}:2376`, "version", "--format", "{{.Server.Version}}"], {
            env: { ...process.env, DOCKER_CERT_PATH: project.dir },
            encoding: "utf8",
            timeout: 20_000,
        });
        assert.equal(version.status, 0, version.stderr);
    });

    it("keeps the server key out of the state, the config file and the engine's output", () => {
        const keyLines = server.keyPem.split(/\r?\n/).filter((l) => l.length > 20 && !l.startsWith("-----"));
        const files = (dir: string): string[] => readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
        const texts = [...files(project.stateDir).map((f) => readFileSync(f, "utf8")), readFileSync(join(project.dir, `Pulumi.${STACK}.yaml`), "utf8"), ...output];
        for (const text of texts) {
            for (const line of keyLines) assert.ok(!text.includes(line), "a line of the server key is in plain text");
            assert.ok(!text.includes("BEGIN RSA PRIVATE KEY"), "a PEM key header is in plain text");
        }
    });
});
