// Typed Docker daemon settings, their defaults, and the table that maps each one to its daemon.json key
// and to how dockerd picks up a change (SIGHUP reload or full restart).
//
// The table is the single source for the renderer, the validator's "did you mean", the activation
// classifier and the README's configuration reference (tests/unit/readme.test.ts keeps them equal).
// Docker's own list of daemon.json keys, with their types and Engine versions, is in daemonKeys.ts.

/** Storage drivers the gate can require. overlay2 is the only one most operators should use. */
export const STORAGE_DRIVERS = [
    "overlay2", // the default on every supported kernel; needs a backing fs with d_type (xfs ftype=1, ext4)
    "btrfs", // only when data-root lives on btrfs
    "zfs", // only when data-root lives on zfs
    "fuse-overlayfs", // rootless setups
] as const;
export type StorageDriver = (typeof STORAGE_DRIVERS)[number];

/** Logging drivers dockerd ships with. */
export const LOG_DRIVERS = [
    "json-file", // the default; files under <data-root>/containers/<id>/, bounded by logMaxSize/logMaxFiles
    "local", // compact, rotated by default
    "journald",
    "syslog",
    "fluentd",
    "gelf",
    "awslogs",
    "splunk",
    "gcplogs",
    "none",
] as const;
export type LogDriver = (typeof LOG_DRIVERS)[number];

/** Log drivers whose files live on the host and honour max-size / max-file / compress. */
export const FILE_LOG_DRIVERS: readonly LogDriver[] = ["json-file", "local"];

/** One address pool for user-defined networks ("default-address-pools"). */
export interface AddressPool {
    /** CIDR the pool is carved from, e.g. "10.200.0.0/16". */
    readonly base: string;
    /** Prefix length of each network taken from the pool, e.g. 24. */
    readonly size: number;
}

/**
 * Docker daemon settings, rendered into /etc/docker/daemon.json.
 * Every field is optional; unset fields are left out of daemon.json (dockerd's own default applies)
 * unless a default is documented here.
 */
