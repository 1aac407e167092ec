// The typed daemon settings, one row each: the daemon.json key a setting renders into, the shape of its value
// (the validator's first check), its README line, plus the defaults and how dockerd picks up a change (SIGHUP
// reload or restart). The rows are keyed by keyof DaemonSettings (args.ts), so a setting without a row, or a
// row without a setting, does not compile; the renderer (daemonJson.ts), the validator (validate/schema.ts
// builds the daemon shape from the rows and asserts it infers DaemonSettings exactly; validate/daemon.ts),
// the activation classifier and the README's table (reference.ts; tests/unit/readme.test.ts) all read them.
// Docker's own list of daemon.json keys, with their types and Engine versions, is daemonKeys.table.json.
import { z } from "zod";
import { DaemonSettings, LogDriver, Resolved, StorageDriver } from "./args";
import { RELOADABLE_DAEMON_KEYS } from "./hostConstants";

/** How dockerd picks up a changed key. */
export type Activation = "reload" | "restart";

/** One row of the settings table. */
export interface SettingSpec {
    /** The top-level daemon.json key the setting renders into ("log-opts" for the log options). Absent for
     *  extra, whose own keys are daemon.json keys. */
    readonly daemonKey?: string;
    /** The log option it sets inside "log-opts" (rendered as a string: dockerd wants every value there one). */
    readonly logOpt?: "max-size" | "max-file" | "compress";
    /** The shape of its value (every setting is optional). */
    readonly shape: z.ZodType;
    /** The default as the README shows it, where it is not a value of DAEMON_DEFAULTS.
     *  @default - the DAEMON_DEFAULTS value in backquotes, else "-" */
    readonly defaultText?: string;
    /** One-line summary for the README. */
    readonly summary: string;
}

const strings = z.array(z.string());
const wholeNumber = (min: number, max: number) => z.number().int().min(min).max(max);

/** The typed settings, in README order. */
export const SETTINGS = {
    dataRoot: { daemonKey: "data-root", shape: z.string(), defaultText: "`<mountPoint>/docker` with a data disk, else unset", summary: "where images, containers and volumes live" },
    storageDriver: { daemonKey: "storage-driver", shape: z.enum(StorageDriver), summary: "driver the gate requires and dockerd uses" },
    registryMirrors: { daemonKey: "registry-mirrors", shape: strings, summary: "http(s) mirror URLs, e.g. a pull-through cache" },
    insecureRegistries: { daemonKey: "insecure-registries", shape: strings, summary: "host[:port] or CIDR reached without TLS verification" },
    maxConcurrentDownloads: { daemonKey: "max-concurrent-downloads", shape: wholeNumber(1, 64), defaultText: "- (dockerd: 3)", summary: "parallel layer downloads per pull, 1–64" },
    maxConcurrentUploads: { daemonKey: "max-concurrent-uploads", shape: wholeNumber(1, 64), defaultText: "- (dockerd: 5)", summary: "parallel layer uploads per push, 1–64" },
    hosts: { daemonKey: "hosts", shape: strings, defaultText: "- (unit's `-H fd://`)", summary: "listeners; setting it rewrites ExecStart without `-H`" },
    dns: { daemonKey: "dns", shape: strings, summary: "DNS servers for containers, tried in order" },
    dnsSearch: { daemonKey: "dns-search", shape: strings, summary: "DNS search domains" },
    dnsOptions: { daemonKey: "dns-opts", shape: strings, summary: "resolv.conf options, e.g. `ndots:2`" },
    defaultAddressPools: {
        daemonKey: "default-address-pools",
        shape: z.array(z.strictObject({ base: z.string(), size: z.number().int() })),
        summary: "`[{base, size}]` pools for user networks",
    },
    metricsAddress: { daemonKey: "metrics-addr", shape: z.string(), summary: "Prometheus endpoint, ip:port" },
    logDriver: { daemonKey: "log-driver", shape: z.enum(LogDriver), summary: "logging driver for new containers" },
    logMaxSize: { daemonKey: "log-opts", logOpt: "max-size", shape: z.string(), summary: "`max-size`: rotate a container log at this size (k, m, g)" },
    logMaxFiles: { daemonKey: "log-opts", logOpt: "max-file", shape: wholeNumber(1, 100), summary: "`max-file`: rotated files kept per container" },
    logCompress: { daemonKey: "log-opts", logOpt: "compress", shape: z.boolean(), summary: "`compress`: gzip rotated files" },
    labels: { daemonKey: "labels", shape: strings, summary: "daemon labels, `key=value`" },
    liveRestore: { daemonKey: "live-restore", shape: z.boolean(), summary: "containers keep running while dockerd restarts" },
    usernsRemap: { daemonKey: "userns-remap", shape: z.string(), summary: "`default` or user[:group]; hides existing images" },
    shutdownTimeoutSeconds: { daemonKey: "shutdown-timeout", shape: wholeNumber(0, 3600), defaultText: "- (dockerd: 15)", summary: "seconds to wait for containers on shutdown" },
    debug: { daemonKey: "debug", shape: z.boolean(), summary: "debug logging" },
    features: { daemonKey: "features", shape: z.record(z.string(), z.boolean()), summary: "feature flags, e.g. `{buildkit: true}`; `containerd-snapshotter: true` is refused (images would live outside data-root)" },
    extra: { shape: z.record(z.string(), z.any()), summary: "other documented daemon.json keys, verbatim" },
} as const satisfies { readonly [K in keyof DaemonSettings]-?: SettingSpec };

