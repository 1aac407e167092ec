// The DockerHost component: validated settings → ordered remote steps (scripts → gate → data-disk → tls →
// apply → prune). Reads like a table of contents; each step's host logic lives in a script under scripts/
// (run through run.sh), its plan in steps.ts, the SSH checks the program makes itself in ssh.ts.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DockerHostArgs, DockerHostConfig, SshConnection, TlsCertificates } from "./args";
import { effectiveDaemonSettings, renderDaemonJson } from "./daemonJson";
import { describeDrift, readLiveState } from "./drift";
import { DockerFacts, parseApplyResult, renderDropInsText } from "./facts";
import { parseHostKey } from "./hostKey";
import { opensshOptions } from "./opensshOptions";
import { remoteUploadParent, SCRIPTS_DIR } from "./remoteCommand";
import { endpointOf, HostKeyMismatchError, verifyHostKeys } from "./ssh";
import { ownerToken, planSteps, RemoteStep, StepName } from "./steps";
import { tlsDigest, tlsMaterialIssues, tlsParamLines } from "./tlsMaterial";
import { DockerHostConfigError, findConfigIssues, hostAddressOf, PLACEHOLDER_HOST, validateDockerHostConfig } from "./validate";

/** The settings part of a host's configuration (everything but the connection). */
type HostSettings = Omit<DockerHostConfig, "connection">;

// Stands in for the connection while only the settings are validated (the connection is checked on its
// own, because its private key is secret and must not make the daemon.json preview secret too).
const PLACEHOLDER_CONNECTION: SshConnection = {
    host: PLACEHOLDER_HOST,
    privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n-----END OPENSSH PRIVATE KEY-----",
};

// Stands in for the TLS PEMs in the settings (they are secret; only whether TLS is on shapes daemon.json).
const PLACEHOLDER_TLS: TlsCertificates = {
    caCertPem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
    serverCertPem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----",
    serverKeyPem: "-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----",
};

/**
 * Makes a reachable Linux machine a well-configured Docker host over SSH: refuses a host on the wrong
 * storage driver, mounts a dedicated data disk, moves data-root without losing data, installs
 * daemon.json and the docker.service drop-in, reloads or restarts Docker with the least disruption,
 * verifies, and rolls back on failure.
 */
export class DockerHost extends pulumi.ComponentResource {
    /** The daemon.json installed on the host (exact bytes). */
    public readonly daemonJson: pulumi.Output<string>;
    /** The docker-host drop-ins for docker.service as installed on the host ("" when none). */
    public readonly dropIn: pulumi.Output<string>;
    /** What the last apply did: "none", "reload" or "restart". */
    public readonly lastAction: pulumi.Output<string>;
    /** Facts read from `docker info` after the apply. */
    public readonly facts: pulumi.Output<DockerFacts>;

    private readonly connection: pulumi.Output<SshConnection>;

    constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        // 1. Validate before anything is registered: synchronously when the values are known now, and again
        //    once Outputs resolve (every step's inputs derive from the validated values, so none runs on error).
        validateKnownNow(name, args);
        super("docker-host:index:DockerHost", name, {}, opts);

        const settings: pulumi.Output<HostSettings> = pulumi
            .output({
                dataDisk: args.dataDisk,
                daemon: args.daemon,
                allowInsecureTcp: args.allowInsecureTcp,
                dockerReadyTimeoutSeconds: args.dockerReadyTimeoutSeconds,
                lockTimeoutSeconds: args.lockTimeoutSeconds,
                prune: args.prune,
                detectDrift: args.detectDrift,
                tlsListenAddress: args.tlsListenAddress,
            })
            .apply((s) => {
                const tls = args.tlsCertificates === undefined ? {} : { tlsCertificates: PLACEHOLDER_TLS };
                const { connection: _, ...rest } = validateDockerHostConfig(name, { ...dropUndefined(s), ...tls, connection: PLACEHOLDER_CONNECTION });
                return rest;
            });
        this.connection = pulumi.output(args.connection).apply((c) => {
            const issues = findConfigIssues({ connection: dropUndefined(c) });
            if (issues.length > 0) throw new DockerHostConfigError(name, issues, hostAddressOf({ connection: c }));
            return c as SshConnection;
        });

