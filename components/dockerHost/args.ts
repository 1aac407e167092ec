// The one declaration of a host's configuration: the DockerHost component's Args, every field documented here
// and nowhere else. Everything else follows from these interfaces and is checked against them by the
// compiler: the resolved types (Resolved<…>, below), the validator's shapes (validate/schema.ts asserts its
// zod schemas infer exactly these types), the daemon settings table (daemonSettings.ts, keyed by
// keyof DaemonSettings), the stack configuration's keys (stackConfig.ts), the README tables (reference.ts)
// and the Pulumi schema (schema.json, inferred from these interfaces by Pulumi's analyzer: explicit
// interfaces, Input<> fields, `as const` enums, plain arrays; see scripts/schema.ts).
import * as pulumi from "@pulumi/pulumi";

/** One SSH hop, the host or its bastion: where it is, who logs in, and its pinned host key. */
export interface SshEndpoint {
    /** Address (IP or DNS name). */
    readonly host: pulumi.Input<string>;
    /** SSH port.
     *  @default 22 */
    readonly port?: pulumi.Input<number>;
    /** Login user. On the host, anything but root runs every step through `sudo -n`, so it needs
     *  passwordless sudo.
     *  @default "root" */
    readonly user?: pulumi.Input<string>;
    /** The SSH host key, pinned: an OpenSSH public key line ("ssh-ed25519 AAAA…", as in
     *  /etc/ssh/ssh_host_ed25519_key.pub or a known_hosts line). Every step, the drift probe and the docker
     *  provider's ssh then refuse a machine that answers with another key, before any command runs.
     *  ed25519 or ECDSA; RSA is refused (see hostKey.ts). `npm run host-keys` scans and pins them.
     *  @default - not pinned: a preview warns, and whatever answers at the address is trusted */
    readonly hostKey?: pulumi.Input<string>;
}

/** A jump host the SSH connection goes through. */
export interface BastionConnection extends SshEndpoint {
    /** Private key for the bastion (OpenSSH or PEM, unencrypted); pass it as a secret.
     *  @default - the host's privateKey */
    readonly privateKey?: pulumi.Input<string>;
}

/** How to reach the host over SSH. */
export interface SshConnection extends SshEndpoint {
    /** Private key (OpenSSH or PEM, unencrypted); pass it as a secret. Never an output. */
    readonly privateKey: pulumi.Input<string>;
    /** A jump host to go through.
     *  @default - a direct connection */
    readonly bastion?: pulumi.Input<BastionConnection>;
}

/** Filesystems the data disk may carry. */
export const DataDiskFilesystem = {
    /** The default; created with ftype=1, which overlay2 needs. */
    Xfs: "xfs",
    /** ext4. */
    Ext4: "ext4",
} as const;
export type DataDiskFilesystem = (typeof DataDiskFilesystem)[keyof typeof DataDiskFilesystem];

/** A dedicated disk for Docker's data-root. */
export interface DataDisk {
    /** Block device, e.g. "/dev/vdb". It is formatted only when it carries no filesystem or partition
     *  signature at all; one with the requested filesystem is reused; anything else is refused. */
    readonly device: pulumi.Input<string>;
    /** Filesystem to create or expect.
     *  @default "xfs" */
    readonly filesystem?: pulumi.Input<DataDiskFilesystem>;
    /** Where the disk is mounted (by a systemd .mount unit); an absolute path. data-root defaults to
     *  `<mountPoint>/docker`.
     *  @default "/data" */
    readonly mountPoint?: pulumi.Input<string>;
}

/** The PEMs a TLS-protected TCP socket needs (`npm run tls` makes them). Each set is staged on the host in
 *  its own directory, named by its digest, and checked before it is used. */
export interface TlsCertificates {
    /** CA certificate that signs the client certificates dockerd accepts (and the server certificate). */
    readonly caCertPem: pulumi.Input<string>;
    /** Server certificate; its names must cover how clients reach the host. */
    readonly serverCertPem: pulumi.Input<string>;
    /** Server private key; pass it as a secret. It is copied to the host with mode 0600, never an output. */
    readonly serverKeyPem: pulumi.Input<string>;
}

