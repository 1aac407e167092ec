// Host-test harness: boots sandbox hosts and runs the component's real steps on them over real SSH —
// the same command strings and stdin the DockerHost component hands to remote.Command, in the same
// order (create in plan order, delete in reverse), so what passes here is what `pulumi up` runs.
import assert from "node:assert/strict";
import { ChildProcess, spawn, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DockerHostConfig, HostSettings, Resolved, SshConnection } from "../../components/dockerHost/args";
import { daemonConfig } from "../../components/dockerHost/daemonJson";
import { readLiveState } from "../../components/dockerHost/drift";
import { parseApplyResult, ApplyResult } from "../../components/dockerHost/facts";
import { desiredHost, planInWords, planTarget } from "../../components/dockerHost/planInWords";
import { remoteUploadParent, SCRIPTS_DIR } from "../../components/dockerHost/remoteCommand";
import { PlanExtras, planConfig, RemoteStep } from "../../components/dockerHost/steps";
import { tlsParamLines } from "../../components/dockerHost/tlsMaterial";
import { validateDockerHostConfig } from "../../components/dockerHost/validate";

const SANDBOX = join(__dirname, "../../sandbox/sandbox");

/** What `sandbox up` prints. */
export interface SandboxHost {
    readonly name: string;
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly privateKeyPath: string;
    /** sshd's ed25519 host key ("ssh-ed25519 AAAA…"), new with every boot. */
    readonly hostKey: string;
    readonly disk: string | null;
    /** The Docker Engine release of the host's image (`sandbox up --engine`), e.g. "20.10". */
    readonly engine: string;
}

/**
 * The Docker Engine every host of this test process boots with: DOCKER_HOST_TEST_ENGINE (scripts/test.sh runs
 * the host tests once more on each other Engine), else the sandbox's default (the first its recipe lists).
 */
export const TEST_ENGINE: string =
    process.env.DOCKER_HOST_TEST_ENGINE || spawnSync(join(__dirname, "../../sandbox/build-rootfs.sh"), ["--engines"], { encoding: "utf8" }).stdout.split("\n")[0]!;

/** a < b for Engine releases, major.minor[.patch] (a part left out is 0). */
export function olderRelease(a: string, b: string): boolean {
    const [x, y] = [a, b].map((v) => v.split(".").map(Number));
    for (let i = 0; i < 3; i++) if ((x![i] ?? 0) !== (y![i] ?? 0)) return (x![i] ?? 0) < (y![i] ?? 0);
    return false;
}

/** The versions a dockerd of the sandbox Engine ENGINE (major.minor) reports: that release and a patch of it. */
export function releasesOf(engine: string): RegExp {
    return new RegExp(`^${engine.replace(".", "\\.")}\\.\\d+$`);
}

/** Whether the test hosts' dockerd has `--validate` (Engine 23 on): the scripts then ask it before a change. */
export const DOCKERD_VALIDATES = Number(TEST_ENGINE.split(".")[0]) >= 23;

export interface Run {
    readonly status: number | null;
    readonly stdout: string;
    readonly stderr: string;
}

/** Whether host tests can run here: root, and the sandbox tool's prerequisites. */
export function hostTestsSkipReason(): string | undefined {
    if (process.getuid?.() !== 0) return "host tests need root (systemd-nspawn, loop devices, network namespaces)";
    if (spawnSync("which", ["systemd-nspawn"]).status !== 0) return "systemd-nspawn is missing (scripts/setup.sh installs it)";
    return undefined;
}