        // The TLS PEMs stay secret; the plan sees placeholders, the tls step gets the real ones on stdin, and
        // their version (a digest, not secret) names the directory daemon.json points at. Material that would
        // not serve (a key of another certificate, a foreign CA, expired) is refused before any step runs.
        const certificates = pulumi.output(args.tlsCertificates).apply((c) => {
            if (c === undefined) return undefined;
            const issues = findConfigIssues({ connection: PLACEHOLDER_CONNECTION, tlsCertificates: c });
            if (issues.length === 0) issues.push(...tlsMaterialIssues(c as TlsCertificates));
            if (issues.length > 0) throw new DockerHostConfigError(name, issues);
            return c as TlsCertificates;
        });
        const certificatesDigest = pulumi.unsecret(certificates.apply((c) => (c ? tlsDigest(c) : undefined)));

        // 2. Pinned host keys are checked before anything else talks to the host (a wrong one fails preview
        //    and up with both fingerprints); an unpinned host is named once in the preview.
        const hostKeysOk = this.connection.apply((c) => this.checkHostKeys(name, c));

        // 3. Drift: when asked (and the host is who it should be), compare it with what was last applied,
        //    warn per key, and hand the apply step a repair token so `up` restores what was changed outside.
        const repairToken = pulumi.unsecret(
            pulumi
                .all([settings, this.connection, hostKeysOk])
                .apply(async ([s, c, ok]) => (s.detectDrift && ok ? this.checkDrift(name, s, c) : undefined)),
        );

        // 4. The plan: ordered steps, each a remote.Command parented here. The host lock names this owner
        //    to another run that has to wait.
        const owner = ownerToken(pulumi.getProject(), pulumi.getStack(), name);
        const plan = pulumi
            .all([settings, repairToken, certificatesDigest])
            .apply(([s, token, digest]) => planSteps({ ...s, connection: PLACEHOLDER_CONNECTION }, { repairToken: token, tlsDigest: digest, owner }));
        const stepNames: StepName[] = [
            "gate",
            ...(args.dataDisk === undefined ? [] : (["data-disk"] as const)),
            ...(args.tlsCertificates === undefined ? [] : (["tls"] as const)),
            "apply",
            ...(args.prune === undefined ? [] : (["prune"] as const)),
        ];
        // No step starts before the host-key check has finished.
        const connection = pulumi.secret(pulumi.all([this.connection, hostKeysOk]).apply(([c]) => toCommandConnection(c)));
        // Whatever makes the steps run on another machine or as another user replaces them (the old ones'
        // delete runs on the old machine first), under any command plugin: the upstream plugin updates in
        // place on a `connection` change, so that alone would leave the new host without the scripts.
        // A new key or key material alone is an in-place update: the steps run again and change nothing.
        const triggers = pulumi.unsecret(this.connection.apply(replacementTriggers));
        // The step scripts, uploaded to ~/.docker-host/<digest>/scripts; every step installs them root-owned
        // and verified (run.sh) and runs one of them.
        const scripts = new command.remote.CopyToRemote(
            `${name}-scripts`,
            { connection, triggers, source: new pulumi.asset.FileArchive(SCRIPTS_DIR), remotePath: remoteUploadParent() },
            { parent: this, dependsOn: opts?.dependsOn },
        );
        let previous: pulumi.Resource = scripts;
        const commands = new Map<StepName, command.remote.Command>();
        for (const stepName of stepNames) {
            const step = plan.apply((steps) => findStep(steps, stepName));
            const cmd = new command.remote.Command(
                `${name}-${stepName}`,
                {
                    connection,
                    triggers,
                    create: step.create,
                    delete: stepName === "gate" ? undefined : step.apply((s) => s.delete ?? ""),
                    stdin: stepName === "tls" ? pulumi.secret(certificates.apply((c) => tlsParamLines(c!))) : step.stdin,
                    // The scripts' progress lines (stderr) reach the operator; stdout is the step's JSON result.
                    logging: "stderr",
                    // The previous output would travel as environment variables that sshd's default
                    // AcceptEnv refuses, with a warning each time; the steps never read it.
                    addPreviousOutputInEnv: false,
                },
                {
                    parent: this,
                    // Strictly ordered: scripts → gate → data-disk → tls → apply → prune. The upload waits for whatever the
                    // component waits for (e.g. the previous rollout batch).
                    dependsOn: [previous],
                    // No customTimeouts: a data-root copy takes as long as the data needs. The step runs on the
                    // host as its own transaction (txn.sh), so even an engine that stops waiting, or a lost
                    // session, never interrupts it halfway.
                    // A new target (address, port, user, bastion: the triggers) replaces the steps.
                    // Create-then-delete would apply the new settings and then let the old resource's
                    // delete restore the original daemon.json on that same machine; deleting first ends
                    // in the desired state.
                    deleteBeforeReplace: true,
                },
            );
            commands.set(stepName, cmd);
            previous = cmd;
        }