/** One address pool for user-defined networks ("default-address-pools"). */
export interface AddressPool {
    /** CIDR the pool is carved from, e.g. "10.200.0.0/16". */
    readonly base: pulumi.Input<string>;
    /** Prefix length of each network taken from the pool, e.g. 24. */
    readonly size: pulumi.Input<number>;
}

/** Scheduled pruning of unused Docker data (a systemd timer on the host). */
export interface PruneSchedule {
    /** When to run, as a systemd calendar expression (man systemd.time).
     *  @default "weekly" */
    readonly schedule?: pulumi.Input<string>;
    /** Up to this many seconds are added to each run at random, so hosts do not all prune at once.
     *  @default 3600 */
    readonly randomizedDelaySeconds?: pulumi.Input<number>;
    /** Only objects created longer ago than this are pruned (docker's `until` filter), e.g. "168h".
     *  @default "168h" */
    readonly olderThan?: pulumi.Input<string>;
    /** Objects carrying this label key are never pruned.
     *  @default "docker-host.keep" */
    readonly keepLabel?: pulumi.Input<string>;
    /** Also prune unused volumes. Volumes hold data; leave this off unless you mean it.
     *  @default false */
    readonly volumes?: pulumi.Input<boolean>;
}

/** Storage drivers the gate can require. overlay2 is the only one most operators should use. */
export const StorageDriver = {
    /** The default on every supported kernel; needs a backing filesystem with d_type (xfs ftype=1, ext4). */
    Overlay2: "overlay2",
    /** Only when data-root lives on btrfs. */
    Btrfs: "btrfs",
    /** Only when data-root lives on zfs. */
    Zfs: "zfs",
    /** Rootless setups. */
    FuseOverlayfs: "fuse-overlayfs",
} as const;
export type StorageDriver = (typeof StorageDriver)[keyof typeof StorageDriver];

/** Logging drivers dockerd ships with. */
export const LogDriver = {
    /** The default; files under <data-root>/containers/<id>/, bounded by logMaxSize and logMaxFiles. */
    JsonFile: "json-file",
    /** Compact files, rotated by default. */
    Local: "local",
    /** The systemd journal. */
    Journald: "journald",
    /** A syslog server. */
    Syslog: "syslog",
    /** A fluentd collector. */
    Fluentd: "fluentd",
    /** A GELF endpoint (Graylog, Logstash). */
    Gelf: "gelf",
    /** Amazon CloudWatch Logs. */
    Awslogs: "awslogs",
    /** Splunk's HTTP Event Collector. */
    Splunk: "splunk",
    /** Google Cloud Logging. */
    Gcplogs: "gcplogs",
    /** No logs kept. */
    None: "none",
} as const;
export type LogDriver = (typeof LogDriver)[keyof typeof LogDriver];

/**
 * Docker daemon settings, rendered into /etc/docker/daemon.json on top of the documented defaults. Every
 * field is optional; an unset field is left out of daemon.json (dockerd's own default applies) unless a
 * default is documented here. Each field's daemon.json key and how dockerd picks up a change are in
 * daemonSettings.ts (SETTINGS). TLS is not set here but with the host's tlsCertificates.
 */
