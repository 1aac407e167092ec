// The ssh options dockerProvider() hands the docker CLI's ssh, tried with the real OpenSSH client on
// sandbox hosts: the target reached through a pinned bastion runs `docker system dial-stdio`'s kind of
// command, never asking anything; a wrong pinned key (target's or bastion's) is refused before login.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Resolved, SshConnection } from "../../components/dockerHost/args";
import { opensshOptions } from "../../components/dockerHost/opensshOptions";
import { allowHostToHostTraffic, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "./harness";

describe("dockerProvider()'s OpenSSH options on real hosts", { skip: hostTestsSkipReason() }, () => {
    let bastion: SandboxHost;
    let target: SandboxHost;
    let stopForwarding: (() => void) | undefined;

    const viaBastion = (overrides: { hostKey?: string; bastionHostKey?: string } = {}): Resolved<SshConnection> => ({
        host: target.host,
        privateKey: readFileSync(target.privateKeyPath, "utf8"),
        hostKey: overrides.hostKey ?? target.hostKey,
        bastion: { host: bastion.host, hostKey: overrides.bastionHostKey ?? bastion.hostKey },
    });
    const sshWith = (connection: Resolved<SshConnection>) =>
        spawnSync("ssh", [...opensshOptions(connection), "-o", "ConnectTimeout=10", `root@${connection.host}`, "docker", "version", "--format", "{{.Server.Version}}"], {
            encoding: "utf8",
            input: "",
            timeout: 60_000,
        });

    before(() => {
        [bastion, target] = [upHost("ossh-jump", "--no-disk"), upHost("ossh-target", "--no-disk")];
        stopForwarding = allowHostToHostTraffic();
        // The bastion's key defaults to the target's: let that key in on the bastion too.
        sh(bastion, `echo '${readFileSync(`${target.privateKeyPath}.pub`, "utf8").trim()}' >> /root/.ssh/authorized_keys`);
    });
    after(() => {
        stopForwarding?.();
        ["ossh-jump", "ossh-target"].forEach(downHost);
    });

    it("reaches dockerd on the target through the bastion, checking both pinned keys", () => {
        const res = sshWith(viaBastion());
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout.trim(), sh(target, "docker version --format '{{.Server.Version}}'").trim());
    });

    it("refuses a target that offers another key", () => {
        const res = sshWith(viaBastion({ hostKey: bastion.hostKey }));
        assert.notEqual(res.status, 0);
        assert.match(res.stderr, /Host key verification failed/);
    });

    it("refuses a bastion that offers another key", () => {
        const res = sshWith(viaBastion({ bastionHostKey: target.hostKey }));
        assert.notEqual(res.status, 0);
        assert.match(res.stderr, /Host key verification failed/);
    });
});