/** The names of the typed settings, in README order. */
export type SettingName = keyof typeof SETTINGS;
export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

/** The rows as [name, spec] pairs, in README order. */
export function settingRows(): [SettingName, SettingSpec][] {
    return SETTING_NAMES.map((name) => [name, SETTINGS[name]]);
}

/** Defaults an operator expects; applied under the user's settings. */
export const DAEMON_DEFAULTS = {
    storageDriver: StorageDriver.Overlay2,
    logDriver: LogDriver.JsonFile,
    logMaxSize: "10m",
    logMaxFiles: 3,
    liveRestore: true,
} as const satisfies Partial<Resolved<DaemonSettings>>;

/** The default of a setting as the README shows it. */
export function defaultText(name: SettingName): string {
    const spec: SettingSpec = SETTINGS[name];
    if (spec.defaultText !== undefined) return spec.defaultText;
    return Object.hasOwn(DAEMON_DEFAULTS, name) ? `\`${String(DAEMON_DEFAULTS[name as keyof typeof DAEMON_DEFAULTS])}\`` : "-";
}

/** Log drivers whose files live on the host and honour max-size / max-file / compress. */
export const FILE_LOG_DRIVERS: readonly LogDriver[] = [LogDriver.JsonFile, LogDriver.Local];

/** The typed settings that render into a daemon.json key (every one but extra), by that key. */
export function settingsOfDaemonKey(daemonKey: string): SettingName[] {
    return settingRows().flatMap(([name, spec]) => (spec.daemonKey === daemonKey ? [name] : []));
}

/**
 * Settings that were typed settings once and are refused now, with the way forward. TLS has one way in:
 * tlsCertificates, which stages the material on the host and sets tls, tlsverify and the three paths itself.
 */
export const RETIRED_SETTINGS: Readonly<Record<string, string>> = Object.fromEntries(
    ["tls", "tlsVerify", "tlsCaCertPath", "tlsCertPath", "tlsKeyPath"].map((name) => [
        name,
        `is not a daemon setting: TLS is configured with tlsCertificates, which stages the material on the host and writes tls, tlsverify and the three paths itself. Fix: remove daemon.${name} and set tlsCertificates ({caCertPem, serverCertPem, serverKeyPem}; npm run tls makes them).`,
    ]),
);

export { RELOADABLE_DAEMON_KEYS };

export function activationOf(daemonKey: string): Activation {
    return RELOADABLE_DAEMON_KEYS.includes(daemonKey) ? "reload" : "restart";
}