export function sandbox(...args: string[]): Run {
    const res = spawnSync(SANDBOX, args, { encoding: "utf8", timeout: 15 * 60_000 });
    return { status: res.status, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
}

/** Boots a fresh sandbox host (tearing down a leftover of the same name first). */
export function upHost(name: string, ...options: string[]): SandboxHost {
    sandbox("down", name);
    const res = sandbox("up", name, "--engine", TEST_ENGINE, ...options);
    assert.equal(res.status, 0, `sandbox up ${name} failed:\n${res.stderr}`);
    return JSON.parse(res.stdout.trim().split("\n").pop()!) as SandboxHost;
}

export function downHost(name: string): void {
    const res = sandbox("down", name);
    assert.equal(res.status, 0, `sandbox down ${name} failed:\n${res.stderr}`);
}

/** Runs a command on the host over SSH as `user`, feeding `input` on stdin — like remote.Command does (or a
 *  file's bytes). */
export function ssh(host: SandboxHost, command: string, options: { user?: string; input?: string | Buffer; timeoutMs?: number } = {}): Run {
    const res = spawnSync(
        "ssh",
        [...sshOptions(host), `${options.user ?? host.user}@${host.host}`, command],
        { input: options.input ?? "", encoding: "utf8", timeout: options.timeoutMs ?? 10 * 60_000 },
    );
    return { status: res.status, stdout: res.stdout ?? "", stderr: res.stderr ?? "" };
}

/** A command started over SSH in the background: its stderr so far, and its end. */
export interface AsyncRun {
    readonly child: ChildProcess;
    stderr(): string;
    readonly done: Promise<Run>;
}

/** Like ssh(), but returns at once; the test can watch stderr, kill the session, or await the end. */
export function sshAsync(host: SandboxHost, command: string, options: { user?: string; input?: string } = {}): AsyncRun {
    const child = spawn("ssh", [...sshOptions(host), `${options.user ?? host.user}@${host.host}`, command], { stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin!.end(options.input ?? "");
    const done = new Promise<Run>((resolve) => child.on("close", (status) => resolve({ status, stdout, stderr })));
    return { child, stderr: () => stderr, done };
}

/** Resolves once `predicate` holds (polled every 50 ms); rejects after `timeoutMs`. */
export async function waitFor(what: string, predicate: () => boolean, timeoutMs = 120_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 50));
    }
}

/** Waits (bounded) until no docker-host transaction unit is running on the host. */
export function waitForTransactions(host: SandboxHost): void {
    sh(host, "for i in $(seq 1 600); do [ -z \"$(systemctl list-units --no-legend --state=active,activating,deactivating 'docker-host-txn-*')\" ] && exit 0; sleep 0.2; done; systemctl list-units 'docker-host-txn-*'; exit 1");
}

function sshOptions(host: SandboxHost): string[] {
    return [
        "-i", host.privateKeyPath,
        "-p", String(host.port),
        "-o", "StrictHostKeyChecking=no",
        "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR",
        "-o", "BatchMode=yes",
        "-o", "ConnectTimeout=10",
    ];
}

/** Runs a shell command as root on the host and returns its stdout; fails the test on a non-zero exit. */
export function sh(host: SandboxHost, command: string): string {
    const res = ssh(host, command, { user: "root" });
    assert.equal(res.status, 0, `on ${host.name}: ${command}\n${res.stderr}`);
    return res.stdout;
}

/** A DockerHost configuration for a sandbox host (the connection is the sandbox's). */
export function configFor(host: SandboxHost, rest: HostSettings & Pick<DockerHostConfig, "tlsCertificates"> = {}, user?: string): DockerHostConfig {
    const connection: Resolved<SshConnection> = {
        host: host.host,
        port: host.port,
        user: user ?? host.user,
        privateKey: readFileSync(host.privateKeyPath, "utf8"),
    };
    return validateDockerHostConfig(host.name, { ...rest, connection });
}

/** A step as its remote.Command gets it: the stdin for the tls step is the TLS material (never in the plan). */
export type HostStep = RemoteStep & { readonly stdin: string };

/** The steps DockerHost runs for a configuration, with the stdin each remote.Command gets. */
export function hostSteps(config: DockerHostConfig, extras?: PlanExtras): HostStep[] {
    return planConfig(config, extras).map((step) => ({ ...step, stdin: step.stdin ?? tlsParamLines(config.tlsCertificates!) }));
}

export interface StepRun extends Run {
    readonly step: HostStep;
}

/** Uploads the step scripts to ~/.docker-host/<digest>/scripts as `user`, like the component's CopyToRemote. */
export function uploadScripts(host: SandboxHost, user: string): void {
    const tar = spawnSync("tar", ["-C", join(SCRIPTS_DIR, ".."), "-c", "scripts"]);
    assert.equal(tar.status, 0);
    const res = spawnSync(
        "ssh",
        [...sshOptions(host), `${user}@${host.host}`, `mkdir -p ${remoteUploadParent()} && tar -x -C ${remoteUploadParent()}`],
        { input: tar.stdout },
    );
    assert.equal(res.status, 0, `uploading the scripts to ${host.name} failed: ${String(res.stderr)}`);
}

const VOLUME_PLUGIN_DIR = join(__dirname, "volume-plugin");
/** The test volume plugin's name on a host (installVolumePlugin). */
export const VOLUME_PLUGIN = "docker-host-test/tmpfs:1";
let volumePluginBinary: string | undefined;

