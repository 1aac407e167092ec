// Pure renderer: typed settings in, daemon.json text out. Deterministic: keys sorted at every level
// (lists keep their order), 2-space indent, trailing newline. The host scripts rely on that shape
// ("canonical": one top-level key per line that starts with exactly two spaces and a quote).
import { createHash } from "node:crypto";
import { DEFAULT_TLS_LISTEN_ADDRESS, DockerHostConfig } from "./args";
import { DAEMON_DEFAULTS, DaemonSettings, DEFAULT_MOUNT_POINT, RELOADABLE_DAEMON_KEYS } from "./daemonSettings";
import { tlsDigest, tlsPaths } from "./tlsMaterial";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What of a configuration shapes daemon.json. */
export type RenderedConfig = Pick<DockerHostConfig, "daemon" | "dataDisk" | "tlsCertificates" | "tlsListenAddress">;

/**
 * The settings that will be applied: documented defaults under the user's own, data-root on the disk.
 * @param tlsVersion the version of the TLS material (its directory on the host); pass it when
 *   `tlsCertificates` holds placeholders, as the component's do.
 *   @default - tlsDigest(config.tlsCertificates)
 */
export function effectiveDaemonSettings(config: RenderedConfig, tlsVersion?: string): DaemonSettings {
    const user = config.daemon ?? {};
    const dataRoot =
        user.dataRoot ?? (config.dataDisk ? `${trimSlash(config.dataDisk.mountPoint ?? DEFAULT_MOUNT_POINT)}/docker` : undefined);
    const logsOnFiles = (user.logDriver ?? DAEMON_DEFAULTS.logDriver) === "json-file" || user.logDriver === "local";
    // A TLS socket: client verification against the staged CA, next to the local socket. The paths name the
    // material's version, so a rotation is a change of daemon.json (and the apply's rollback undoes it).
    const paths = config.tlsCertificates ? tlsPaths(tlsVersion ?? tlsDigest(config.tlsCertificates)) : undefined;
    const tls = paths
        ? {
              tlsVerify: true,
              tlsCaCertPath: paths.caCert,
              tlsCertPath: paths.serverCert,
              tlsKeyPath: paths.serverKey,
              hosts: [...new Set([...(user.hosts ?? ["unix:///var/run/docker.sock"]), `tcp://${config.tlsListenAddress ?? DEFAULT_TLS_LISTEN_ADDRESS}`])],
          }
        : {};
    return {
        ...DAEMON_DEFAULTS,
        // Bounded-log defaults only make sense for drivers that write files on the host.
        ...(logsOnFiles ? {} : { logMaxSize: undefined, logMaxFiles: undefined }),
        ...user,
        ...tls,
        ...(dataRoot !== undefined ? { dataRoot: trimSlash(dataRoot) } : {}),
    };
}

/** daemon.json as an object, keyed by Docker's own names. */
export function daemonJsonObject(s: DaemonSettings): Record<string, Json> {
    const logOpts: Record<string, Json> = {};
    if (s.logMaxSize !== undefined) logOpts["max-size"] = s.logMaxSize;
    // dockerd wants every log-opts value as a string.
    if (s.logMaxFiles !== undefined) logOpts["max-file"] = String(s.logMaxFiles);
    if (s.logCompress !== undefined) logOpts["compress"] = String(s.logCompress);

    const out: Record<string, Json | undefined> = {
        ...(s.extra as Record<string, Json> | undefined),
        "data-root": s.dataRoot,
        "storage-driver": s.storageDriver,
        "registry-mirrors": s.registryMirrors ? [...s.registryMirrors] : undefined,
        "insecure-registries": s.insecureRegistries ? [...s.insecureRegistries] : undefined,
        hosts: s.hosts ? [...s.hosts] : undefined,
        dns: s.dns ? [...s.dns] : undefined,
        "dns-search": s.dnsSearch ? [...s.dnsSearch] : undefined,
        "dns-opts": s.dnsOptions ? [...s.dnsOptions] : undefined,
        "max-concurrent-downloads": s.maxConcurrentDownloads,
        "max-concurrent-uploads": s.maxConcurrentUploads,
        "log-driver": s.logDriver,
        "log-opts": Object.keys(logOpts).length > 0 ? logOpts : undefined,
        "live-restore": s.liveRestore,
        "default-address-pools": s.defaultAddressPools?.map((p) => ({ base: p.base, size: p.size })),
        "userns-remap": s.usernsRemap,
        "shutdown-timeout": s.shutdownTimeoutSeconds,
        features: s.features ? { ...s.features } : undefined,
        "metrics-addr": s.metricsAddress,
        labels: s.labels ? [...s.labels] : undefined,
        tls: s.tls,
        tlsverify: s.tlsVerify,
        tlscacert: s.tlsCaCertPath,
        tlscert: s.tlsCertPath,
        tlskey: s.tlsKeyPath,
        debug: s.debug,
    };
    const defined: Record<string, Json> = {};
    for (const [k, v] of Object.entries(out)) {
        if (v !== undefined) defined[k] = v;
    }
    return sortKeys(defined) as Record<string, Json>;
}

/** The exact bytes written to /etc/docker/daemon.json (`tlsVersion` as for effectiveDaemonSettings). */
export function renderDaemonJson(config: RenderedConfig, tlsVersion?: string): string {
    return `${JSON.stringify(daemonJsonObject(effectiveDaemonSettings(config, tlsVersion)), null, 2)}\n`;
}

/**
 * A digest of everything in daemon.json that needs a restart to take effect (reloadable keys left out).
 * Two renderings with the same digest differ only in keys dockerd reloads on SIGHUP. It is shown in the
 * apply step's command so `pulumi preview --diff` tells a restart from a reload.
 */
export function restartClassDigest(daemonJson: string): string {
    const parsed = JSON.parse(daemonJson) as Record<string, Json>;
    const restartClass = Object.fromEntries(Object.entries(parsed).filter(([k]) => !RELOADABLE_DAEMON_KEYS.includes(k)));
    return createHash("sha256").update(JSON.stringify(sortKeys(restartClass))).digest("hex").slice(0, 16);
}

/** Top-level keys whose values differ between two daemon.json texts. */
export function changedDaemonKeys(before: string, after: string): string[] {
    const a = JSON.parse(before) as Record<string, Json>;
    const b = JSON.parse(after) as Record<string, Json>;
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].filter((k) => JSON.stringify(sortKeys(a[k] ?? null)) !== JSON.stringify(sortKeys(b[k] ?? null))).sort();
}

function sortKeys(value: Json): Json {
    if (Array.isArray(value)) return value.map(sortKeys);
    if (value && typeof value === "object") {
        const sorted: { [key: string]: Json } = {};
        for (const k of Object.keys(value).sort()) sorted[k] = sortKeys(value[k]!);
        return sorted;
    }
    return value;
}

function trimSlash(p: string): string {
    return p.length > 1 ? p.replace(/\/+$/, "") : p;
}
