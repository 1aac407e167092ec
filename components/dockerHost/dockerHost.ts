// The DockerHost component, a table of contents of what happens to a host: its inputs checked once
// (validate.ts: the plain settings apart from the secret connection and TLS material) → the daemon config →
// one probe over SSH (drift.ts) in a preview, or on `up` only for drift detection, that checks the pinned
// host keys and reads what the plan in words (planInWords.ts) and the drift check need → the plan
// (steps.ts) → one
// remote.Command per step, strictly ordered: the scripts upload, then gate, data-disk, tls, apply and prune
// as the host has them, each running its host script under scripts/ (disk.sh for data-disk) through run.sh
// → its outputs. No output holds a secret: the connection (its private keys) and the TLS material are only
// ever inputs of the steps.
import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { afterSuccessOf, failureReportedByEngine, orWhenFailed } from "../outcome";
import { DockerHostArgs, HostSettings, Resolved, SshConnection, TlsCertificates } from "./args";
import { DaemonConfig, daemonConfig } from "./daemonJson";
import { dockerHostUrl, sshDockerProvider } from "./dockerProvider";
import { describeDrift, LiveState, ProbeError, readLiveState } from "./drift";
import { DockerFacts, parseApplyResult, renderDropInsText } from "./facts";
import { parseHostKey } from "./hostKey";
import { checkOnce } from "./inputs";
import { remoteUploadParent, SCRIPTS_DIR } from "./remoteCommand";
import { desiredHost, PlanLine, planInWords, planTarget, unknownPlan } from "./planInWords";
import { endpointOf, HostKeyMismatchError } from "./ssh";
import { ownerToken, planSteps, RemoteStep, StepName, stepNames, STEPS } from "./steps";
import { tlsDigest, tlsParamLines } from "./tlsMaterial";
import { checkConnection, checkSettings, checkTlsCertificates, ConfigIssue, DockerHostConfigError, hostAddressOf } from "./validate";

