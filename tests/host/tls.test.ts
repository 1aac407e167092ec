// Issues 5 and 9, a TCP socket with TLS, staged: `docker --tlsverify` with a client certificate from the
// stack's CA works; without one, or with one from another CA, it is refused; each set of material is its own
// version directory (key 0600) and appears in no step's output; a key of another certificate is refused by
// the host before anything changes; a rotation whose restart fails leaves the previous material in use and
// Docker up; a rotation that succeeds keeps the previous version and prunes older ones; the step's delete
// removes docker-host's material (with the files of releases before versions) and nothing else.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Resolved, TlsCertificates } from "../../components/dockerHost/args";
import { tlsDigest, tlsMaterialIssues } from "../../components/dockerHost/tlsMaterial";
import { generateCa, issueClientCertificate, issueServerCertificate, KeyPair } from "../../components/tls/certificates";
import { applySteps, configFor, deleteStep, dockerdIdentity, downHost, hostSteps, hostTestsSkipReason, remoteTreeSha, SandboxHost, sh, sha256, ssh, upHost, uploadScripts } from "./harness";

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
    const material = (server: KeyPair): Resolved<TlsCertificates> => ({ caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem });
    // The material of each test that installs one, in order: first, rotated, failed rotation, last.
    const versions: string[] = [];
    let rotated: KeyPair;
    const dockerVersion = (args: string[]) =>
        spawnSync("docker", [...args, "-H", `tcp://${host.host}:2376`, "version", "--format", "{{.Server.Version}}"], { encoding: "utf8", timeout: 20_000 });
    const servedSerial = () =>
        spawnSync("sh", ["-c", `openssl s_client -connect ${host.host}:2376 </dev/null 2>/dev/null | openssl x509 -noout -serial`], { encoding: "utf8" }).stdout;
    const serialOf = (pair: KeyPair) => spawnSync("openssl", ["x509", "-noout", "-serial"], { input: pair.certPem, encoding: "utf8" }).stdout;
    const daemonJson = () => JSON.parse(sh(host, "cat /etc/docker/daemon.json")) as Record<string, unknown>;
    const stagedVersions = () => sh(host, "find /etc/docker/tls -mindepth 1 -maxdepth 1 -printf '%f\\n' | sort").trim().split("\n").filter(Boolean);
    /** Names, modes, owners and bytes of everything under /etc/docker. */
    const etcDockerState = () =>
        sha256(sh(host, "cd /etc/docker && find . -printf '%p %m %U %s\\n' | sort && find . -type f -print0 | sort -z | xargs -0r sha256sum"));

    before(() => {
        host = upHost(NAME, "--no-disk");
    });
    after(() => {
        downHost(NAME);
        rmSync(dir, { recursive: true, force: true });
    });

    it("stages the material as a version (key 0600) and serves tcp://0.0.0.0:2376 with tlsverify from it", () => {
        const tls = material(issueServerCertificate(ca, { ipAddresses: [host.host] }));
        versions.push(tlsDigest(tls));
        const { runs, result } = applySteps(host, configFor(host, { tlsCertificates: tls }));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.equal(result?.action, "restart");
        const v = `/etc/docker/tls/${versions[0]}`;
        assert.equal(
            sh(host, `stat -c '%a %U %n' /etc/docker/tls ${v} ${v}/server-key.pem ${v}/server-cert.pem ${v}/ca.pem`),
            `755 root /etc/docker/tls\n755 root ${v}\n600 root ${v}/server-key.pem\n644 root ${v}/server-cert.pem\n644 root ${v}/ca.pem\n`,
        );
        const keyLine = tls.serverKeyPem.split(/\r?\n/)[1]!;
        for (const run of runs) assert.ok(!run.stdout.includes(keyLine) && !run.stderr.includes(keyLine), `${run.step.name} printed the key`);
        const json = daemonJson();
        assert.deepEqual([json.tlscacert, json.tlscert, json.tlskey], [`${v}/ca.pem`, `${v}/server-cert.pem`, `${v}/server-key.pem`]);
        assert.ok((json.hosts as string[]).includes("tcp://0.0.0.0:2376"));
    });

    it("accepts a client certificate from the stack's CA", () => {
        const d = write("client", { "ca.pem": ca.certPem, "cert.pem": client.certPem, "key.pem": client.keyPem });
        const res = dockerVersion(["--tlsverify", "--tlscacert", join(d, "ca.pem"), "--tlscert", join(d, "cert.pem"), "--tlskey", join(d, "key.pem")]);
        assert.equal(res.status, 0, res.stderr);
        assert.ok(res.stdout.startsWith(`${host.engine}.`), `the server's version over TLS: ${res.stdout}`);
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

    it("a rotated server certificate is a new version: daemon.json switches to it and dockerd restarts with it", () => {
        rotated = issueServerCertificate(ca, { ipAddresses: [host.host] });
        versions.push(tlsDigest(material(rotated)));
        const { runs, result } = applySteps(host, configFor(host, { tlsCertificates: material(rotated) }));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.equal(result?.action, "restart");
        assert.equal(daemonJson().tlscert, `/etc/docker/tls/${versions[1]}/server-cert.pem`);
        assert.equal(servedSerial(), serialOf(rotated));
        // The first version stays: the apply step's backup (daemon.json.prev) points at it.
        assert.deepEqual(stagedVersions(), [...versions].sort());
    });

    it("refuses a key that belongs to another certificate on the host, before any file changes", () => {
        const other = issueServerCertificate(ca, { ipAddresses: [host.host] });
        const mismatched = { ...material(rotated), serverKeyPem: other.keyPem };
        assert.deepEqual(tlsMaterialIssues(mismatched).map((i) => i.key), ["tlsCertificates.serverKeyPem"]); // the component's own check
        // The harness validates a configuration first; to prove the host's check, feed the tls step directly.
        const step = hostSteps({ ...configFor(host), tlsCertificates: mismatched }).find((s) => s.name === "tls")!;
        const [state, dockerd] = [etcDockerState(), dockerdIdentity(host)];
        uploadScripts(host, host.user);
        const run = ssh(host, step.create, { input: step.stdin });
        assert.equal(run.status, 1, run.stderr);
        assert.match(run.stderr, /the server key does not belong to the server certificate; nothing was changed/);
        assert.ok(!run.stderr.includes(other.keyPem.split(/\r?\n/)[1]!), "the refusal printed the key");
        assert.equal(etcDockerState(), state);
        assert.equal(dockerdIdentity(host), dockerd);
    });

    it("a rotation whose restart fails brings the previous material back, unchanged, and Docker up", () => {
        const failing = material(issueServerCertificate(ca, { ipAddresses: [host.host] }));
        versions.push(tlsDigest(failing));
        const previous = remoteTreeSha(host, `/etc/docker/tls/${versions[1]}`);
        // The port sshd listens on: dockerd cannot bind it, so the restart with the new material fails.
        const { runs } = applySteps(host, configFor(host, { tlsCertificates: failing, tlsListenAddress: `0.0.0.0:${host.port}` }));
        assert.deepEqual(runs.map((r) => [r.step.name, r.status === 0]), [["gate", true], ["tls", true], ["apply", false]], runs.map((r) => r.stderr).join("\n"));
        assert.match(runs.at(-1)!.stderr, /address already in use/); // dockerd's own words, from the journal
        assert.match(runs.at(-1)!.stderr, /restored|rolled back|rolling back/i);
        const json = daemonJson();
        assert.equal(json.tlscert, `/etc/docker/tls/${versions[1]}/server-cert.pem`);
        assert.ok((json.hosts as string[]).includes("tcp://0.0.0.0:2376"));
        assert.equal(remoteTreeSha(host, `/etc/docker/tls/${versions[1]}`), previous);
        assert.equal(sh(host, "systemctl is-active docker.service").trim(), "active");
        sh(host, "docker info >/dev/null");
        assert.equal(servedSerial(), serialOf(rotated));
    });

    it("a rotation that succeeds uses the new version, keeps the previous one, prunes older ones", () => {
        const last = issueServerCertificate(ca, { ipAddresses: [host.host] });
        versions.push(tlsDigest(material(last)));
        const { runs, result } = applySteps(host, configFor(host, { tlsCertificates: material(last) }));
        assert.equal(runs.find((r) => r.status !== 0), undefined, runs.map((r) => r.stderr).join("\n"));
        assert.equal(result?.action, "restart");
        assert.equal(daemonJson().tlscert, `/etc/docker/tls/${versions[3]}/server-cert.pem`);
        assert.equal(servedSerial(), serialOf(last));
        assert.match(sh(host, "cat /var/lib/docker-host/backup/daemon.json.prev"), new RegExp(`/etc/docker/tls/${versions[1]}/server-cert\\.pem`));
        // The first version and the one whose restart failed are gone.
        assert.deepEqual(stagedVersions(), [versions[1]!, versions[3]!].sort());
    });

    it("tls-delete removes docker-host's versions and the files of releases before versions, keeps what daemon.json names and the host's own", () => {
        // As a host set up by an earlier release would have them, next to a file of the host's own.
        sh(host, "cd /etc/docker/tls && for f in ca.pem server-cert.pem server-key.pem host-own.pem; do echo old >$f; done");
        const dockerd = dockerdIdentity(host);
        const run = deleteStep(host, configFor(host, { tlsCertificates: material(rotated) }), "tls");
        assert.equal(run.status, 0, run.stderr);
        // The version in use stays (Pulumi runs this delete after an apply without TLS; then nothing names it).
        assert.match(run.stderr, new RegExp(`kept /etc/docker/tls/${versions[3]}: /etc/docker/daemon.json still points at it`));
        assert.deepEqual(stagedVersions(), [versions[3]!, "host-own.pem"].sort());
        assert.equal(dockerdIdentity(host), dockerd);
    });
});

