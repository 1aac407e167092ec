// Pinned host keys: parsing (a table of good and bad lines, fingerprints equal to ssh-keygen's), and the
// program's own SSH checks against in-process SSH servers on loopback: a matching pin passes without a
// login, a wrong one is refused naming both fingerprints, and the scanner reads the key a host offers.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { Server } from "ssh2";
import { HostKey, knownHostsLine, parseHostKey } from "../../components/dockerHost/hostKey";
import { HostKeyMismatchError, scanHostKey, withSsh } from "../../components/dockerHost/ssh";

const dir = mkdtempSync(join(tmpdir(), "host-key-test-"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** A fresh key pair made by ssh-keygen: its private key, its .pub line and ssh-keygen's own fingerprint. */
function keyPair(name: string, type: "ed25519" | "ecdsa" | "rsa"): { privateKey: string; pub: string; fingerprint: string } {
    const path = join(dir, name);
    assert.equal(spawnSync("ssh-keygen", ["-q", "-t", type, "-N", "", "-C", `comment-${name}`, "-f", path]).status, 0);
    const fingerprint = spawnSync("ssh-keygen", ["-l", "-E", "sha256", "-f", `${path}.pub`], { encoding: "utf8" }).stdout.split(" ")[1]!;
    return { privateKey: readFileSync(path, "utf8"), pub: readFileSync(`${path}.pub`, "utf8").trim(), fingerprint };
}

const ed = keyPair("ed", "ed25519");
const ecdsa = keyPair("ecdsa", "ecdsa");
const rsa = keyPair("rsa", "rsa");
const [edType, edBase64] = ed.pub.split(" ") as [string, string];

const parsed = (text: string): HostKey => {
    const key = parseHostKey(text);
    assert.ok(!("problem" in key), `refused: ${JSON.stringify(key)}`);
    return key;
};

describe("parseHostKey", () => {
    it("takes a .pub line (comment dropped) and gives ssh-keygen's fingerprint", () => {
        const key = parsed(ed.pub);
        assert.equal(key.line, `${edType} ${edBase64}`);
        assert.equal(key.fingerprint, ed.fingerprint);
        assert.equal(parsed(ecdsa.pub).fingerprint, ecdsa.fingerprint);
        assert.equal(parsed(ecdsa.pub).type, "ecdsa-sha2-nistp256");
    });

    it("takes a known_hosts line (host names first) and surrounding white space", () => {
        assert.equal(parsed(`10.0.0.5,web-1 ${ed.pub}\n`).line, `${edType} ${edBase64}`);
        assert.equal(parsed(`  [10.0.0.5]:2222 ${edType} ${edBase64}  `).fingerprint, ed.fingerprint);
    });

    const refusals: [string, string, RegExp][] = [
        ["an RSA key", rsa.pub, /is an RSA key; .*ssh-rsa \(SHA-1\).*OpenSSH 8\.8\+ refuses\. Fix: pin the host's ed25519 key/],
        ["a path instead of a key", "/etc/ssh/ssh_host_ed25519_key.pub", /is not an OpenSSH public key line\. Fix:/],
        ["a fingerprint instead of a key", ed.fingerprint, /is not an OpenSSH public key line/],
        ["the type alone", edType, /is not an OpenSSH public key line/],
        ["an unknown type", `ssh-dss ${edBase64}`, /has key type "ssh-dss"\. Fix: pin one of ssh-ed25519, ecdsa-sha2-nistp256/],
        ["a cut base64 part", `${edType} ${edBase64.slice(0, 30)}`, /is not a valid ssh-ed25519 key/],
        ["base64 of another type", `ecdsa-sha2-nistp256 ${edBase64}`, /is not a valid ecdsa-sha2-nistp256 key/],
        ["not base64", `${edType} AAAA!!!!`, /is not a valid ssh-ed25519 key/],
        ["a marker line", `@cert-authority *.example.com ${ed.pub}`, /is not an OpenSSH public key line/],
        ["empty", "", /is not an OpenSSH public key line/],
    ];
    for (const [what, text, message] of refusals) {
        it(`refuses ${what}`, () => {
            const key = parseHostKey(text);
            assert.ok("problem" in key, `accepted ${what}`);
            assert.match(key.problem, message);
        });
    }

    it("writes known_hosts lines OpenSSH reads (bracketed address off port 22)", () => {
        const key = parsed(ed.pub);
        assert.equal(knownHostsLine("10.0.0.5", 22, key), `10.0.0.5 ${key.line}\n`);
        assert.equal(knownHostsLine("10.0.0.5", 2222, key), `[10.0.0.5]:2222 ${key.line}\n`);
    });
});

describe("the program's SSH checks (in-process SSH servers on loopback)", () => {
    const servers: Server[] = [];
    let logins = 0;
    let ports: { ed: number; ecdsa: number };
    const client = keyPair("client", "ed25519");

    const listen = (hostKey: string) =>
        new Promise<number>((resolve) => {
            const server = new Server({ hostKeys: [hostKey] }, (conn) => {
                conn.on("authentication", (ctx) => (ctx.method === "publickey" ? (logins++, ctx.accept()) : ctx.reject(["publickey"])));
                conn.on("ready", () => conn.on("session", (accept) => accept().on("exec", (acc) => {
                    const stream = acc();
                    stream.write("hello\n");
                    stream.exit(0);
                    stream.end();
                })));
                conn.on("error", () => undefined);
            });
            servers.push(server);
            server.listen(0, "127.0.0.1", () => resolve((server.address() as { port: number }).port));
        });
    before(async () => {
        ports = { ed: await listen(ed.privateKey), ecdsa: await listen(ecdsa.privateKey) };
    });
    after(() => servers.forEach((s) => s.close()));
    const limits = { connectTimeoutSeconds: 3, totalTimeoutSeconds: 6 };

    it("passes a host that offers the pinned key", async () => {
        const before = logins;
        assert.equal(await withSsh({ host: "127.0.0.1", port: ports.ed, privateKey: client.privateKey, hostKey: ed.pub }, async () => "in", limits), "in");
        assert.ok(logins > before, "logged in");
    });

    it("refuses another key, naming the host and both fingerprints", async () => {
        await assert.rejects(
            withSsh({ host: "127.0.0.1", port: ports.ed, privateKey: client.privateKey, hostKey: ecdsa.pub }, async () => undefined, limits),
            // Only the pinned type is offered to the server, so a host holding an ed25519 key but not the
            // pinned ecdsa one cannot even agree on an algorithm: refused all the same, and said so.
            (err: unknown) =>
                err instanceof HostKeyMismatchError &&
                err.message.startsWith(`root@127.0.0.1:${ports.ed} offers no host key of the pinned type, but ${ecdsa.fingerprint} is pinned (hostKey)`),
        );
        const other = keyPair("other", "ed25519");
        await assert.rejects(
            withSsh({ host: "127.0.0.1", port: ports.ed, privateKey: client.privateKey, hostKey: other.pub }, async () => undefined, limits),
            (err: unknown) =>
                err instanceof HostKeyMismatchError &&
                err.message.startsWith(`root@127.0.0.1:${ports.ed} offered host key ${ed.fingerprint}, but ${other.fingerprint} is pinned (hostKey)`),
        );
    });

    it("runs nothing on a host with the wrong key (the probe's exec never starts)", async () => {
        const other = keyPair("other2", "ed25519");
        let ran = false;
        await assert.rejects(
            withSsh({ host: "127.0.0.1", port: ports.ed, privateKey: client.privateKey, hostKey: other.pub }, async () => {
                ran = true;
            }, limits),
            HostKeyMismatchError,
        );
        assert.equal(ran, false);
    });

    it("scans the key a host offers (ed25519 preferred, ecdsa where that is all there is)", async () => {
        const offered = await scanHostKey({ host: "127.0.0.1", port: ports.ed, privateKey: "" }, limits);
        assert.equal(offered.toString("base64"), edBase64);
        const offeredEcdsa = await scanHostKey({ host: "127.0.0.1", port: ports.ecdsa, privateKey: "" }, limits);
        assert.equal(parsed(`ecdsa-sha2-nistp256 ${offeredEcdsa.toString("base64")}`).fingerprint, ecdsa.fingerprint);
    });
});
