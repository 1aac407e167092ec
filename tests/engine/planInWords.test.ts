// Issue 13, the plan in words through the real engine on three sandbox hosts: after one `up`, a no-op `up
// --skip-preview` opens no SSH connection from the program (the kernel's count of each host's accepted TCP
// connections), and a preview of a reload-class
// change on pl-1, a restart-class change on pl-2 and a data-root move onto a new data disk on pl-3 prints
// one line per host with its kind, its keys and, for the move, the bytes the host holds in the old root.
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { stringify } from "yaml";
import { MOVE_DOWNTIME_WORDS } from "../../components/dockerHost/planInWords";
import { acceptedConnections, downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, succeeded } from "./project";

const STACK = "plan";
const NAMES = ["pl-1", "pl-2", "pl-3"] as const;
/** Bytes written into pl-3's old root before the preview: what the move must copy, at the least. */
const DATA_BYTES = 64 * 1024 * 1024;

/** Each host's own settings in the stack (every host pinned; a data disk only where given). */
type HostEntry = { daemon?: object; dataDisk?: object };

describe("the plan in words through the real engine", { skip: hostTestsSkipReason() }, () => {
    let engine: EngineProject;
    let hosts: SandboxHost[];
    const pulumi = (...args: string[]) => engine.run(...args, "--stack", STACK);
    const ok = (...args: string[]) => succeeded(pulumi(...args), args);
    /** The stack file with one entry per host (project.ts's writer gives every host the same data disk). */
    const writeStack = (entries: readonly HostEntry[]) => {
        const file = join(engine.dir, `Pulumi.${STACK}.yaml`);
        const config = {
            config: {
                "docker-host:rollout": { batchSize: NAMES.length },
                "docker-host:detectDrift": false,
                "docker-host:hosts": hosts.map((h, i) => ({ name: h.name, host: h.host, privateKeyPath: h.privateKeyPath, hostKey: h.hostKey, ...entries[i] })),
            },
        };
        writeFileSync(file, stringify(config));
    };
    /** The plan line of a host in a preview's Diagnostics (exactly one; the progress view repeats it above). */
    const planLine = (out: string, name: string) => {
        const diagnostics = out.indexOf("\nDiagnostics:");
        assert.ok(diagnostics >= 0, `no Diagnostics in:\n${out}`);
        const lines = out.slice(diagnostics).split("\n").filter((l) => l.includes(`plan: ${name}: `));
        assert.equal(lines.length, 1, `want one plan line for ${name} in:\n${out}`);
        return lines[0]!.slice(lines[0]!.indexOf("plan: "));
    };

    before(() => {
        hosts = NAMES.map((name) => upHost(name));
        engine = engineProject(PROGRAM_FILES);
        ok("stack", "init", "--secrets-provider", "passphrase");
        writeStack([{}, {}, {}]);
        ok("up", "--yes", "--skip-preview");
    });
    after(() => {
        NAMES.forEach((name) => downHost(name));
        engine?.remove();
    });

    it("a no-op up --skip-preview opens no SSH connection to any host", () => {
        // sshd is each host's only TCP listener here (no Docker TCP socket), and counting opens no session.
        const before = hosts.map(acceptedConnections);
        ok("up", "--yes", "--skip-preview", "--expect-no-changes");
        assert.deepEqual(hosts.map(acceptedConnections), before);
        // The count is real: a preview probes each host once, on one connection.
        ok("preview", "--expect-no-changes");
        assert.deepEqual(hosts.map(acceptedConnections), before.map((n) => n + 1));
    });

    it("a preview of an unchanged stack says nothing to change, per host", () => {
        const out = ok("preview");
        for (const name of NAMES) assert.equal(planLine(out, name), `plan: ${name}: nothing to change`);
    });

    it("a reload, a restart and a data-root move each print their line for the right host, the move with the bytes it copies", () => {
        const pl3 = hosts[2]!;
        sh(pl3, `docker volume create plan-data >/dev/null && head -c ${DATA_BYTES} /dev/urandom > /var/lib/docker/volumes/plan-data/_data/blob && sync`);
        writeStack([{ daemon: { registryMirrors: ["https://mirror.example.com"] } }, { daemon: { logMaxSize: "20m" } }, { dataDisk: { device: "/dev/vdb" } }]);
        const out = ok("preview");
        const held = Number(sh(pl3, "du -sx --block-size=1 /var/lib/docker | cut -f1").trim());

        assert.equal(planLine(out, "pl-1"), "plan: pl-1: reload (registry-mirrors)");
        assert.equal(planLine(out, "pl-2"), "plan: pl-2: restart (log-opts; containers keep running: live-restore is on)");
        const move = planLine(out, "pl-3");
        const m = new RegExp(
            "^plan: pl-3: format /dev/vdb as xfs, mount at /data; move data-root /var/lib/docker → /data/docker, (\\d+) bytes \\(([0-9.]+ [KMG]iB)\\) to copy, measured now; " +
                `${MOVE_DOWNTIME_WORDS.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}; restart \\(data-root, drop-in 20-docker-host-data-disk\\.conf\\)$`,
        ).exec(move);
        assert.ok(m, `unexpected line: ${move}`);
        const measured = Number(m[1]);
        // The preview's du and this one count the same tree with the same measure, seconds apart; an idle
        // dockerd writes at most a few small files in between (its engine-id, a log, a lock: well under 1 MiB).
        assert.ok(measured >= DATA_BYTES, `the preview measured ${measured} bytes, less than the ${DATA_BYTES} written`);
        assert.ok(Math.abs(measured - held) <= 1024 * 1024, `the preview measured ${measured} bytes, the host holds ${held}`);
        // Nothing changed on any host: the preview only read.
        assert.equal(sh(pl3, "findmnt -rn --mountpoint /data >/dev/null && echo mounted || echo not-mounted").trim(), "not-mounted");
        assert.equal(sh(pl3, "blkid -p -o value -s TYPE /dev/vdb || true").trim(), "");
    });
});