/**
 * Creates and enables the test volume plugin (tests/host/volume-plugin: each volume a tmpfs it mounts in its
 * propagated mount, as NFS or sshfs plugins mount remote storage) on the host, as VOLUME_PLUGIN; built here
 * with Go once per process. exitDelaySeconds: how long it keeps serving after SIGTERM (config.json's
 * EXIT_DELAY; default 0). Returns the plugin's ID (its folder under <data-root>/plugins).
 */
export function installVolumePlugin(host: SandboxHost, exitDelaySeconds = 0): string {
    if (!volumePluginBinary) {
        const dir = mkdtempSync(join(tmpdir(), "docker-host-volume-plugin-"));
        process.on("exit", () => rmSync(dir, { recursive: true, force: true }));
        const out = join(dir, "plugin");
        const build = spawnSync("go", ["build", "-o", out, "."], { cwd: VOLUME_PLUGIN_DIR, env: { ...process.env, CGO_ENABLED: "0" }, encoding: "utf8" });
        assert.equal(build.status, 0, `building the test volume plugin failed:\n${build.stderr}`);
        volumePluginBinary = out;
    }
    const staging = mkdtempSync(join(tmpdir(), "docker-host-volume-plugin-"));
    try {
        for (const dir of ["rootfs/mnt/volumes", "rootfs/run/docker/plugins"]) mkdirSync(join(staging, dir), { recursive: true });
        copyFileSync(join(VOLUME_PLUGIN_DIR, "config.json"), join(staging, "config.json"));
        copyFileSync(volumePluginBinary, join(staging, "rootfs/plugin"));
        const tar = spawnSync("tar", ["-C", staging, "-c", "."], { maxBuffer: 64 * 2 ** 20 });
        assert.equal(tar.status, 0, String(tar.error ?? tar.stderr));
        const res = spawnSync(
            "ssh",
            [...sshOptions(host), `root@${host.host}`, `set -e; d=$(mktemp -d); tar -x -C "$d"; docker plugin create ${VOLUME_PLUGIN} "$d" >/dev/null; rm -rf "$d"; docker plugin set ${VOLUME_PLUGIN} EXIT_DELAY=${exitDelaySeconds}; docker plugin enable ${VOLUME_PLUGIN} >/dev/null; docker plugin inspect -f '{{.Id}}' ${VOLUME_PLUGIN}`],
            { input: tar.stdout, encoding: "utf8" },
        );
        assert.equal(res.status, 0, `installing the test volume plugin on ${host.name} failed: ${res.stderr}`);
        return res.stdout.trim();
    } finally {
        rmSync(staging, { recursive: true, force: true });
    }
}

/** Runs every step of the plan in order, like `pulumi up` on a fresh stack; stops at the first failure. */
export function applySteps(host: SandboxHost, config: DockerHostConfig): { runs: StepRun[]; result?: ApplyResult } {
    uploadScripts(host, config.connection.user ?? "root");
    const runs: StepRun[] = [];
    for (const step of hostSteps(config)) {
        const run = ssh(host, step.create, { user: config.connection.user, input: step.stdin });
        runs.push({ ...run, step });
        if (run.status !== 0) return { runs };
    }
    return { runs, result: parseApplyResult(runs.find((r) => r.step.name === "apply")!.stdout) };
}

/** applySteps, asserting that every step succeeded. */
export function apply(host: SandboxHost, config: DockerHostConfig): ApplyResult {
    const { runs, result } = applySteps(host, config);
    const failed = runs.find((r) => r.status !== 0);
    assert.equal(failed, undefined, `step ${failed?.step.name} failed on ${host.name}:\n${failed?.stderr}`);
    return result!;
}

/** Runs the delete commands in reverse order, like `pulumi destroy`. */
export function destroySteps(host: SandboxHost, config: DockerHostConfig): StepRun[] {
    const runs: StepRun[] = [];
    for (const step of [...hostSteps(config)].reverse()) {
        if (!step.delete) continue;
        const run = ssh(host, step.delete, { user: config.connection.user, input: step.stdin });
        runs.push({ ...run, step });
        assert.equal(run.status, 0, `delete of ${step.name} failed on ${host.name}:\n${run.stderr}`);
    }
    return runs;
}

/** Runs one step's delete command, as Pulumi does when a setting (and so its step) is removed. */
export function deleteStep(host: SandboxHost, config: DockerHostConfig, name: RemoteStep["name"]): Run {
    const step = hostSteps(config).find((s) => s.name === name);
    assert.ok(step?.delete, `no delete for step ${name}`);
    return ssh(host, step.delete, { user: config.connection.user, input: step.stdin });
}

