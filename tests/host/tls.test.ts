// Issue 5, a TCP socket with TLS: `docker --tlsverify` with a client certificate from the stack's CA works;
// without one, or with one from another CA, it is refused; the key lands with mode 0600 and appears in
// no step's output.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { generateCa, issueClientCertificate, issueServerCertificate } from "../../components/tls/certificates";
import { applySteps, configFor, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "./harness";

const NAME = "t-tls";

describe("a TCP socket with TLS", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    const dir = mkdtempSync(join(tmpdir(), "docker-host-tls-"));
    const ca = generateCa("test CA");
    const otherCa = generateCa("another CA");
    const write = (sub: string, files: Record<string, string>) => {
        const d = join(dir, sub);
        spawnSync("mkdir", ["-p", d]);
        for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text, { mode: 0o600 });
        return d;
    };
    const client = issueClientCertificate(ca, "operator");
    const stranger = issueClientCertificate(otherCa, "stranger");
    let server: ReturnType<typeof issueServerCertificate>;
    const dockerVersion = (args: string[]) =>
        spawnSync("docker", [...args, "-H", `tcp://${host.host}:2376`, "version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 20_000 });

    before(() => {
        host = upHost(NAME, "--no-disk");
        server = issueServerCertificate(ca, { ipAddresses: [host.host] });
    });
    after(() => {
        downHost(NAME);
        rmSync(dir, { recursive: true, force: true });
    });

    it("installs the material (key 0600) and serves tcp://0.0.0.0:2376 with tlsverify", () => {
        const { runs, result } = applySteps(host, configFor(host, { tlsCertificates: { caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem } }));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.equal(result?.action, "restart");
        assert.equal(sh(host, "stat -c '%a %U' /etc/docker/tls/server-key.pem /etc/docker/tls/server-cert.pem /etc/docker/tls/ca.pem"), "600 root\n644 root\n644 root\n");
        const keyLine = server.keyPem.split("\n")[1]!;
        for (const run of runs) assert.ok(!run.stdout.includes(keyLine) && !run.stderr.includes(keyLine), `${run.step.name} printed the key`);
        assert.match(sh(host, "cat /etc/docker/daemon.json"), /"tcp:\/\/0\.0\.0\.0:2376"/);
    });

    it("accepts a client certificate from the stack's CA", () => {
        const d = write("client", { "ca.pem": ca.certPem, "cert.pem": client.certPem, "key.pem": client.keyPem });
        const res = dockerVersion(["--tlsverify", "--tlscacert", join(d, "ca.pem"), "--tlscert", join(d, "cert.pem"), "--tlskey", join(d, "key.pem")]);
        assert.equal(res.status, 0, res.stderr);
        assert.match(res.stdout, /^20\./);
    });

    it("refuses a client without a certificate, and one from another CA", () => {
        const d = write("none", { "ca.pem": ca.certPem });
        const none = dockerVersion(["--tlsverify", "--tlscacert", join(d, "ca.pem")]);
        assert.notEqual(none.status, 0);
        assert.match(none.stderr, /certificate|tls|remote error/i);
        const s = write("stranger", { "ca.pem": ca.certPem, "cert.pem": stranger.certPem, "key.pem": stranger.keyPem });
        const res = dockerVersion(["--tlsverify", "--tlscacert", join(s, "ca.pem"), "--tlscert", join(s, "cert.pem"), "--tlskey", join(s, "key.pem")]);
        assert.notEqual(res.status, 0);
        assert.match(res.stderr, /bad certificate|unknown certificate authority|certificate/i);
    });

    it("a rotated server certificate re-runs the apply step and restarts dockerd with it", () => {
        const rotated = issueServerCertificate(ca, { ipAddresses: [host.host] });
        const { runs, result } = applySteps(host, configFor(host, { tlsCertificates: { caCertPem: ca.certPem, serverCertPem: rotated.certPem, serverKeyPem: rotated.keyPem } }));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.equal(result?.action, "restart");
        const served = spawnSync("sh", ["-c", `openssl s_client -connect ${host.host}:2376 </dev/null 2>/dev/null | openssl x509 -noout -serial`], { encoding: "utf8" });
        const expected = spawnSync("openssl", ["x509", "-noout", "-serial"], { input: rotated.certPem, encoding: "utf8" });
        assert.equal(served.stdout, expected.stdout);
    });
});
