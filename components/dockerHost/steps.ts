// Pure plan: a validated configuration in, the ordered remote steps out. dockerHost.ts turns each step into
// a remote.Command; tests/host runs the very same steps over ssh.
import { createHash } from "node:crypto";
import { DockerHostConfig, PRUNE_DEFAULTS, TlsCertificates } from "./args";
import { renderDaemonJson, restartClassDigest, effectiveDaemonSettings } from "./daemonJson";
import { DEFAULT_MOUNT_POINT } from "./daemonSettings";
import { remoteCommand } from "./remoteCommand";

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

/** The tls step's stdin: each PEM base64-encoded on its own KEY=VALUE line. Secret: it holds the key. */
export function tlsParamLines(tls: TlsCertificates): string {
    const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
    return paramLines({ CA_PEM_B64: b64(tls.caCertPem), CERT_PEM_B64: b64(tls.serverCertPem), KEY_PEM_B64: b64(tls.serverKeyPem) });
}

/** A digest of the TLS material, for the apply step's command: a rotation re-runs it (and restarts). */
export function tlsDigest(tls: TlsCertificates): string {
    return createHash("sha256").update(tlsParamLines(tls)).digest("hex").slice(0, 12);
}

/** Inputs of the plan that do not come from the configuration. */
export interface PlanExtras {
    /** From a drift check: changes the apply step's command, so Pulumi runs it and it restores files
     *  changed outside Pulumi. */
    readonly repairToken?: string;
    /** Overrides tlsDigest(config.tlsCertificates) (the component plans with placeholder PEMs). */
    readonly tlsDigest?: string;
}

/** The ordered steps for one host. Call with a configuration that passed validateDockerHostConfig. */
export function planSteps(config: DockerHostConfig, extras: PlanExtras = {}): RemoteStep[] {
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
    if (config.tlsCertificates) {
        steps.push({
            name: "tls",
            create: remoteCommand("tls"),
            delete: remoteCommand("tls-delete"),
            stdin: tlsParamLines(config.tlsCertificates),
        });
    }
    const tls = config.tlsCertificates ? (extras.tlsDigest ?? tlsDigest(config.tlsCertificates)) : undefined;
    steps.push({
        name: "apply",
        create: remoteCommand("apply", [
            timeout,
            `restart-class=${restartClassDigest(daemonJson)}`,
            ...(tls ? [`tls=${tls}`] : []),
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
    return steps;
}
