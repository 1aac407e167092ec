// Pure plan: a host's plain settings and its daemon config in, the ordered remote steps out. Nothing secret
// enters: the connection is the command plugin's, and the TLS material reaches the tls step's stdin from the
// component, apart from the plan (only its version, a digest, is planned). dockerHost.ts turns each step into
// a remote.Command; tests/host runs the very same steps over ssh.
import { DATA_DISK_DEFAULTS, DockerHostConfig, HostSettings, PRUNE_DEFAULTS } from "./args";
import { DaemonConfig, daemonConfig, restartClassDigest } from "./daemonJson";
import { engineRequirements, formatEngineRequirements } from "./daemonKeys";
import { SESSION_STEPS, STEP_DEFAULTS } from "./hostConstants";
import { remoteCommand } from "./remoteCommand";
import { tlsDigest } from "./tlsMaterial";

/**
 * The steps, in the order they run (their deletes run in reverse): the host scripts each runs on create and
 * on delete (run.sh's DH_STEPS must list exactly these; tests/unit/steps.test.ts checks it against the
 * scripts folder), and the part of the configuration that makes a host have the step.
 */
export const STEPS = {
    gate: { script: "gate", when: "always" },
    "data-disk": { script: "disk", deleteScript: "disk-delete", when: "dataDisk" },
    tls: { script: "tls", deleteScript: "tls-delete", when: "tlsCertificates" },
    apply: { script: "apply", deleteScript: "apply-delete", when: "always" },
    prune: { script: "prune", deleteScript: "prune-delete", when: "prune" },
} as const;

export type StepName = keyof typeof STEPS;
type StepSpec = (typeof STEPS)[StepName];
/** A host script that runs a step. */
export type StepScript = StepSpec["script"] | Extract<StepSpec, { deleteScript: string }>["deleteScript"];
/** The parts of a configuration that add a step. */
export type OptionalPart = Exclude<StepSpec["when"], "always">;

/** Every step script, create and delete. */
export const STEP_SCRIPTS: readonly StepScript[] = Object.values(STEPS).flatMap((s): StepScript[] => ("deleteScript" in s ? [s.script, s.deleteScript] : [s.script]));

/** The steps of a host, in order, given which optional parts it has. */
export function stepNames(has: Readonly<Record<OptionalPart, boolean>>): StepName[] {
    return (Object.keys(STEPS) as StepName[]).filter((name) => {
        const when = STEPS[name].when;
        return when === "always" || has[when];
    });
}

/** One remote step: what runs on create/update, on delete, and what it reads on stdin. */
export interface RemoteStep {
    /** Child resource name suffix; stable, because it is the resource's identity. */
    readonly name: StepName;
    /** Runs on create and on every update (pulumi-command runs `create` again when `update` is unset). */
    readonly create: string;
    /** Runs on `pulumi destroy`. */
    readonly delete?: string;
    /** Parameters or payload, passed on stdin. For `apply` it is the daemon.json itself, so previews show
     *  a key-level JSON diff. Absent for `tls`: its stdin is the TLS material (tlsParamLines), secret, which
     *  the component passes and the plan never sees. */
    readonly stdin?: string;
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
    /** Who runs the steps (see ownerToken), named by the host lock to a run that has to wait for them. */
    readonly owner?: string;
}

/** `project.stack.resource` as a command token: characters other than [A-Za-z0-9.-] become "-". */
export function ownerToken(...parts: readonly string[]): string {
    return parts.join(".").replace(/[^A-Za-z0-9.-]/g, "-").slice(0, 120) || "unknown";
}

/** What a step's builder reads. */
interface StepContext {
    readonly settings: HostSettings;
    readonly daemon: DaemonConfig;
    readonly extras: PlanExtras;
    readonly readyTimeout: string;
}

