// Who answers on port 22, through the real engine on two sandbox hosts: a host offering another key than
// the pinned one is refused before anything runs (by the preview's probe, and on up by the command
// plugin); moving a stack entry to another machine, or to another user, replaces every step (the new place
// gets the scripts, the old one gets its original configuration back); a pinned bastion in front works, and
// a wrong bastion key is refused.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { parseHostKey } from "../../components/dockerHost/hostKey";
import { allowHostToHostTraffic, dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, SandboxHost, sh, upHost } from "../host/harness";
import { EngineEnv, EngineProject, engineProject, PROGRAM_FILES, provideEngine, StackHost, succeeded, writeStackConfig } from "./project";

const STACK = "keys";

describe("pinned host keys and moving hosts, through the real engine", { skip: hostTestsSkipReason() }, () => {
    let engine: EngineProject;
    let a: SandboxHost;
    let b: SandboxHost;
    let stopForwarding: (() => void) | undefined;
    let commandPlugin: EngineEnv["commandPlugin"];

    const pulumi = (...args: string[]) => engine.run(...args, "--stack", STACK);
    const ok = (...args: string[]) => succeeded(pulumi(...args), args);
    const fingerprint = (key: string) => {
        const parsed = parseHostKey(key);
        assert.ok(!("problem" in parsed));
        return parsed.fingerprint;
    };
    const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
    /** The stack's one entry, "mv", pointed at `target` (the key file is always the target's own). */
    const point = (target: SandboxHost, entry: Partial<StackHost> = {}, options: { detectDrift?: boolean } = {}) =>
        writeStackConfig(engine, STACK, [{ name: "mv", host: target.host, privateKeyPath: target.privateKeyPath, hostKey: target.hostKey, ...entry }], options);
    const unconfigured = (h: SandboxHost) => {
        assert.equal(remoteSha(h, "/etc/docker/daemon.json"), "absent"); // sandbox hosts start without one
        assert.equal(sh(h, "ls /etc/systemd/system/docker.service.d/ 2>/dev/null | grep -c docker-host || true").trim(), "0");
        assert.equal(sh(h, "docker info --format '{{.DockerRootDir}}'").trim(), "/var/lib/docker");
    };
    /** How `preview --diff` shows a child that will be replaced. */
    const replaced = (type: string, name: string) =>
        new RegExp(`\\+-command:remote:${type}: \\(replace\\)\\n\\s+\\[id=[^\\]]*\\]\\n\\s+\\[urn=[^\\]]*::${name}\\]`);
    const configured = (h: SandboxHost) => assert.equal(sh(h, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");

    before(() => {
        [a, b] = [upHost("hk-a"), upHost("hk-b")];
        stopForwarding = allowHostToHostTraffic(); // for the bastion: hk-a in front of hk-b
        engine = engineProject(PROGRAM_FILES);
        commandPlugin = provideEngine().commandPlugin;
        ok("stack", "init", "--secrets-provider", "passphrase");
    });
    after(() => {
        stopForwarding?.();
        ["hk-a", "hk-b"].forEach(downHost);
        engine?.remove();
    });

    it("1. a host offering another key is refused in preview (by the probe, with drift detection too) and in up (by the command plugin); nothing reaches it", () => {
        const expected = escape(`root@${a.host}:22 offered host key ${fingerprint(a.hostKey)}, but ${fingerprint(b.hostKey)} is pinned (hostKey)`);
        point(a, { hostKey: b.hostKey }, { detectDrift: true });
        const preview = pulumi("preview");
        assert.notEqual(preview.status, 0, preview.out);
        assert.match(preview.out, new RegExp(expected));
        point(a, { hostKey: b.hostKey });
        // `up` opens no SSH session of its own (no drift detection here): the first step's handshake in the
        // command plugin refuses the machine, in the plugin's words, after its dial retries.
        const up = pulumi("up", "--yes", "--skip-preview");
        assert.notEqual(up.status, 0, up.out);
        assert.doesNotMatch(up.out, new RegExp(expected));
        assert.match(up.out, /mv-scripts[\s\S]*host key mismatch/);
        if (commandPlugin === "standin") {
            assert.match(up.out, new RegExp(escape(`host key mismatch: ${a.host}:22 offered ssh-ed25519 key ${fingerprint(a.hostKey)}, but hostKey pins ${fingerprint(b.hostKey)}; refusing to connect`)));
        }
        assert.equal(sh(a, "test -e .docker-host && echo present || echo absent").trim(), "absent"); // not even the upload
        unconfigured(a);
    });

    it("2. with the right key, up configures the host and the preview has no warning", () => {
        point(a);
        assert.doesNotMatch(ok("preview"), /warning/i);
        ok("up", "--yes", "--skip-preview");
        configured(a);
    });

    it("3. moving the entry to another machine replaces every step: it gets the scripts, the old one its own configuration back", () => {
        point(b);
        const preview = ok("preview", "--diff");
        assert.match(preview, replaced("CopyToRemote", "mv-scripts"));
        assert.match(preview, replaced("Command", "mv-apply"));
        assert.match(preview, new RegExp(escape(`"root@${a.host}:22" => "root@${b.host}:22"`)));
        ok("up", "--yes", "--skip-preview");
        assert.equal(sh(b, "test -f /root/.docker-host/*/scripts/run.sh && echo yes").trim(), "yes");
        configured(b);
        unconfigured(a);
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");
    });

    it("4. moving to another user replaces the steps too; the scripts land in that user's home", () => {
        point(b, { user: "deploy" });
        ok("up", "--yes", "--skip-preview");
        assert.equal(sh(b, "test -f /home/deploy/.docker-host/*/scripts/run.sh && echo yes").trim(), "yes");
        configured(b);
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");
    });

    it("5. through a bastion with its own pinned key; a wrong bastion key is refused and nothing changes", () => {
        // The target's key file also opens the bastion (the bastion's key defaults to the target's).
        sh(a, `echo '${sh(b, "cat /root/.ssh/authorized_keys").trim()}' >> /root/.ssh/authorized_keys`);
        point(b, { bastion: { host: a.host, hostKey: a.hostKey } });
        ok("up", "--yes", "--skip-preview");
        configured(b);
        const identity = dockerdIdentity(b);
        const daemonJson = remoteSha(b, "/etc/docker/daemon.json");
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");

        point(b, { bastion: { host: a.host, hostKey: b.hostKey } });
        const preview = pulumi("preview");
        assert.notEqual(preview.status, 0, preview.out);
        assert.match(preview.out, new RegExp(escape(`bastion root@${a.host}:22 offered host key ${fingerprint(a.hostKey)}, but ${fingerprint(b.hostKey)} is pinned`)));
        assert.notEqual(pulumi("up", "--yes", "--skip-preview").status, 0);
        assert.equal(dockerdIdentity(b), identity);
        assert.equal(remoteSha(b, "/etc/docker/daemon.json"), daemonJson);
    });

    it("6. destroy gives the host its original configuration back", () => {
        point(b, { bastion: { host: a.host, hostKey: a.hostKey } });
        ok("destroy", "--yes", "--skip-preview");
        unconfigured(b);
        unconfigured(a);
        ok("stack", "rm", "--yes");
    });
});
