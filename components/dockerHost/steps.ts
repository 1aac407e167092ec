// Pure plan: a validated configuration in, the ordered remote steps out. dockerHost.ts turns each step into
// a remote.Command; tests/host runs the very same steps over ssh.
import { DockerHostConfig, PRUNE_DEFAULTS } from "./args";
import { renderDaemonJson, restartClassDigest, effectiveDaemonSettings } from "./daemonJson";
import { DEFAULT_MOUNT_POINT } from "./daemonSettings";
import { remoteCommand } from "./remoteCommand";

export type StepName = "gate" | "data-disk" | "apply" | "prune";

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

/**
 * The ordered steps for one host. Call with a configuration that passed validateDockerHostConfig.
 * `repairToken` (from a drift check) changes the apply step's command, so Pulumi runs it and it restores
 * files changed outside Pulumi.
 */
export function planSteps(config: DockerHostConfig, repairToken?: string): RemoteStep[] {
    const settings = effectiveDaemonSettings(config);
    const daemonJson = renderDaemonJson(config);
    const timeout = `ready-timeout=${config.dockerReadyTimeoutSeconds ?? 60}`;
    const steps: RemoteStep[] = [
        {
            name: "gate",
            create: remoteCommand("gate"),
            stdin: paramLines({ REQUIRED_STORAGE_DRIVER: settings.storageDriver ?? "overlay2" }),
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
    steps.push({
        name: "apply",
        create: remoteCommand("apply", [
            timeout,
            `restart-class=${restartClassDigest(daemonJson)}`,
            ...(repairToken ? [`repair=${repairToken}`] : []),
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
    return steps;
}