/** Each step's commands and stdin (without the transaction tokens), keyed by step: one builder each. */
const BUILDERS: { readonly [K in StepName]: (ctx: StepContext) => Omit<RemoteStep, "name"> } = {
    gate: ({ daemon }) => ({
        create: remoteCommand(STEPS.gate.script),
        // ENGINE_REQUIREMENTS: keys of this daemon.json that an Engine older than the named release refuses
        // to start with; always sent (read_params requires it), empty when 20.10 knows them all.
        stdin: paramLines({
            REQUIRED_STORAGE_DRIVER: daemon.effective.storageDriver ?? "overlay2",
            ENGINE_REQUIREMENTS: formatEngineRequirements(engineRequirements(JSON.parse(daemon.text) as Record<string, unknown>)),
        }),
    }),
    "data-disk": ({ settings }) => ({
        create: remoteCommand(STEPS["data-disk"].script),
        delete: remoteCommand(STEPS["data-disk"].deleteScript),
        stdin: paramLines({
            DEVICE: settings.dataDisk!.device,
            FILESYSTEM: settings.dataDisk!.filesystem ?? DATA_DISK_DEFAULTS.filesystem,
            MOUNT_POINT: settings.dataDisk!.mountPoint ?? DATA_DISK_DEFAULTS.mountPoint,
        }),
    }),
    // Stages the material as its own version; the apply step's daemon.json switches to it.
    tls: ({ daemon }) => ({
        create: remoteCommand(STEPS.tls.script, [`version=${daemon.tls!.version}`]),
        delete: remoteCommand(STEPS.tls.deleteScript),
    }),
    apply: ({ daemon, extras, readyTimeout }) => ({
        create: remoteCommand(STEPS.apply.script, [
            readyTimeout,
            `restart-class=${restartClassDigest(daemon.text)}`,
            ...(extras.repairToken ? [`repair=${extras.repairToken}`] : []),
        ]),
        delete: remoteCommand(STEPS.apply.deleteScript, [readyTimeout]),
        stdin: daemon.text,
    }),
    prune: ({ settings }) => {
        const prune = { ...PRUNE_DEFAULTS, ...settings.prune };
        return {
            create: remoteCommand(STEPS.prune.script),
            delete: remoteCommand(STEPS.prune.deleteScript),
            stdin: paramLines({
                SCHEDULE: prune.schedule,
                RANDOMIZED_DELAY_SECONDS: String(prune.randomizedDelaySeconds),
                OLDER_THAN: prune.olderThan,
                KEEP_LABEL: prune.keepLabel,
                VOLUMES: String(prune.volumes),
            }),
        };
    },
};

/**
 * The ordered steps for one host. Call with settings that passed checkSettings and their daemonConfig (whose
 * TLS version says whether the host has the tls step).
 */
export function planSteps(settings: HostSettings, daemon: DaemonConfig, extras: PlanExtras = {}): RemoteStep[] {
    const owner = extras.owner ?? "unknown";
    if (!/^[A-Za-z0-9.-]+$/.test(owner)) throw new Error(`planSteps: owner ${JSON.stringify(owner)} is not a token (use ownerToken)`);
    const ctx: StepContext = { settings, daemon, extras, readyTimeout: `ready-timeout=${settings.dockerReadyTimeoutSeconds ?? STEP_DEFAULTS.readyTimeoutSeconds}` };
    // Every step but the read-only ones (run.sh's DH_SESSION_STEPS) changes the host: it runs as a
    // transaction under the host lock (txn.sh), which takes these two tokens.
    const transaction = ` owner=${owner} lock-wait=${settings.lockTimeoutSeconds ?? STEP_DEFAULTS.lockWaitSeconds}`;
    const has = { dataDisk: settings.dataDisk !== undefined, tlsCertificates: daemon.tls !== undefined, prune: settings.prune !== undefined };
    return stepNames(has).map((name) => {
        const step = { name, ...BUILDERS[name](ctx) };
        if (SESSION_STEPS.includes(STEPS[name].script)) return step;
        return { ...step, create: step.create + transaction, ...(step.delete ? { delete: step.delete + transaction } : {}) };
    });
}

/**
 * The steps of a whole configuration, for tools and tests that hold one: its settings and daemon config
 * planned with its TLS material's version, exactly as the component plans them; the material itself stays
 * out (the tls step's stdin is tlsParamLines of it).
 */
export function planConfig(config: DockerHostConfig, extras: PlanExtras = {}): RemoteStep[] {
    const { connection: _connection, tlsCertificates, ...settings } = config;
    return planSteps(settings, daemonConfig(settings, tlsCertificates && tlsDigest(tlsCertificates)), extras);
}
