// Issue 13, rollout strategies through the real engine on three sandbox hosts: a [1, "50%"] rollout applies
// host 1 alone first (proven from the hosts' own journals: every sandbox host shares this machine's clock); a
// host that fails for real (dockerd refuses a setting) with a failure budget of 0 stops the rollout with the
// later hosts untouched; with a budget of 1 the rollout goes on and the failure is reported. Every run passes
// --continue-on-error, as npm start does, so it is the budget, not the engine, that stops a rollout.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { dockerdIdentity, downHost, hostTestsSkipReason, remoteSha, SandboxHost, sh, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, writeStackConfig } from "./project";

const HOSTS = ["ro-1", "ro-2", "ro-3"] as const;
const STACK = "ro";

/** A docker-host transaction (txn.sh runs each changing step as a transient unit), from the host's journal. */
interface Transaction {
    readonly step: string;
    /** Seconds since the epoch: systemd starting the unit, and the unit gone (succeeded or failed). */
    readonly start: number;
    readonly end?: number;
}

function transactions(host: SandboxHost): Transaction[] {
    // --sync first: journald writes what systemd logged asynchronously.
    const lines = sh(host, "journalctl --sync && journalctl -o short-unix --no-pager -u 'docker-host-txn-*'").split("\n");
    const byUnit = new Map<string, { step: string; start: number; end?: number }>();
    for (const line of lines) {
        const started = /^(\d+\.\d+) \S+ systemd\[1\]: Starting (docker-host-txn-([a-z-]+?)-[A-Za-z0-9]+)\.service/.exec(line);
        if (started) byUnit.set(started[2]!, { step: started[3]!, start: Number(started[1]) });
        const ended = /^(\d+\.\d+) \S+ systemd\[1\]: (docker-host-txn-[A-Za-z0-9-]+)\.service: (?:Deactivated successfully|Failed with result)/.exec(line);
        const txn = ended && byUnit.get(ended[2]!);
        if (ended && txn) txn.end = Number(ended[1]);
    }
    return [...byUnit.values()];
}

/** What a failed run must not print: a stack trace or the SDK's unhandled-exception report. */
function assertNoStackTrace(out: string): void {
    assert.doesNotMatch(out, /unhandled exception|^\s+at .+:\d+:\d+\)?$/m, `a stack trace in pulumi's output:\n${out}`);
}