        // 5. Outputs.
        const result = commands.get("apply")!.stdout.apply(parseApplyResult);
        this.daemonJson = pulumi.all([settings, certificatesDigest]).apply(([s, digest]) => renderDaemonJson(s, digest));
        this.dropIn = result.apply((r) => renderDropInsText(r.dropIns));
        this.lastAction = result.apply((r) => r.action);
        this.facts = result.apply((r) => r.facts);
        this.registerOutputs({
            daemonJson: this.daemonJson,
            dropIn: this.dropIn,
            lastAction: this.lastAction,
            facts: this.facts,
        });
    }

    /** Runs one bounded drift probe; findings and failures become warnings, never errors. */
    private async checkDrift(name: string, settings: HostSettings, connection: SshConnection): Promise<string | undefined> {
        const effective = effectiveDaemonSettings(settings);
        try {
            const live = await readLiveState(connection);
            const report = describeDrift(name, live, {
                dataRoot: effective.dataRoot ?? "/var/lib/docker",
                storageDriver: effective.storageDriver ?? "overlay2",
            });
            report.findings.forEach((finding) => void pulumi.log.warn(finding, this));
            return report.repairToken;
        } catch (err) {
            if (err instanceof HostKeyMismatchError) this.refuse(name, err);
            else void pulumi.log.warn(`drift check on ${name} skipped: ${(err as Error).message}`, this);
            return undefined;
        }
    }

    /** Enforces pinned host keys before any step can run; names each unpinned hop once in a preview.
     *  False when a machine offered another key than the pinned one (the run then fails). */
    private async checkHostKeys(name: string, connection: SshConnection): Promise<boolean> {
        const unpinned = [
            ...(connection.hostKey === undefined ? [endpointOf(connection)] : []),
            ...(connection.bastion && connection.bastion.hostKey === undefined
                ? [`its bastion ${endpointOf(connection.bastion)}`]
                : []),
        ];
        if (pulumi.runtime.isDryRun() && unpinned.length > 0) {
            void pulumi.log.warn(
                `${name}: no pinned host key for ${unpinned.join(" and ")}; whatever machine answers there is trusted with the steps' input. ` +
                    "Fix: pin it with hostKey (npm run host-keys -- --stack STACK).",
                this,
            );
        }
        if (connection.hostKey === undefined && connection.bastion?.hostKey === undefined) return true;
        try {
            await verifyHostKeys(connection);
        } catch (err) {
            if (err instanceof HostKeyMismatchError) {
                this.refuse(name, err);
                return false;
            }
            // Unreachable: a preview says so; an up lets the steps fail with the plugin's own error (the
            // plugin enforces the same pins).
            if (pulumi.runtime.isDryRun()) void pulumi.log.warn(`host key check on ${name} skipped: cannot reach ${endpointOf(connection)}: ${(err as Error).message}`, this);
        }
        return true;
    }

    /**
     * Fails the run on a wrong host key: one error on this component, no stack trace, and the exit code the
     * Node.js runtime itself uses after it has logged an error (32: the CLI then adds nothing). Not thrown:
     * a rejected Output fans out into an error per dependent value, and an unhandled rejection kept the
     * program churning (gigabytes, tens of seconds) before it exited. The steps keep the pinned key, so the
     * command plugin refuses the same machine at its handshake, before any command.
     */
    private refuse(name: string, err: HostKeyMismatchError): void {
        void pulumi.log.error(`DockerHost "${name}": ${err.message}`, this);
        process.exitCode = 32;
    }

    /**
     * A @pulumi/docker provider that talks to this host's dockerd over SSH (`ssh://user@host:port`), for
     * stacks that manage containers on it. Created only when called: its plugin must be installed, and a
     * user other than root must be in the host's docker group (`docker system dial-stdio` runs without sudo).
     * The connection's key is handed to the docker CLI's ssh as a private file (0600, in a 0700 directory
     * of the temp dir), its pinned host keys as a known_hosts file, its bastion as a ProxyCommand.
     * @param sshOpts more ssh options, after those
     */
    public dockerProvider(name: string, sshOpts?: pulumi.Input<pulumi.Input<string>[]>): docker.Provider {
        const dockerHostUrl = pulumi.unsecret(this.connection.apply((c) => `ssh://${endpointOf(c)}`));
        // The key, the pinned host keys (OpenSSH checks them strictly and never asks) and the bastion;
        // only file paths leave this process, so the options need not be secret.
        const allSshOpts = pulumi.unsecret(pulumi.all([this.connection, sshOpts ?? []]).apply(([c, extra]) => [...opensshOptions(c), ...extra]));
        return new docker.Provider(name, { host: dockerHostUrl, sshOpts: allSshOpts }, { parent: this, dependsOn: [this] });
    }
}

