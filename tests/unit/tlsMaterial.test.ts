// TLS material checks (tlsMaterial.ts) and how a version reaches the plan: a key of another certificate, a
// foreign CA, a CA that is no CA, expired or not yet valid certificates and unreadable PEMs are refused with
// the key named and no key material quoted; EC material passes like RSA; daemon.json and the tls step name
// the material's version.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { daemonConfig, renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { Resolved, TlsCertificates } from "../../components/dockerHost/args";
import { planConfig, planSteps } from "../../components/dockerHost/steps";
import { tlsDigest, tlsMaterialIssues, tlsPaths } from "../../components/dockerHost/tlsMaterial";
import { generateCa, issueServerCertificate } from "../../components/tls/certificates";

const ca = generateCa("unit CA");
const otherCa = generateCa("another CA");
const server = issueServerCertificate(ca, { ipAddresses: ["192.0.2.10"] });
const otherServer = issueServerCertificate(ca, { ipAddresses: ["192.0.2.11"] });
const GOOD: Resolved<TlsCertificates> = { caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem };
const DAY = 86_400_000;

/** EC material (P-256) made by the openssl CLI: node-forge makes RSA only. Undefined without openssl. */
function ecMaterial(): Resolved<TlsCertificates> | undefined {
    if (spawnSync("openssl", ["version"]).status !== 0) return undefined;
    const dir = mkdtempSync(join(tmpdir(), "docker-host-ec-"));
    const run = (...args: string[]) => {
        const res = spawnSync("openssl", args, { cwd: dir, encoding: "utf8" });
        assert.equal(res.status, 0, `openssl ${args.join(" ")}: ${res.stderr}`);
    };
    try {
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "ca.key");
        run("req", "-x509", "-new", "-key", "ca.key", "-subj", "/CN=ec CA", "-days", "30", "-out", "ca.pem");
        run("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", "server.key");
        run("req", "-new", "-key", "server.key", "-subj", "/CN=ec server", "-out", "server.csr");
        run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-days", "30", "-out", "server.pem");
        const read = (f: string) => readFileSync(join(dir, f), "utf8");
        return { caCertPem: read("ca.pem"), serverCertPem: read("server.pem"), serverKeyPem: read("server.key") };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

/** The base64 lines of a PEM (its body), each long enough to be recognisable. */
const bodyLines = (pem: string) => pem.split(/\r?\n/).filter((l) => l.length > 20 && !l.startsWith("-----"));

describe("tlsMaterialIssues", () => {
    const shown: string[] = [];
    const issues = (tls: Resolved<TlsCertificates>, now?: Date) => {
        const found = tlsMaterialIssues(tls, now);
        shown.push(...found.map((i) => `${i.key}: ${i.message}`));
        return found;
    };

    it("accepts a server certificate, its key and the CA that signed it", () => {
        assert.deepEqual(issues(GOOD), []);
    });

    it("refuses a key that belongs to another certificate", () => {
        assert.deepEqual(
            issues({ ...GOOD, serverKeyPem: otherServer.keyPem }).map((i) => i.key),
            ["tlsCertificates.serverKeyPem"],
        );
        assert.match(shown.at(-1)!, /does not belong to the server certificate/);
    });

    it("refuses a server certificate that a foreign CA signed", () => {
        const found = issues({ ...GOOD, caCertPem: otherCa.certPem });
        assert.deepEqual(found.map((i) => i.key), ["tlsCertificates.serverCertPem"]);
        assert.match(found[0]!.message, /is not signed by the CA in caCertPem/);
    });

    it("refuses a CA certificate that is no CA", () => {
        const found = issues({ ...GOOD, caCertPem: otherServer.certPem });
        assert.ok(found.some((i) => i.key === "tlsCertificates.caCertPem" && /is not a CA certificate/.test(i.message)));
    });

    it("refuses expired and not yet valid certificates", () => {
        const expired = issues(GOOD, new Date(Date.now() + 900 * DAY));
        assert.deepEqual(expired.map((i) => i.key), ["tlsCertificates.caCertPem", "tlsCertificates.serverCertPem"]);
        for (const issue of expired) assert.match(issue.message, /^expired on \d{4}-\d\d-\d\dT/);
        const early = issues(GOOD, new Date(Date.now() - DAY));
        assert.deepEqual(early.map((i) => i.key), ["tlsCertificates.caCertPem", "tlsCertificates.serverCertPem"]);
        for (const issue of early) assert.match(issue.message, /^is not valid before /);
    });

    it("refuses PEMs that do not parse, an encrypted key among them, without throwing", () => {
        const broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        const brokenKey = "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n";
        assert.deepEqual(
            issues({ caCertPem: broken, serverCertPem: broken, serverKeyPem: brokenKey }).map((i) => i.key),
            ["tlsCertificates.caCertPem", "tlsCertificates.serverCertPem", "tlsCertificates.serverKeyPem"],
        );
        const encrypted = spawnSync("openssl", ["pkey", "-aes256", "-passout", "pass:secret"], { input: server.keyPem, encoding: "utf8" });
        if (encrypted.status === 0) {
            assert.deepEqual(issues({ ...GOOD, serverKeyPem: encrypted.stdout }).map((i) => i.key), ["tlsCertificates.serverKeyPem"]);
        }
    });

    const ec = ecMaterial();
    it("accepts EC material, and refuses an EC key for an RSA certificate", { skip: ec ? false : "openssl is not installed (it makes the EC material)" }, () => {
        assert.deepEqual(issues(ec!), []);
        assert.deepEqual(issues({ ...GOOD, serverKeyPem: ec!.serverKeyPem }).map((i) => i.key), ["tlsCertificates.serverKeyPem"]);
        assert.deepEqual(issues({ ...ec!, caCertPem: ca.certPem }).map((i) => i.key), ["tlsCertificates.serverCertPem"]);
    });

    it("never quotes key material", () => {
        assert.ok(shown.length >= 10, `only ${shown.length} messages were checked`);
        const secrets = [server.keyPem, otherServer.keyPem, ...(ec ? [ec.serverKeyPem] : [])].flatMap(bodyLines);
        for (const message of shown) {
            assert.ok(!/PRIVATE KEY/.test(message), `a message names a PEM key: ${message}`);
            for (const line of secrets) assert.ok(!message.includes(line), `a message quotes the key: ${message}`);
        }
    });
});

describe("the material's version", () => {
    const version = tlsDigest(GOOD);
    const connection = { host: "192.0.2.10", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----\n" };

    it("names one directory per version under /etc/docker/tls", () => {
        assert.match(version, /^[0-9a-f]{12}$/);
        assert.notEqual(tlsDigest({ ...GOOD, serverCertPem: otherServer.certPem, serverKeyPem: otherServer.keyPem }), version);
        assert.deepEqual(tlsPaths(version), {
            caCert: `/etc/docker/tls/${version}/ca.pem`,
            serverCert: `/etc/docker/tls/${version}/server-cert.pem`,
            serverKey: `/etc/docker/tls/${version}/server-key.pem`,
        });
        assert.throws(() => tlsPaths("../../etc"), /not 12 hex digits/);
    });

    it("is what daemon.json points at, and what the tls step stages; the apply command carries no tls token", () => {
        const json = JSON.parse(renderDaemonJson({}, version)) as Record<string, unknown>;
        assert.equal(json.tlscacert, `/etc/docker/tls/${version}/ca.pem`);
        assert.equal(json.tlscert, `/etc/docker/tls/${version}/server-cert.pem`);
        assert.equal(json.tlskey, `/etc/docker/tls/${version}/server-key.pem`);
        const steps = planConfig({ connection, tlsCertificates: GOOD });
        assert.match(steps.find((s) => s.name === "tls")!.create, new RegExp(` tls v=[0-9a-f]+ version=${version}( |$)`));
        assert.doesNotMatch(steps.find((s) => s.name === "apply")!.create, / tls=/);
    });

    it("is all the plan knows of the material: no PEM in any step, the tls step's stdin left to the component", () => {
        const steps = planSteps({}, daemonConfig({}, version));
        assert.deepEqual(steps.map((s) => s.name), ["gate", "tls", "apply"]);
        assert.equal(steps.find((s) => s.name === "tls")!.stdin, undefined);
        assert.equal(JSON.parse(steps.find((s) => s.name === "apply")!.stdin!).tlscert, `/etc/docker/tls/${version}/server-cert.pem`);
        const material = [...bodyLines(GOOD.caCertPem), ...bodyLines(GOOD.serverCertPem), ...bodyLines(GOOD.serverKeyPem)];
        for (const step of planConfig({ connection, tlsCertificates: GOOD })) {
            for (const text of [step.create, step.delete ?? "", step.stdin ?? ""]) assert.ok(!material.some((line) => text.includes(line)), step.name);
        }
    });
});