export interface DaemonSettings {
    /** Where Docker keeps images, containers and volumes ("data-root"). Absolute path.
     *  @default - `<dataDisk.mountPoint>/docker` when a data disk is set, else unset (/var/lib/docker) */
    readonly dataRoot?: string;
    /** Storage driver Docker must use ("storage-driver"); the gate refuses a host that runs another one.
     *  @default "overlay2" */
    readonly storageDriver?: StorageDriver;
    /** Registry mirrors tried before Docker Hub ("registry-mirrors"), e.g. a pull-through cache. http(s) URLs.
     *  @default - none */
    readonly registryMirrors?: readonly string[];
    /** Registries reached without TLS verification ("insecure-registries"): host[:port] or CIDR.
     *  @default - none */
    readonly insecureRegistries?: readonly string[];
    /** Sockets dockerd listens on ("hosts"): unix:///path, tcp://addr:port or fd://. Setting it makes the
     *  component rewrite docker.service's ExecStart without -H (the flag and the key may not both be set).
     *  A tcp:// listener off loopback needs tlsVerify and the three TLS paths, or allowInsecureTcp.
     *  @default - unset (the unit's -H fd://) */
    readonly hosts?: readonly string[];
    /** DNS servers for containers, tried in order ("dns"). IP addresses.
     *  @default - the host's resolv.conf */
    readonly dns?: readonly string[];
    /** DNS search domains for containers ("dns-search").
     *  @default - none */
    readonly dnsSearch?: readonly string[];
    /** resolv.conf options for containers ("dns-opts"), e.g. "ndots:2", "timeout:3".
     *  @default - none */
    readonly dnsOptions?: readonly string[];
    /** Parallel layer downloads per pull ("max-concurrent-downloads"). 1–64.
     *  @default - dockerd's 3 */
    readonly maxConcurrentDownloads?: number;
    /** Parallel layer uploads per push ("max-concurrent-uploads"). 1–64.
     *  @default - dockerd's 5 */
    readonly maxConcurrentUploads?: number;
    /** Logging driver for new containers ("log-driver").
     *  @default "json-file" */
    readonly logDriver?: LogDriver;
    /** Size at which a container's log file is rotated ("log-opts"."max-size"): a whole number and k, m or g.
     *  Only for json-file and local.
     *  @default "10m" */
    readonly logMaxSize?: string;
    /** Rotated log files kept per container ("log-opts"."max-file"). Only for json-file and local.
     *  @default 3 */
    readonly logMaxFiles?: number;
    /** Compress rotated log files ("log-opts"."compress"). Only for json-file and local.
     *  @default - unset (dockerd: false for json-file, true for local) */
    readonly logCompress?: boolean;
    /** Keep containers running while dockerd restarts ("live-restore").
     *  @default true */
    readonly liveRestore?: boolean;
    /** Address pools for user-defined networks ("default-address-pools").
     *  @default - dockerd's built-in pools */
    readonly defaultAddressPools?: readonly AddressPool[];
    /** User namespace remapping ("userns-remap"): "default" or user[:group]. Changing it hides existing
     *  images and containers (dockerd uses a separate sub-directory of data-root).
     *  @default - unset (no remapping) */
    readonly usernsRemap?: string;
    /** Seconds dockerd waits for containers to stop on shutdown ("shutdown-timeout").
     *  @default - dockerd's 15 */
    readonly shutdownTimeoutSeconds?: number;
    /** Feature flags ("features"), e.g. { buildkit: true }.
     *  @default - none */
    readonly features?: Readonly<Record<string, boolean>>;
    /** Address of the Prometheus metrics endpoint ("metrics-addr"), ip:port.
     *  @default - unset (no endpoint) */
    readonly metricsAddress?: string;
    /** Daemon labels ("labels"), each "key=value".
     *  @default - none */
    readonly labels?: readonly string[];
    /** Serve the TCP socket over TLS ("tls").
     *  @default - unset */
    readonly tls?: boolean;
    /** Require client certificates signed by tlsCaCertPath ("tlsverify").
     *  @default - unset */
    readonly tlsVerify?: boolean;
    /** CA certificate clients must be signed by ("tlscacert"). Absolute path on the host.
     *  @default - unset */
    readonly tlsCaCertPath?: string;
    /** Server certificate ("tlscert"). Absolute path on the host.
     *  @default - unset */
    readonly tlsCertPath?: string;
    /** Server private key ("tlskey"). Absolute path on the host.
     *  @default - unset */
    readonly tlsKeyPath?: string;
    /** Debug logging ("debug").
     *  @default - unset (false) */
    readonly debug?: boolean;
    /** Any other documented daemon.json key, verbatim (kebab-case key → JSON value). Keys and the JSON
     *  types of their values are checked against Docker's reference (daemonKeys.ts); a key that has a
     *  typed setting above must be set there; a key newer than the host's Engine is refused by the gate.
     *  @default - none */
    readonly extra?: Readonly<Record<string, unknown>>;
}

/** How dockerd picks up a changed key. */
export type Activation = "reload" | "restart";

/** One row of the settings table. */
export interface SettingSpec {
    /** Field of DaemonSettings. */
    readonly setting: keyof DaemonSettings;
    /** Top-level daemon.json key the field renders into. */
    readonly daemonKey: string;
    /** The default as shown in the README ("-" when unset). */
    readonly defaultText: string;
    /** One-line summary for the README. */
    readonly summary: string;
}

/** Defaults an operator expects; applied under the user's settings. */
export const DAEMON_DEFAULTS = {
    storageDriver: "overlay2",
    logDriver: "json-file",
    logMaxSize: "10m",
    logMaxFiles: 3,
    liveRestore: true,
} as const satisfies Partial<DaemonSettings>;

/** Default mount point of the data disk; data-root defaults to `<mountPoint>/docker`. */
export const DEFAULT_MOUNT_POINT = "/data";

/**
 * daemon.json keys dockerd re-reads on SIGHUP (`systemctl reload docker`); a change to any other key,
 * or to the docker.service drop-ins, needs a restart. Source: dockerd's reload documentation.
 * components/dockerHost/scripts/lib.sh carries the same list (tests/unit/scripts.test.ts checks).
 */
export const RELOADABLE_DAEMON_KEYS: readonly string[] = [
    "authorization-plugins",
    "debug",
    "default-runtime",
    "features",
    "insecure-registries",
    "labels",
    "live-restore",
    "max-concurrent-downloads",
    "max-concurrent-uploads",
    "max-download-attempts",
    "registry-mirrors",
    "runtimes",
    "shutdown-timeout",
];