function findStep(steps: readonly RemoteStep[], name: StepName): RemoteStep {
    const step = steps.find((s) => s.name === name);
    if (!step) throw new Error(`internal: no "${name}" step planned`);
    return step;
}

function toCommandConnection(c: SshConnection): command.types.input.remote.ConnectionArgs {
    return {
        host: c.host,
        port: c.port ?? 22,
        user: c.user ?? "root",
        privateKey: c.privateKey,
        // The plugin's own defaults, spelled out so the state is the same whichever plugin filled them.
        dialErrorLimit: 10,
        perDialTimeout: 15,
        hostKey: pinnedLine(c.hostKey),
        proxy: c.bastion
            ? {
                  host: c.bastion.host,
                  port: c.bastion.port ?? 22,
                  user: c.bastion.user ?? "root",
                  privateKey: c.bastion.privateKey ?? c.privateKey,
                  dialErrorLimit: 10,
                  perDialTimeout: 15,
                  hostKey: pinnedLine(c.bastion.hostKey),
              }
            : undefined,
    };
}

/** The "type base64" line the plugin's hostKey takes (validation refused anything unparsable). */
function pinnedLine(hostKey: string | undefined): string | undefined {
    const key = hostKey === undefined ? undefined : parseHostKey(hostKey);
    return key && !("problem" in key) ? key.line : undefined;
}

/** What decides which machine, as which user, the steps run on: a change replaces every step. */
export function replacementTriggers(c: SshConnection): string[] {
    return [endpointOf(c), ...(c.bastion ? [`via ${endpointOf(c.bastion)}`] : [])];
}

/** Validates, at construction, the parts of the args that hold no Outputs or Promises yet. */
function validateKnownNow(name: string, args: DockerHostArgs): void {
    const known = (v: unknown) => (isPlain(v) ? v : undefined);
    const candidate = dropUndefined({
        connection: isPlain(args.connection) ? args.connection : PLACEHOLDER_CONNECTION,
        dataDisk: known(args.dataDisk),
        daemon: known(args.daemon),
        allowInsecureTcp: known(args.allowInsecureTcp),
        dockerReadyTimeoutSeconds: known(args.dockerReadyTimeoutSeconds),
        lockTimeoutSeconds: known(args.lockTimeoutSeconds),
        prune: known(args.prune),
        detectDrift: known(args.detectDrift),
        tlsCertificates: known(args.tlsCertificates),
        tlsListenAddress: known(args.tlsListenAddress),
    });
    const issues = findConfigIssues(candidate);
    if (issues.length > 0) throw new DockerHostConfigError(name, issues, hostAddressOf(candidate));
}

function isPlain(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
    if (Array.isArray(value)) return value.every(isPlain);
    if (value && typeof value === "object") return Object.values(value).every(isPlain);
    return true;
}

/** Drops keys whose value is undefined (optional inputs that were not given). */
function dropUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
