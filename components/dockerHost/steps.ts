// Pure plan: a validated configuration in, the ordered remote steps out. dockerHost.ts turns each step into
// a remote.Command; tests/host runs the very same steps over ssh.
import { DockerHostConfig, PRUNE_DEFAULTS } from "./args";
import { renderDaemonJson, restartClassDigest, effectiveDaemonSettings } from "./daemonJson";
import { engineRequirements, formatEngineRequirements } from "./daemonKeys";
import { DEFAULT_MOUNT_POINT } from "./daemonSettings";
import { remoteCommand } from "./remoteCommand";
import { tlsDigest, tlsParamLines } from "./tlsMaterial";

export type StepName = "gate" | "data-disk" | "tls" | "apply" | "prune";

/** One remote step: what runs on create/update, on delete, and what it reads on stdin. */
export interface RemoteStep {
    /** Child resource name suffix; stable, because it is the resource's identity. */
    readonly name: StepName;
    /** Runs on create and on every update (pulumi-command runs `create` again when `update` is unset). */
    readonly create: string;
    /** Runs on `pulumi destroy`. */
    readonly delete?: string;
    /** Parameters or payload, passed on stdin. For `apply` it is the daemon.json itself, so previews show
     *  a key-level JSON diff. */
    readonly stdin: string;
}

/** KEY=VALUE lines, the format lib.sh's read_params accepts. Values were validated (no control chars). */
export function paramLines(params: Readonly<Record<string, string>>): string {
    return Object.entries(params)
        .map(([k, v]) => {
            if (/[\u0000-\u001f\u007f]/.test(v)) throw new Error(`parameter ${k} contains a control character`);
            return `${k}=${v}\n`;
        })
        .join("");
}

/** Inputs of the plan that do not come from the configuration. */
export interface PlanExtras {
    /** From a drift check: changes the apply step's command, so Pulumi runs it and it restores files
     *  changed outside Pulumi. */
    readonly repairToken?: string;
    /** The TLS material's version (tlsDigest of the real PEMs): the tls step stages it, daemon.json points
     *  at it. Overrides tlsDigest(config.tlsCertificates) (the component plans with placeholder PEMs). */
    readonly tlsDigest?: string;
    /** Who runs the steps (see ownerToken), named by the host lock to a run that has to wait for them. */
    readonly owner?: string;
}

/** `project.stack.resource` as a command token: characters other than [A-Za-z0-9.-] become "-". */
export function ownerToken(...parts: readonly string[]): string {
    return parts.join(".").replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 120) || "unknown";
}

/** The ordered steps for one host. Call with a configuration that passed validateDockerHostConfig. */
export function planSteps(config: DockerHostConfig, extras: PlanExtras = {}): RemoteStep[] {
    const tlsVersion = config.tlsCertificates ? (extras.tlsDigest ?? tlsDigest(config.tlsCertificates)) : undefined;
    const settings = effectiveDaemonSettings(config, tlsVersion);
    const daemonJson = renderDaemonJson(config, tlsVersion);
    const timeout = `ready-timeout=${config.dockerReadyTimeoutSeconds ?? 60}`;
    const steps: RemoteStep[] = [
        {
            name: "gate",
            create: remoteCommand("gate"),
            // ENGINE_REQUIREMENTS: keys of this daemon.json that an Engine older than the named release
            // refuses to start with; always sent (read_params requires it), empty when 20.10 knows them all.
            stdin: paramLines({
                REQUIRED_STORAGE_DRIVER: settings.storageDriver ?? "overlay2",
                ENGINE_REQUIREMENTS: formatEngineRequirements(engineRequirements(settings)),
            }),
        },
    ];
    if (config.dataDisk) {
        steps.push({
            name: "data-disk",
            create: remoteCommand("disk"),
            delete: remoteCommand("disk-delete"),
            stdin: paramLines({
                DEVICE: config.dataDisk.device,
                FILESYSTEM: config.dataDisk.filesystem ?? "xfs",
                MOUNT_POINT: config.dataDisk.mountPoint ?? DEFAULT_MOUNT_POINT,
            }),
        });
    }
    if (config.tlsCertificates && tlsVersion) {
        // Stages the material as its own version; the apply step's daemon.json switches to it.
        steps.push({
            name: "tls",
            create: remoteCommand("tls", [`version=${tlsVersion}`]),
            delete: remoteCommand("tls-delete"),
            stdin: tlsParamLines(config.tlsCertificates),
        });
    }
    steps.push({
        name: "apply",
        create: remoteCommand("apply", [
            timeout,
            `restart-class=${restartClassDigest(daemonJson)}`,
            ...(extras.repairToken ? [`repair=${extras.repairToken}`] : []),
        ]),
        delete: remoteCommand("apply-delete", [timeout]),
        stdin: daemonJson,
    });
    if (config.prune) {
        const prune = { ...PRUNE_DEFAULTS, ...config.prune };
        steps.push({
            name: "prune",
            create: remoteCommand("prune"),
            delete: remoteCommand("prune-delete"),
            stdin: paramLines({
                SCHEDULE: prune.schedule,
                RANDOMIZED_DELAY_SECONDS: String(prune.randomizedDelaySeconds),
                OLDER_THAN: prune.olderThan,
                KEEP_LABEL: prune.keepLabel,
                VOLUMES: String(prune.volumes),
            }),
        });
    }
    // Every step but the read-only gate changes the host: it runs as a transaction under the host lock
    // (txn.sh), which takes these two tokens.
    const owner = extras.owner ?? "unknown";
    if (!/^[A-Za-z0-9.-]+$/.test(owner)) throw new Error(`planSteps: owner ${JSON.stringify(owner)} is not a token (use ownerToken)`);
    const transaction = [`owner=${owner}`, `lock-wait=${config.lockTimeoutSeconds ?? 600}`];
    const withTransaction = (command: string) => `${command} ${transaction.join(" ")}`;
    return steps.map((step) =>
        step.name === "gate"
            ? step
            : { ...step, create: withTransaction(step.create), ...(step.delete ? { delete: withTransaction(step.delete) } : {}) },
    );
}