/** sha256 of a file on the host ("absent" when it does not exist). */
export function remoteSha(host: SandboxHost, path: string): string {
    return sh(host, `if [ -e '${path}' ]; then sha256sum '${path}' | cut -d' ' -f1; else echo absent; fi`).trim();
}

/** One digest over a directory tree's names and contents on the host ("absent" when missing). */
export function remoteTreeSha(host: SandboxHost, dir: string): string {
    return sh(host, `if [ -d '${dir}' ]; then cd '${dir}' && find . -type f -print0 | sort -z | xargs -0r sha256sum | sha256sum | cut -d' ' -f1; else echo absent; fi`).trim();
}

/** The preview's plan line for the host and settings (its probe over SSH, as DockerHost runs it). */
export async function planLine(host: SandboxHost, settings: HostSettings): Promise<string> {
    const desired = desiredHost(settings, daemonConfig(settings));
    const live = await readLiveState(configFor(host, settings).connection, { target: planTarget(desired) });
    return planInWords(host.name, live, desired).message;
}

/** dockerd's main PID and its start time (changes on every restart, even if a PID is reused). */
export function dockerdIdentity(host: SandboxHost): string {
    return sh(host, "pid=$(systemctl show -p MainPID --value docker.service); echo \"$pid $(cut -d' ' -f22 /proc/$pid/stat)\"").trim();
}

export function sha256(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

// Host-to-host traffic (a bastion, a registry cache) is routed through this machine, between our own
// namespaces only: it needs ip_forward, which is this machine's setting. Test files run in parallel, so
// a count of users (one file per process, under a lock) turns it on for the first and restores the
// original value after the last.
const FORWARD_STATE = "/run/docker-host-test-forward";
const FORWARD_SCRIPT = `set -eu
state=$1 action=$2 me=$3
mkdir -p "$state/users"
for f in "$state"/users/*; do [ -e "$f" ] && ! kill -0 "\${f##*/}" 2>/dev/null && rm -f "$f"; done
if [ "$action" = on ]; then
  [ -e "$state/original" ] || cat /proc/sys/net/ipv4/ip_forward >"$state/original"
  : >"$state/users/$me"
  echo 1 >/proc/sys/net/ipv4/ip_forward
else
  rm -f "$state/users/$me"
  if [ -z "$(ls -A "$state/users")" ]; then cat "$state/original" >/proc/sys/net/ipv4/ip_forward; rm -rf "$state"; fi
fi`;

/**
 * TCP connections the host has accepted since it booted (Tcp PassiveOpens of its network namespace), read
 * from this machine with `ip netns exec`: no SSH session, so reading does not change the count. Where sshd is the
 * host's only TCP listener (no Docker TCP socket configured), the difference across a run is the number of
 * SSH connections the run opened, bare host-key handshakes included. Exact and synchronous, unlike a count of
 * sshd's log lines, which journald may not have written yet when they are read.
 */
export function acceptedConnections(host: { name: string }): number {
    // The sandbox names the namespace dhs-<host name> (sandbox/sandbox: netns_name).
    const res = spawnSync("ip", ["netns", "exec", `dhs-${host.name}`, "cat", "/proc/net/snmp"], { encoding: "utf8" });
    if (res.status !== 0) throw new Error(`reading the TCP counters of ${host.name} (netns dhs-${host.name}) failed: ${res.stderr}`);
    const [header, values] = res.stdout.split("\n").filter((l) => l.startsWith("Tcp:"));
    const index = header?.split(/\s+/).indexOf("PassiveOpens") ?? -1;
    const value = Number(values?.split(/\s+/)[index]);
    if (index < 0 || !Number.isFinite(value)) throw new Error(`no Tcp PassiveOpens counter in ${host.name}'s /proc/net/snmp`);
    return value;
}

/** Lets sandbox hosts reach each other until the returned function is called. */
export function allowHostToHostTraffic(): () => void {
    const run = (action: "on" | "off") => {
        const res = spawnSync("flock", [`${FORWARD_STATE}.lock`, "sh", "-c", FORWARD_SCRIPT, "sh", FORWARD_STATE, action, String(process.pid)], { encoding: "utf8" });
        assert.equal(res.status, 0, `ip_forward ${action}: ${res.stderr}`);
    };
    run("on");
    return () => run("off");
}