export interface DaemonSettings {
    /** Where Docker keeps images, containers and volumes ("data-root"); an absolute path.
     *  @default - `<dataDisk.mountPoint>/docker` with a data disk, else unset (/var/lib/docker) */
    readonly dataRoot?: pulumi.Input<string>;
    /** Storage driver Docker must use ("storage-driver"); the gate refuses a host that runs another one.
     *  @default "overlay2" */
    readonly storageDriver?: pulumi.Input<StorageDriver>;
    /** Registry mirrors tried before Docker Hub ("registry-mirrors"), e.g. a pull-through cache; http(s) URLs.
     *  @default - none */
    readonly registryMirrors?: pulumi.Input<pulumi.Input<string>[]>;
    /** Registries reached without TLS verification ("insecure-registries"): host[:port] or CIDR.
     *  @default - none */
    readonly insecureRegistries?: pulumi.Input<pulumi.Input<string>[]>;
    /** Parallel layer downloads per pull ("max-concurrent-downloads"), 1–64.
     *  @default - dockerd's 3 */
    readonly maxConcurrentDownloads?: pulumi.Input<number>;
    /** Parallel layer uploads per push ("max-concurrent-uploads"), 1–64.
     *  @default - dockerd's 5 */
    readonly maxConcurrentUploads?: pulumi.Input<number>;
    /** Sockets dockerd listens on ("hosts"): unix:///path, tcp://addr:port or fd://. Setting it makes the
     *  component rewrite docker.service's ExecStart without -H (the flag and the key may not both be set).
     *  A tcp:// listener off loopback needs tlsCertificates, or allowInsecureTcp.
     *  @default - unset (the unit's -H fd://) */
    readonly hosts?: pulumi.Input<pulumi.Input<string>[]>;
    /** DNS servers for containers, tried in order ("dns"); IP addresses.
     *  @default - the host's resolv.conf */
    readonly dns?: pulumi.Input<pulumi.Input<string>[]>;
    /** DNS search domains for containers ("dns-search").
     *  @default - none */
    readonly dnsSearch?: pulumi.Input<pulumi.Input<string>[]>;
    /** resolv.conf options for containers ("dns-opts"), e.g. "ndots:2", "timeout:3".
     *  @default - none */
    readonly dnsOptions?: pulumi.Input<pulumi.Input<string>[]>;
    /** Address pools for user-defined networks ("default-address-pools").
     *  @default - dockerd's built-in pools */
    readonly defaultAddressPools?: pulumi.Input<pulumi.Input<AddressPool>[]>;
    /** Address of the Prometheus metrics endpoint ("metrics-addr"), ip:port.
     *  @default - unset (no endpoint) */
    readonly metricsAddress?: pulumi.Input<string>;
    /** Logging driver for new containers ("log-driver").
     *  @default "json-file" */
    readonly logDriver?: pulumi.Input<LogDriver>;
    /** Size at which a container's log file is rotated ("log-opts"."max-size"): a whole number and k, m or
     *  g. Only for json-file and local.
     *  @default "10m" */
    readonly logMaxSize?: pulumi.Input<string>;
    /** Rotated log files kept per container ("log-opts"."max-file"), 1–100. Only for json-file and local.
     *  @default 3 */
    readonly logMaxFiles?: pulumi.Input<number>;
    /** Compress rotated log files ("log-opts"."compress"). Only for json-file and local.
     *  @default - unset (dockerd: false for json-file, true for local) */
    readonly logCompress?: pulumi.Input<boolean>;
    /** Daemon labels ("labels"), each "key=value".
     *  @default - none */
    readonly labels?: pulumi.Input<pulumi.Input<string>[]>;
    /** Keep containers running while dockerd restarts ("live-restore").
     *  @default true */
    readonly liveRestore?: pulumi.Input<boolean>;
    /** User namespace remapping ("userns-remap"): "default" or user[:group]. Changing it hides existing
     *  images and containers (dockerd uses a separate sub-directory of data-root).
     *  @default - unset (no remapping) */
    readonly usernsRemap?: pulumi.Input<string>;
    /** Seconds dockerd waits for containers to stop on shutdown ("shutdown-timeout"), 0–3600.
     *  @default - dockerd's 15 */
    readonly shutdownTimeoutSeconds?: pulumi.Input<number>;
    /** Debug logging ("debug").
     *  @default - unset (false) */
    readonly debug?: pulumi.Input<boolean>;
    /** Feature flags ("features"), e.g. { buildkit: true }. "containerd-snapshotter": true is refused: the
     *  containerd image store keeps images outside data-root.
     *  @default - none */
    readonly features?: pulumi.Input<{ readonly [name: string]: pulumi.Input<boolean> }>;
    /** Any other documented daemon.json key, verbatim: kebab-case key → the JSON value dockerd decodes. Keys
     *  and the JSON types of their values are checked against Docker's reference (daemonKeys.table.json); a key
     *  that has a typed setting above must be set there; a key newer than the host's Engine is refused by
     *  the gate.
     *  @default - none */
    // `any`: the values are JSON of any type (each key's own, checked by the validator); the only `any` of the
    // Args, so that Pulumi's schema says "any JSON value" (pulumi.json#/Any) to other languages.
    readonly extra?: pulumi.Input<{ readonly [key: string]: any }>;
}

