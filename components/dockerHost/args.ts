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
}
