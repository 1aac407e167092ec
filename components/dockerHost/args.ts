// Inputs of the DockerHost component. Plain ("resolved") shapes first, then their Input<> forms.
import * as pulumi from "@pulumi/pulumi";
import { DaemonSettings } from "./daemonSettings";

/** Filesystems the data disk may carry. */
export const DATA_DISK_FILESYSTEMS = [
    "xfs", // the default; created with ftype=1, which overlay2 needs
    "ext4",
] as const;
export type DataDiskFilesystem = (typeof DATA_DISK_FILESYSTEMS)[number];

/** A jump host the SSH connection goes through. */
export interface BastionConnection {
    /** Address of the bastion. */
    readonly host: string;
    /** @default 22 */
    readonly port?: number;
    /** @default "root" */
    readonly user?: string;
    /** Private key for the bastion (OpenSSH or PEM). Kept secret.
     *  @default - the target's privateKey */
    readonly privateKey?: string;
    /** The bastion's own SSH host key, pinned like the target's `hostKey`.
     *  @default - not pinned: a preview warns, and whatever answers at the bastion's address is trusted */
    readonly hostKey?: string;
}

/** How to reach the host over SSH. */
export interface SshConnection {
    /** Address (IP or DNS name) of the host. */
    readonly host: string;
    /** @default 22 */
    readonly port?: number;
    /** Login user. Anything but root runs every step through `sudo -n`, so it needs passwordless sudo.
     *  @default "root" */
    readonly user?: string;
    /** Private key (OpenSSH or PEM). Kept secret in state and logs. */
    readonly privateKey: string;
    /** Optional jump host.
     *  @default - direct connection */
    readonly bastion?: BastionConnection;
    /** The host's SSH host key, pinned: an OpenSSH public key line ("ssh-ed25519 AAAA…", as in
     *  /etc/ssh/ssh_host_ed25519_key.pub or a known_hosts line). Every step, the drift probe and the docker
     *  provider's ssh then refuse a machine that answers with another key, before any command runs.
     *  ed25519 or ECDSA; RSA is refused (see hostKey.ts). `npm run host-keys` scans and pins them.
     *  @default - not pinned: a preview warns, and whatever answers at the address is trusted */
    readonly hostKey?: string;
}

/** A dedicated disk for Docker's data-root. */
export interface DataDisk {
    /** Block device, e.g. "/dev/vdb". It is formatted only when it carries no filesystem or partition
     *  signature at all; one with the requested filesystem is reused; anything else is refused. */
    readonly device: string;
    /** Filesystem to create or expect.
     *  @default "xfs" */
    readonly filesystem?: DataDiskFilesystem;
    /** Where the disk is mounted (by a systemd .mount unit). Absolute path.
     *  @default "/data" */
    readonly mountPoint?: string;
}

/** Scheduled pruning of unused Docker data (a systemd timer on the host). */
export interface PruneSchedule {
    /** When to run, as a systemd calendar expression (man systemd.time).
     *  @default "weekly" */
    readonly schedule?: string;
    /** Up to this many seconds are added to each run at random, so hosts do not all prune at once.
     *  @default 3600 */
    readonly randomizedDelaySeconds?: number;
    /** Only objects created longer ago than this are pruned (docker's `until` filter), e.g. "168h".
     *  @default "168h" */
    readonly olderThan?: string;
    /** Objects carrying this label key are never pruned.
     *  @default "docker-host.keep" */
    readonly keepLabel?: string;
    /** Also prune unused volumes. Volumes hold data; leave this off unless you mean it.
     *  @default false */
    readonly volumes?: boolean;
}

/** Defaults of PruneSchedule. */
export const PRUNE_DEFAULTS = {
    schedule: "weekly",
    randomizedDelaySeconds: 3600,
    olderThan: "168h",
    keepLabel: "docker-host.keep",
    volumes: false,
} as const satisfies Required<PruneSchedule>;

/** The PEMs a TLS-protected TCP socket needs (see components/tls for generating them). Each set is staged
 *  on the host in its own directory (tlsMaterial.ts: TLS_DIR, tlsPaths) and checked before it is used. */
export interface TlsCertificates {
    /** CA certificate that signs the client certificates dockerd accepts (tlscacert). */
    readonly caCertPem: string;
    /** Server certificate; its names must cover how clients reach the host (tlscert). */
    readonly serverCertPem: string;
    /** Server private key (tlskey). Keep it secret: it is copied to the host with mode 0600. */
    readonly serverKeyPem: string;
}