/** Arguments of the DockerHost component. */
export interface DockerHostArgs {
    /** How to reach the host over SSH. Pass the private key as a secret (pulumi.secret or a secret config). */
    readonly connection: pulumi.Input<SshConnection>;
    /** A dedicated disk to format (only when blank), mount and put data-root on.
     *  @default - data-root stays where it is (or moves to daemon.dataRoot on an existing filesystem) */
    readonly dataDisk?: pulumi.Input<DataDisk>;
    /** Daemon settings rendered into daemon.json, on top of the documented defaults.
     *  @default - overlay2, json-file logs bounded at 10m × 3, live-restore on */
    readonly daemon?: pulumi.Input<DaemonSettings>;
    /** Accept a tcp:// listener off loopback without TLS verification. Anyone who reaches that port is root
     *  on the host; leave it false unless a firewall you trust stands in front.
     *  @default false */
    readonly allowInsecureTcp?: pulumi.Input<boolean>;
    /** Seconds to wait for dockerd to answer after a reload or restart before rolling back, 5–3600.
     *  @default 60 */
    readonly dockerReadyTimeoutSeconds?: pulumi.Input<number>;
    /** Seconds a step waits for another docker-host run on the same host (the host lock) before it fails,
     *  naming that run; 0–86400 (0: fail at once).
     *  @default 600 */
    readonly lockTimeoutSeconds?: pulumi.Input<number>;
    /** Scheduled pruning (a systemd timer); removing it removes the timer.
     *  @default - no scheduled pruning */
    readonly prune?: pulumi.Input<PruneSchedule>;
    /** Read the host's live daemon.json, drop-in and `docker info` over SSH during preview and up (one
     *  session, bounded to 20 s), warn per key about changes made outside Pulumi, and make the apply step
     *  restore them.
     *  @default false */
    readonly detectDrift?: pulumi.Input<boolean>;
    /** Serve the Docker API over TCP with TLS client verification (tlsverify), using these PEMs (pass the key
     *  as a secret). Rotating them re-runs the apply step, which restarts dockerd.
     *  @default - no TLS socket */
    readonly tlsCertificates?: pulumi.Input<TlsCertificates>;
    /** ip:port of the TLS socket (only with tlsCertificates).
     *  @default "0.0.0.0:2376" */
    readonly tlsListenAddress?: pulumi.Input<string>;
}

type IsAny<T> = 0 extends 1 & T ? true : false;

/**
 * The resolved form of an Args type: every Input, at any depth, replaced by its value (what validation
 * returns, what the plan and the host scripts' parameters are made of).
 */
export type Resolved<T> =
    IsAny<T> extends true
        ? T
        : T extends pulumi.OutputInstance<infer U>
          ? Resolved<U>
          : T extends Promise<infer U>
            ? Resolved<U>
            : T extends readonly (infer E)[]
              ? Resolved<E>[]
              : T extends object
                ? { -readonly [K in keyof T]: Resolved<T[K]> }
                : T;

/** A host's whole configuration, resolved. */
export type DockerHostConfig = Resolved<DockerHostArgs>;

/** The parts of a configuration that hold secrets (the SSH keys, the TLS key): validated on their own and
 *  never handed to the plan. */
export const SECRET_PARTS = ["connection", "tlsCertificates"] as const satisfies readonly (keyof DockerHostArgs)[];

/** A host's plain settings: everything but the secret parts. What the plan takes. */
export type HostSettings = Omit<DockerHostConfig, (typeof SECRET_PARTS)[number]>;

/** Defaults of DataDisk. */
export const DATA_DISK_DEFAULTS = {
    filesystem: DataDiskFilesystem.Xfs,
    mountPoint: "/data",
} as const satisfies Required<Omit<Resolved<DataDisk>, "device">>;

/** Defaults of PruneSchedule. */
export const PRUNE_DEFAULTS = {
    schedule: "weekly",
    randomizedDelaySeconds: 3600,
    olderThan: "168h",
    keepLabel: "docker-host.keep",
    volumes: false,
} as const satisfies Required<Resolved<PruneSchedule>>;

/** Default address of the TLS socket. */
export const DEFAULT_TLS_LISTEN_ADDRESS = "0.0.0.0:2376";