export function activationOf(daemonKey: string): Activation {
    return RELOADABLE_DAEMON_KEYS.includes(daemonKey) ? "reload" : "restart";
}

/** The typed settings, in README order. log-opts is rendered from three fields. */
export const SETTINGS: readonly SettingSpec[] = [
    { setting: "dataRoot", daemonKey: "data-root", defaultText: "`<mountPoint>/docker` with a data disk, else unset", summary: "where images, containers and volumes live" },
    { setting: "storageDriver", daemonKey: "storage-driver", defaultText: "`overlay2`", summary: "driver the gate requires and dockerd uses" },
    { setting: "registryMirrors", daemonKey: "registry-mirrors", defaultText: "-", summary: "http(s) mirror URLs, e.g. a pull-through cache" },
    { setting: "insecureRegistries", daemonKey: "insecure-registries", defaultText: "-", summary: "host[:port] or CIDR reached without TLS verification" },
    { setting: "hosts", daemonKey: "hosts", defaultText: "- (unit's `-H fd://`)", summary: "listeners; setting it rewrites ExecStart without `-H`" },
    { setting: "dns", daemonKey: "dns", defaultText: "-", summary: "DNS servers for containers, tried in order" },
    { setting: "dnsSearch", daemonKey: "dns-search", defaultText: "-", summary: "DNS search domains" },
    { setting: "dnsOptions", daemonKey: "dns-opts", defaultText: "-", summary: "resolv.conf options, e.g. `ndots:2`" },
    { setting: "maxConcurrentDownloads", daemonKey: "max-concurrent-downloads", defaultText: "- (dockerd: 3)", summary: "parallel layer downloads per pull, 1–64" },
    { setting: "maxConcurrentUploads", daemonKey: "max-concurrent-uploads", defaultText: "- (dockerd: 5)", summary: "parallel layer uploads per push, 1–64" },
    { setting: "logDriver", daemonKey: "log-driver", defaultText: "`json-file`", summary: "logging driver for new containers" },
    { setting: "logMaxSize", daemonKey: "log-opts", defaultText: "`10m`", summary: "`max-size`: rotate a container log at this size (k, m, g)" },
    { setting: "logMaxFiles", daemonKey: "log-opts", defaultText: "`3`", summary: "`max-file`: rotated files kept per container" },
    { setting: "logCompress", daemonKey: "log-opts", defaultText: "-", summary: "`compress`: gzip rotated files" },
    { setting: "liveRestore", daemonKey: "live-restore", defaultText: "`true`", summary: "containers keep running while dockerd restarts" },
    { setting: "defaultAddressPools", daemonKey: "default-address-pools", defaultText: "-", summary: "`[{base, size}]` pools for user networks" },
    { setting: "usernsRemap", daemonKey: "userns-remap", defaultText: "-", summary: "`default` or user[:group]; hides existing images" },
    { setting: "shutdownTimeoutSeconds", daemonKey: "shutdown-timeout", defaultText: "- (dockerd: 15)", summary: "seconds to wait for containers on shutdown" },
    { setting: "features", daemonKey: "features", defaultText: "-", summary: "feature flags, e.g. `{buildkit: true}`" },
    { setting: "metricsAddress", daemonKey: "metrics-addr", defaultText: "-", summary: "Prometheus endpoint, ip:port" },
    { setting: "labels", daemonKey: "labels", defaultText: "-", summary: "daemon labels, `key=value`" },
    { setting: "tls", daemonKey: "tls", defaultText: "-", summary: "serve TCP over TLS" },
    { setting: "tlsVerify", daemonKey: "tlsverify", defaultText: "-", summary: "require client certificates" },
    { setting: "tlsCaCertPath", daemonKey: "tlscacert", defaultText: "-", summary: "CA certificate path on the host" },
    { setting: "tlsCertPath", daemonKey: "tlscert", defaultText: "-", summary: "server certificate path on the host" },
    { setting: "tlsKeyPath", daemonKey: "tlskey", defaultText: "-", summary: "server key path on the host" },
    { setting: "debug", daemonKey: "debug", defaultText: "-", summary: "debug logging" },
    { setting: "extra", daemonKey: "(any documented key)", defaultText: "-", summary: "other documented daemon.json keys, verbatim" },
];