/** Each host's checked connection, for dockerProvider(): never a property, so never an output. */
const CONNECTIONS = new WeakMap<DockerHost, pulumi.Output<Resolved<SshConnection>>>();
/** Each host's child resources, for steps(): never a property, so never an output. */
const STEP_RESOURCES = new WeakMap<DockerHost, readonly pulumi.Resource[]>();

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
    /** The host's Docker endpoint for the docker CLI and the docker provider: ssh://user@host:port. */
    public readonly dockerHostUrl: pulumi.Output<string>;

    constructor(name: string, args: DockerHostArgs, opts?: pulumi.ComponentResourceOptions) {
        // 1. Each part of the inputs checked once, all of them before anything is registered when they are
        //    known now; the plan only ever sees the plain settings.
        const { settings, connection, certificates } = checkedInputs(name, args);
        super("docker-host:index:DockerHost", name, {}, opts);
        CONNECTIONS.set(this, connection);

        // 2. The daemon config, computed once: its TLS version (a digest of the material, not secret) names
        //    the directory daemon.json points at.
        const tlsVersion = pulumi.unsecret(certificates.apply((c) => (c ? tlsDigest(c) : undefined)));
        const daemon = pulumi.all([settings, tlsVersion]).apply(([s, version]) => daemonConfig(s, version));

        // 3. At most one SSH session per host from the program: in a preview, a probe that enforces the pinned
        //    host keys (a wrong one fails the preview with both fingerprints) and reads what the plan in words
        //    and, when asked, the drift check need; on `up`, that probe only for drift detection. A no-op `up`
        //    without drift detection opens no session at all: the command plugin enforces the same pins at
        //    each step's handshake, before any command. Drift gives warnings per key and a repair token that
        //    makes the apply step restore what was changed outside Pulumi.
        const repairToken = pulumi.unsecret(pulumi.all([settings, daemon, connection]).apply(([s, d, c]) => this.probe(name, s, d, c)));

        // 4. The plan, and a remote.Command per step (none starts before the probe has checked the keys). The
        //    host lock names this owner to a run that waits.
        const owner = ownerToken(pulumi.getProject(), pulumi.getStack(), name);
        const plan = pulumi.all([settings, daemon, repairToken]).apply(([s, d, token]) => planSteps(s, d, { repairToken: token, owner }));
        const present = { dataDisk: args.dataDisk !== undefined, tlsCertificates: args.tlsCertificates !== undefined, prune: args.prune !== undefined };
        const tlsStdin = pulumi.secret(certificates.apply((c) => (c ? tlsParamLines(c) : "")));
        const apply = this.createSteps(name, stepNames(present), plan, { connection, probed: repairToken, tlsStdin }, opts);

        // 5. Outputs.
        const result = apply.stdout.apply(parseApplyResult);
        this.daemonJson = daemon.apply((d) => d.text);
        this.dockerHostUrl = pulumi.unsecret(connection.apply(dockerHostUrl));
        this.dropIn = result.apply((r) => renderDropInsText(r.dropIns));
        this.lastAction = result.apply((r) => r.action);
        this.facts = result.apply((r) => r.facts);
        // Under `pulumi up --continue-on-error` a failed step leaves no result: the component's state then
        // records none (its error is the step's), instead of the program failing on the rejected outputs.
        this.registerOutputs({
            daemonJson: this.daemonJson,
            dockerHostUrl: this.dockerHostUrl,
            dropIn: orWhenFailed<string | undefined>(this.dropIn, undefined),
            lastAction: orWhenFailed<string | undefined>(this.lastAction, undefined),
            facts: orWhenFailed<DockerFacts | undefined>(this.facts, undefined),
        });
    }

    /**
     * The scripts upload and one remote.Command per step, strictly ordered, each parented here; returns the
     * apply step's command. No step starts before the probe (if any) has finished.
     */
    private createSteps(
        name: string,
        names: readonly StepName[],
        plan: pulumi.Output<RemoteStep[]>,
        inputs: { connection: pulumi.Output<Resolved<SshConnection>>; probed: pulumi.Output<unknown>; tlsStdin: pulumi.Output<string> },
        opts: pulumi.ComponentResourceOptions | undefined,
    ): command.remote.Command {
        const connection = pulumi.secret(pulumi.all([inputs.connection, inputs.probed]).apply(([c]) => toCommandConnection(c)));
        // Whatever makes the steps run on another machine or as another user replaces them (the old ones'
        // delete runs on the old machine first), under any command plugin: the upstream plugin updates in
        // place on a `connection` change, so that alone would leave the new host without the scripts.
        // A new key or key material alone is an in-place update: the steps run again and change nothing.
        const triggers = pulumi.unsecret(inputs.connection.apply(replacementTriggers));
        // The step scripts, uploaded to ~/.docker-host/<digest>/scripts; every step installs them root-owned
        // and verified (run.sh) and runs one of them. The upload waits for whatever the component waits for
        // (e.g. the previous rollout batch).
        let previous: pulumi.Resource = new command.remote.CopyToRemote(
            `${name}-scripts`,
            { connection, triggers, source: new pulumi.asset.FileArchive(SCRIPTS_DIR), remotePath: remoteUploadParent() },
            { parent: this, dependsOn: opts?.dependsOn },
        );
        let previousName = `${name}-scripts`;
        const commands = new Map<StepName, command.remote.Command>();
        const children: pulumi.Resource[] = [previous];
        for (const [index, stepName] of names.entries()) {
            const failed = previousName;
            const notRun = () => `${name}: ${names.slice(index).map((n) => `${name}-${n}`).join(", ")} not run, because ${failed} failed (its error says why).`;
            const step = plan.apply((steps) => findStep(steps, stepName));
            const cmd = new command.remote.Command(
                `${name}-${stepName}`,
                {
                    connection,
                    triggers,
                    create: step.create,
                    delete: "deleteScript" in STEPS[stepName] ? step.apply((s) => s.delete ?? "") : undefined,
                    // The tls step reads the TLS material, which never enters the plan.
                    stdin: stepName === "tls" ? inputs.tlsStdin : step.apply((s) => s.stdin ?? ""),
                    // The scripts' progress lines (stderr) reach the operator; stdout is the step's JSON result.
                    logging: "stderr",
                    // The previous output would travel as environment variables that sshd's default
                    // AcceptEnv refuses, with a warning each time; the steps never read it.
                    addPreviousOutputInEnv: false,
                },
                {
                    parent: this,
                    // Only after the step before succeeded: under `pulumi up --continue-on-error` a failed step
                    // stops the host's later steps with one line naming it (outcome.ts), not a stack trace.
                    dependsOn: afterSuccessOf([previous], this, notRun),
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
            children.push(cmd);
            previous = cmd;
            previousName = `${name}-${stepName}`;
        }
        children.forEach(failureReportedByEngine);
        STEP_RESOURCES.set(this, children);
        return commands.get("apply")!;
    }

    /**
     * The host's one probe (bounded in time): in a preview always, for the plan line and the drift check;
     * on `up` only with detectDrift. Returns the drift repair token. A wrong host key fails the run; an
     * unreachable host is a warning (the plan line says "unknown"), never an error.
     */
    private async probe(name: string, settings: HostSettings, daemon: DaemonConfig, connection: Resolved<SshConnection>): Promise<string | undefined> {
        const preview = pulumi.runtime.isDryRun();
        if (preview) this.warnUnpinned(name, connection);
        if (!preview && !settings.detectDrift) return undefined;
        const desired = desiredHost(settings, daemon);
        let live: LiveState;
        try {
            live = await readLiveState(connection, preview ? { target: planTarget(desired) } : {});
        } catch (err) {
            if (err instanceof HostKeyMismatchError) {
                this.refuse(name, err);
                return undefined;
            }
            const e = err instanceof ProbeError ? err : new ProbeError(endpointOf(connection), (err as Error).message);
            if (preview) this.log(unknownPlan(name, e.endpoint, e.reason));
            if (settings.detectDrift) void pulumi.log.warn(`drift check on ${name} skipped: ${e.message}`, this);
            return undefined;
        }
        if (preview) this.log(planInWords(name, live, desired));
        if (!settings.detectDrift) return undefined;
        const report = describeDrift(name, live, desired);
        report.findings.forEach((finding) => void pulumi.log.warn(finding, this));
        return report.repairToken;
    }

    private log(line: PlanLine): void {
        void (line.severity === "info" ? pulumi.log.info(line.message, this) : pulumi.log.warn(line.message, this));
    }

    /** Names each unpinned hop once per preview: whatever machine answers there is trusted. */
    private warnUnpinned(name: string, connection: Resolved<SshConnection>): void {
        const unpinned = [
            ...(connection.hostKey === undefined ? [endpointOf(connection)] : []),
            ...(connection.bastion && connection.bastion.hostKey === undefined ? [`its bastion ${endpointOf(connection.bastion)}`] : []),
        ];
        if (unpinned.length === 0) return;
        void pulumi.log.warn(
            `${name}: no pinned host key for ${unpinned.join(" and ")}; whatever machine answers there is trusted with the steps' input. ` +
                "Fix: pin it with hostKey (npm run host-keys -- --stack STACK).",
            this,
        );
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
     * TypeScript only: the host's child resources in the order they run, the scripts upload first. Under
     * `pulumi up --continue-on-error` the URN of one that failed or was skipped rejects: a rollout learns the
     * host's outcome from them (components/rolloutGate.ts).
     */
    public steps(): readonly pulumi.Resource[] {
        return STEP_RESOURCES.get(this) ?? [];
    }

    /**
     * TypeScript only: a @pulumi/docker provider for this host's dockerd over SSH (see dockerProvider.ts),
     * created when called and after this host is configured. Other languages use dockerHostUrl.
     * @param sshOpts more ssh options, after the key, the pinned host keys and the bastion
     */
    public dockerProvider(name: string, sshOpts?: pulumi.Input<pulumi.Input<string>[]>): docker.Provider {
        const notRun = () => `${name} not created, because a step of this host failed (its error says why).`;
        return sshDockerProvider(name, CONNECTIONS.get(this)!, sshOpts, { parent: this, dependsOn: afterSuccessOf(this.steps(), this, notRun) });
    }
}

/** A DockerHost's inputs, checked: the plain settings, the connection and the TLS material, each on its own. */
interface CheckedInputs {
    readonly settings: pulumi.Output<HostSettings>;
    readonly connection: pulumi.Output<Resolved<SshConnection>>;
    readonly certificates: pulumi.Output<Resolved<TlsCertificates> | undefined>;
}

/** Checks each part of the args once; throws every problem known at construction at once. */
function checkedInputs(name: string, args: DockerHostArgs): CheckedInputs {
    const { connection, tlsCertificates, ...settings } = args;
    const refuse = (issues: readonly ConfigIssue[]) => new DockerHostConfigError(name, issues, hostAddressOf(args));
    const parts = {
        settings: checkOnce(settings, (s) => checkSettings(s, { tls: tlsCertificates !== undefined }), refuse),
        connection: checkOnce(connection, checkConnection, refuse),
        certificates:
            tlsCertificates === undefined
                ? { issuesNow: [], value: pulumi.output<Resolved<TlsCertificates> | undefined>(undefined) }
                : checkOnce<Resolved<TlsCertificates> | undefined>(tlsCertificates, checkTlsCertificates, refuse),
    };
    const issues = [...parts.connection.issuesNow, ...parts.settings.issuesNow, ...parts.certificates.issuesNow];
    if (issues.length > 0) throw refuse(issues);
    return {
        settings: parts.settings.value,
        connection: parts.connection.value,
        certificates: parts.certificates.value,
    };
}

function findStep(steps: readonly RemoteStep[], name: StepName): RemoteStep {
    const step = steps.find((s) => s.name === name);
    if (!step) throw new Error(`internal: no "${name}" step planned`);
    return step;
}

function toCommandConnection(c: Resolved<SshConnection>): command.types.input.remote.ConnectionArgs {
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
export function replacementTriggers(c: Resolved<SshConnection>): string[] {
    return [endpointOf(c), ...(c.bastion ? [`via ${endpointOf(c.bastion)}`] : [])];
}