describe("rollout strategies through the real engine", { skip: hostTestsSkipReason() }, () => {
    let project: EngineProject;
    let hosts: SandboxHost[];
    const up = () => project.run("up", "--yes", "--skip-preview", "--continue-on-error", "--stack", STACK);
    /** The stack with every host's daemon settings, ro-1 with `ro1Daemon` on top. */
    const configure = (failureBudget: number, daemon: object, ro1Daemon?: object) =>
        writeStackConfig(
            project,
            STACK,
            hosts.map((h, i) => (i === 0 && ro1Daemon ? { ...h, daemon: ro1Daemon } : h)),
            { rollout: { batches: [1, "50%"], failureBudget }, daemon },
        );
    const hostState = (h: SandboxHost) => ({ daemonJson: remoteSha(h, "/etc/docker/daemon.json"), dockerd: dockerdIdentity(h) });

    before(() => {
        project = engineProject(PROGRAM_FILES);
        hosts = HOSTS.map((name) => upHost(name));
        const init = project.run("stack", "init", "--secrets-provider", "passphrase", "--stack", STACK);
        assert.equal(init.status, 0, init.out);
    });
    after(() => {
        HOSTS.forEach(downHost);
        project?.remove();
    });

    it('a [1, "50%"] rollout on 3 hosts applies host 1 alone first, then one host at a time', () => {
        configure(0, {});
        const res = up();
        assert.equal(res.status, 0, res.out);
        const [first, second, third] = hosts.map(transactions);
        const applyOf = (txns: Transaction[], name: string) => {
            const applies = txns!.filter((t) => t.step === "apply");
            assert.equal(applies.length, 1, `${name}: one apply transaction expected, journal has ${JSON.stringify(txns)}`);
            return applies[0]!;
        };
        const firstApply = applyOf(first!, "ro-1");
        assert.ok(firstApply.end, "ro-1's apply never ended");
        // Not only the applies: no transaction of a later host (its data disk first) started before ro-1 verified.
        for (const [name, txns] of [["ro-2", second!], ["ro-3", third!]] as const) {
            applyOf(txns, name);
            const earliest = Math.min(...txns.map((t) => t.start));
            assert.ok(earliest > firstApply.end, `${name} started a transaction at ${earliest}, before ro-1's apply ended at ${firstApply.end}`);
        }
        // "50%" of 3 hosts is 1 host: ro-3 waited for ro-2 as well.
        const secondApply = applyOf(second!, "ro-2");
        assert.ok(Math.min(...third!.map((t) => t.start)) > secondApply.end!, "ro-3 started before ro-2's apply ended");
        for (const h of hosts) assert.equal(sh(h, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
    });

    it("a host that fails with a failure budget of 0 stops the rollout: the later hosts are untouched", () => {
        const before = hosts.map(hostState);
        const journalBefore = hosts.map((h) => transactions(h).length);
        // dockerd refuses this log level (at start, or by --validate from Engine 23); docker-host's own validation lets it through (it is a string).
        configure(0, { logMaxSize: "20m" }, { extra: { "log-level": "verbose" } });
        const res = up();
        assert.notEqual(res.status, 0, res.out);
        assert.match(res.out, /logging level: verbose/); // 20.10: "unable to parse …", 26 on: "invalid …" (dockerd --validate)
        assert.match(res.out, /rollout: ro-1 failed \(1 failed host against a failure budget of 0\); the rollout stops here\./);
        assert.match(
            res.out,
            /the rollout stopped: 1 host failed \(ro-1\), more than docker-host:rollout\.failureBudget \(0\) allows; not started, left as they were: ro-2, ro-3\./,
        );
        assertNoStackTrace(res.out);
        // ro-1 rolled back to its files; ro-2 and ro-3 ran nothing at all.
        assert.deepEqual(hosts.map(hostState).map((s) => s.daemonJson), before.map((s) => s.daemonJson));
        assert.deepEqual(hostState(hosts[1]!), before[1]);
        assert.deepEqual(hostState(hosts[2]!), before[2]);
        assert.deepEqual(hosts.slice(1).map((h) => transactions(h).length), journalBefore.slice(1));
        assert.equal(sh(hosts[0]!, "systemctl is-active docker").trim(), "active");
    });

    it("with a failure budget of 1 the rollout goes on past the failed host, and the failure is reported", () => {
        const before = hosts.map(hostState);
        configure(1, { logMaxSize: "20m" }, { extra: { "log-level": "verbose" } });
        const res = up();
        assert.notEqual(res.status, 0, `a failed host must fail the run:\n${res.out}`);
        assert.match(res.out, /rollout: ro-1 failed \(1 failed host against a failure budget of 1\); the rollout goes on\./);
        assert.match(res.out, /logging level: verbose/); // 20.10: "unable to parse …", 26 on: "invalid …" (dockerd --validate)
        assert.doesNotMatch(res.out, /the rollout stopped/);
        assertNoStackTrace(res.out);
        assert.equal(hostState(hosts[0]!).daemonJson, before[0]!.daemonJson, "ro-1 kept its previous daemon.json");
        for (const [i, h] of hosts.entries()) {
            if (i === 0) continue;
            assert.match(sh(h, "cat /etc/docker/daemon.json"), /"max-size": "20m"/, `${h.name} did not get the change`);
            assert.notEqual(dockerdIdentity(h), before[i]!.dockerd, `${h.name}: dockerd was not restarted`);
        }
    });
});
