// Issue 9 through the real engine: the command plugin is killed (SIGKILL) while a data-root copy runs. The
// transaction on the host runs on to the end on its own (Docker up on the disk, data intact), and the next
// `up` converges with nothing left to do.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { downHost, hostTestsSkipReason, SandboxHost, sh, upHost, waitFor, waitForTransactions } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, succeeded, writeStackConfig } from "./project";

const STACK = "interrupt";
const HOST = "int-1";

/** The PIDs of `name` processes that descend from `ancestor`. */
function descendants(ancestor: number, name: string): number[] {
    const all = readProcTable();
    const isDescendant = (pid: number): boolean => {
        for (let p = all.get(pid)?.ppid; p !== undefined && p > 1; p = all.get(p)?.ppid) if (p === ancestor) return true;
        return false;
    };
    return [...all.entries()].filter(([pid, p]) => p.comm.startsWith(name.slice(0, 15)) && isDescendant(pid)).map(([pid]) => pid);
}

function readProcTable(): Map<number, { ppid: number; comm: string }> {
    const table = new Map<number, { ppid: number; comm: string }>();
    for (const entry of readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
            const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            table.set(Number(entry), { ppid, comm });
        } catch {
            // The process ended meanwhile.
        }
    }
    return table;
}

describe("a command plugin killed mid-copy", { skip: hostTestsSkipReason() }, () => {
    let project: EngineProject;
    let host: SandboxHost;
    let bulk: string;
    const ok = (...args: string[]) => succeeded(project.run(...args, "--stack", STACK), args);

    before(() => {
        project = engineProject(PROGRAM_FILES);
        host = upHost(HOST, "--state", "docker-data");
        sh(host, "docker volume create bulk >/dev/null && docker run --rm -v bulk:/d sandbox/busybox:latest sh -c 'head -c 400000000 /dev/urandom >/d/bulk.bin'");
        bulk = sh(host, "sha256sum /var/lib/docker/volumes/bulk/_data/bulk.bin | cut -d' ' -f1").trim();
        ok("stack", "init", "--secrets-provider", "passphrase");
        writeStackConfig(project, STACK, [host]);
    });
    after(() => {
        downHost(HOST);
        project?.remove();
    });

    it("does not stop the transaction: Docker ends on the disk with the data, and the next up converges", async () => {
        const up = spawn("pulumi", ["up", "--yes", "--skip-preview", "--stack", STACK, "--non-interactive", "--color", "never"], {
            cwd: project.dir,
            env: project.env,
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        up.stdout.on("data", (d: Buffer) => (out += d.toString()));
        up.stderr.on("data", (d: Buffer) => (out += d.toString()));
        const ended = new Promise<number | null>((resolve) => up.on("close", resolve));
        let copying = false;
        await waitFor("the copy to start on the host", () => {
            copying ||= sh(host, "cat /var/lib/docker-host/jobs/apply.*/log 2>/dev/null || true").includes("copying /var/lib/docker to /data/docker");
            return copying;
        }, 300_000);
        const plugins = descendants(up.pid!, "pulumi-resource-command");
        assert.ok(plugins.length > 0, "no command plugin process under this pulumi up");
        plugins.forEach((pid) => process.kill(pid, "SIGKILL"));
        assert.notEqual(await ended, 0, `pulumi up should fail once its plugin is gone:\n${out}`);

        waitForTransactions(host);
        assert.equal(sh(host, "docker info --format '{{.DockerRootDir}}'").trim(), "/data/docker");
        assert.equal(sh(host, "sha256sum /data/docker/volumes/bulk/_data/bulk.bin | cut -d' ' -f1").trim(), bulk);
        assert.equal(sh(host, "docker inspect -f '{{.State.Running}}' keeper").trim(), "true");
        assert.equal(sh(host, "test -e /var/lib/docker-host/transaction && echo left || echo clean").trim(), "clean");

        // The operator's next step: clear what the engine could not record, and run again.
        ok("refresh", "--yes", "--clear-pending-creates");
        ok("up", "--yes", "--skip-preview");
        const summary = JSON.parse(ok("stack", "output", "summary", "--json")) as Record<string, { dockerRootDir: string; lastAction: string }>;
        assert.equal(summary[HOST]?.dockerRootDir, "/data/docker");
        assert.equal(summary[HOST]?.lastAction, "none");
    });
});