/** Default address of the TLS socket. */
export const DEFAULT_TLS_LISTEN_ADDRESS = "0.0.0.0:2376";

/** Everything a DockerHost needs, resolved (no Outputs). */
export interface DockerHostConfig {
    readonly connection: SshConnection;
    /** @default - data-root stays where it is */
    readonly dataDisk?: DataDisk;
    /** @default - the documented defaults only (overlay2, bounded json-file logs, live-restore) */
    readonly daemon?: DaemonSettings;
    /** Accept a tcp:// listener off loopback without TLS verification. Anyone who reaches that port is
     *  root on the host; leave it false unless a firewall you trust stands in front.
     *  @default false */
    readonly allowInsecureTcp?: boolean;
    /** How long to wait for dockerd to answer after a reload or restart before rolling back.
     *  @default 60 */
    readonly dockerReadyTimeoutSeconds?: number;
    /** How long a step waits for another docker-host run on the same host (the host lock) before it fails,
     *  naming that run. Whole seconds, 0–86400 (0: fail at once).
     *  @default 600 */
    readonly lockTimeoutSeconds?: number;
    /** Scheduled pruning; removing it removes the timer.
     *  @default - no scheduled pruning */
    readonly prune?: PruneSchedule;
    /** Read the host's live daemon.json, drop-in and `docker info` over SSH during preview and up, warn
     *  per key about changes made outside Pulumi, and make the apply step restore them.
     *  @default false */
    readonly detectDrift?: boolean;
    /** Serve the Docker API over TCP with TLS client verification (tlsverify), using these PEMs.
     *  @default - no TLS socket */
    readonly tlsCertificates?: TlsCertificates;
    /** ip:port of the TLS socket.
     *  @default "0.0.0.0:2376" */
    readonly tlsListenAddress?: string;
}

/** Wraps every field of T (one level) in pulumi.Input. */
export type Inputs<T> = { readonly [K in keyof T]: pulumi.Input<T[K]> };

/** Arguments of the DockerHost component. */
export interface DockerHostArgs {
    /** How to reach the host over SSH. The private key should be a secret (pulumi.secret or a secret config). */
    readonly connection: pulumi.Input<Inputs<SshConnection>>;
    /** A dedicated disk to mount for data-root.
     *  @default - data-root stays where it is (or moves to `daemon.dataRoot` on an existing filesystem) */
    readonly dataDisk?: pulumi.Input<Inputs<DataDisk>>;
    /** Daemon settings rendered into daemon.json, on top of the documented defaults.
     *  @default - overlay2, json-file logs bounded at 10m × 3, live-restore on */
    readonly daemon?: pulumi.Input<Inputs<DaemonSettings>>;
    /** Accept a tcp:// listener off loopback without TLS verification.
     *  @default false */
    readonly allowInsecureTcp?: pulumi.Input<boolean>;
    /** Seconds to wait for dockerd after a reload or restart before rolling back.
     *  @default 60 */
    readonly dockerReadyTimeoutSeconds?: pulumi.Input<number>;
    /** Seconds a step waits for another docker-host run on the same host (the host lock) before it fails;
     *  0–86400 (0: fail at once).
     *  @default 600 */
    readonly lockTimeoutSeconds?: pulumi.Input<number>;
    /** Scheduled pruning (a systemd timer); removing it removes the timer.
     *  @default - no scheduled pruning */
    readonly prune?: pulumi.Input<Inputs<PruneSchedule>>;
    /** Check the host for changes made outside Pulumi during preview and up (warnings per key), and
     *  restore them on up. Each check is one SSH session, bounded to 20 s.
     *  @default false */
    readonly detectDrift?: pulumi.Input<boolean>;
    /** Serve the Docker API over TCP with TLS client verification, using these PEMs (pass the key as a
     *  secret). Rotating them re-runs the apply step, which restarts dockerd.
     *  @default - no TLS socket */
    readonly tlsCertificates?: pulumi.Input<Inputs<TlsCertificates>>;
    /** ip:port of the TLS socket.
     *  @default "0.0.0.0:2376" */
    readonly tlsListenAddress?: pulumi.Input<string>;
}
