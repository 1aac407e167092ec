// Issue 5, drift detection through the real engine: a hand-edited key is named in the preview, `up`
// restores it, and a clean host reports no drift.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { downHost, hostTestsSkipReason, SandboxHost, sh, upHost } from "../host/harness";
import { EngineProject, engineProject, PROGRAM_FILES, succeeded, writeStackConfig } from "./project";

const STACK = "drift";

describe("drift detection through the real engine", { skip: hostTestsSkipReason() }, () => {
    let project: EngineProject;
    let hosts: SandboxHost[];
    const ok = (...args: string[]) => succeeded(project.run(...args, "--stack", STACK), args);
    const desired = renderDaemonJson({ dataDisk: { device: "/dev/vdb" } });

    before(() => {
        project = engineProject(PROGRAM_FILES);
        hosts = ["drift-1", "drift-2"].map((name) => upHost(name));
        ok("stack", "init", "--secrets-provider", "passphrase");
        writeStackConfig(project, STACK, hosts, { detectDrift: true });
        ok("up", "--yes", "--skip-preview");
    });
    after(() => {
        ["drift-1", "drift-2"].forEach(downHost);
        project?.remove();
    });

    it("a clean host reports no drift", () => {
        const preview = ok("preview", "--diff", "--expect-no-changes");
        assert.doesNotMatch(preview, /changed outside Pulumi|drift check/);
    });

    it("a hand-edited key is named in the preview, for that host only", () => {
        sh(hosts[0]!, `sed -i 's/"max-file": "3"/"max-file": "9"/' /etc/docker/daemon.json`);
        const preview = ok("preview", "--diff");
        assert.match(preview, /daemon\.json on drift-1: log-opts \{"max-file":"3","max-size":"10m"\} → \{"max-file":"9","max-size":"10m"\}, changed outside Pulumi; the next up restores it/);
        assert.doesNotMatch(preview, /on drift-2/);
        assert.match(preview, /repair=[0-9a-f]{12}/);
    });

    it("up restores the stack's daemon.json; afterwards nothing is left to do", () => {
        ok("up", "--yes", "--skip-preview");
        assert.equal(sh(hosts[0]!, "cat /etc/docker/daemon.json"), desired);
        ok("up", "--yes", "--skip-preview"); // drops the repair token: one apply run that finds nothing to do
        const preview = ok("preview", "--diff", "--expect-no-changes");
        assert.doesNotMatch(preview, /changed outside Pulumi/);
    });
});
