// `npm run host-keys` on a real sandbox host: it pins the key sshd really holds, keeps the stack file's
// comments, changes nothing on a second run, and never replaces a changed key unless asked.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { downHost, hostTestsSkipReason, SandboxHost, sha256, sh, upHost } from "./harness";

const SCRIPT = join(__dirname, "../../scripts/host-keys.ts");
const OTHER_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";

describe("npm run host-keys", { skip: hostTestsSkipReason() }, () => {
    let host: SandboxHost;
    let dir: string;
    const file = () => join(dir, "Pulumi.keys.yaml");
    const run = (...args: string[]) => {
        const res = spawnSync("node", ["--import", "tsx", SCRIPT, "--stack", "keys", "--dir", dir, ...args], { encoding: "utf8", input: "", timeout: 120_000 });
        return { status: res.status, out: `${res.stdout}${res.stderr}` };
    };
    const pinned = () => (parse(readFileSync(file(), "utf8")) as { config: { "docker-host:hosts": { hostKey?: string }[] } }).config["docker-host:hosts"][0]!.hostKey;

    before(() => {
        host = upHost("keys-1", "--no-disk");
        dir = mkdtempSync(join(tmpdir(), "host-keys-"));
        writeFileSync(file(), `# my stack\nconfig:\n  docker-host:hosts:\n    - name: keys-1 # the first one\n      host: ${host.host}\n`);
    });
    after(() => {
        downHost("keys-1");
        rmSync(dir, { recursive: true, force: true });
    });

    it("refuses to write without --yes when nobody can confirm", () => {
        const before = sha256(readFileSync(file(), "utf8"));
        const res = run();
        assert.equal(res.status, 1, res.out);
        assert.match(res.out, /nothing written: re-run with --yes once you have checked the fingerprints/);
        assert.equal(sha256(readFileSync(file(), "utf8")), before);
    });

    it("pins the key sshd holds, printing ssh-keygen's fingerprint, and keeps the comments", () => {
        const res = run("--yes");
        assert.equal(res.status, 0, res.out);
        const real = sh(host, "cut -d' ' -f1,2 /etc/ssh/ssh_host_ed25519_key.pub").trim();
        const fingerprint = sh(host, "ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub").split(" ")[1]!;
        assert.equal(pinned(), real);
        assert.match(res.out, new RegExp(`keys-1 .* ssh-ed25519 ${fingerprint.replace(/[+/]/g, "\\$&")}  new`));
        assert.match(readFileSync(file(), "utf8"), /^# my stack\n[\s\S]*- name: keys-1 # the first one\n/);
    });

    it("changes nothing on a second run", () => {
        const before = readFileSync(file(), "utf8");
        const res = run("--yes");
        assert.equal(res.status, 0, res.out);
        assert.match(res.out, /unchanged/);
        assert.equal(readFileSync(file(), "utf8"), before);
    });

    it("never replaces a changed key unless asked", () => {
        const real = pinned();
        writeFileSync(file(), readFileSync(file(), "utf8").replace(real!, OTHER_KEY));
        const before = readFileSync(file(), "utf8");
        const res = run("--yes");
        assert.equal(res.status, 1, res.out);
        assert.match(res.out, /CHANGED \(pinned: SHA256:/);
        assert.match(res.out, /re-run with --replace-changed/);
        assert.equal(readFileSync(file(), "utf8"), before);
        assert.equal(run("--yes", "--replace-changed").status, 0);
        assert.equal(pinned(), real);
    });
});
