// Pure renderer: a host's plain settings in, daemon.json out, computed once per plan (daemonConfig).
// Deterministic: keys sorted at every level (lists keep their order), 2-space indent, trailing newline. The
// host scripts rely on that shape ("canonical": one top-level key per line that starts with exactly two
// spaces and a quote). Each typed setting renders as its row of the settings table says (daemonSettings.ts).
import { createHash } from "node:crypto";
import { DaemonSettings, DATA_DISK_DEFAULTS, DEFAULT_TLS_LISTEN_ADDRESS, HostSettings, Resolved } from "./args";
import { DAEMON_DEFAULTS, RELOADABLE_DAEMON_KEYS, settingRows } from "./daemonSettings";
import { trimSlash } from "./values";
import { TlsPaths, tlsPaths } from "./tlsMaterial";

type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What of a host's settings shapes daemon.json. */
export type DaemonInput = Pick<HostSettings, "daemon" | "dataDisk" | "tlsListenAddress">;

/** The daemon part of a plan, computed once: what DockerHost exports, drift compares and the steps send. */
export interface DaemonConfig {
    /** The settings that will be applied: documented defaults under the user's own, data-root on the data
     *  disk, the TLS listener next to the local socket. */
    readonly effective: Resolved<DaemonSettings>;
    /** Where the TLS material's version lives on the host, when the host serves TLS. */
    readonly tls?: { readonly version: string; readonly paths: TlsPaths };
    /** The exact bytes written to /etc/docker/daemon.json. */
    readonly text: string;
}

/** The daemon.json keys TLS sets (from tlsCertificates only). */
export const TLS_DAEMON_KEYS = ["tls", "tlsverify", "tlscacert", "tlscert", "tlskey"] as const;

/** The local socket dockerd listens on unless `hosts` says otherwise. */
const LOCAL_SOCKET = "unix:///var/run/docker.sock";

/**
 * The daemon part of a host's plan.
 * @param tlsVersion the version of the host's TLS material (tlsDigest), when it has tlsCertificates
 */
export function daemonConfig(settings: DaemonInput, tlsVersion?: string): DaemonConfig {
    const user = settings.daemon ?? {};
    const dataRoot = user.dataRoot ?? (settings.dataDisk ? `${trimSlash(settings.dataDisk.mountPoint ?? DATA_DISK_DEFAULTS.mountPoint)}/docker` : undefined);
    const logsOnFiles = (user.logDriver ?? DAEMON_DEFAULTS.logDriver) === "json-file" || user.logDriver === "local";
    const tls = tlsVersion === undefined ? undefined : { version: tlsVersion, paths: tlsPaths(tlsVersion) };
    const effective: Resolved<DaemonSettings> = {
        ...DAEMON_DEFAULTS,
        // Bounded-log defaults only make sense for drivers that write files on the host.
        ...(logsOnFiles ? {} : { logMaxSize: undefined, logMaxFiles: undefined }),
        ...user,
        // A TLS socket listens next to the local one (tlsverify covers every tcp listener).
        ...(tls ? { hosts: [...new Set([...(user.hosts ?? [LOCAL_SOCKET]), `tcp://${settings.tlsListenAddress ?? DEFAULT_TLS_LISTEN_ADDRESS}`])] } : {}),
        ...(dataRoot !== undefined ? { dataRoot: trimSlash(dataRoot) } : {}),
    };
    return { effective, ...(tls ? { tls } : {}), text: canonicalText(daemonJsonObject(effective, tls?.paths)) };
}

/** The exact bytes written to /etc/docker/daemon.json (daemonConfig's text). */
export function renderDaemonJson(settings: DaemonInput, tlsVersion?: string): string {
    return daemonConfig(settings, tlsVersion).text;
}

/**
 * daemon.json as an object, keyed by Docker's own names: each typed setting under its key (log options
 * inside "log-opts", as strings), the extra keys verbatim, and with TLS material the client verification
 * against its staged CA.
 */
export function daemonJsonObject(settings: Resolved<DaemonSettings>, tls?: TlsPaths): Record<string, Json> {
    const out: Record<string, Json> = { ...(settings.extra as Record<string, Json> | undefined) };
    const logOpts: Record<string, Json> = {};
    for (const [name, spec] of settingRows()) {
        const value = settings[name] as Json | undefined;
        if (value === undefined || spec.daemonKey === undefined) continue;
        if (spec.logOpt) logOpts[spec.logOpt] = String(value);
        else out[spec.daemonKey] = value;
    }
    if (Object.keys(logOpts).length > 0) out["log-opts"] = logOpts;
    if (tls) Object.assign(out, { tlsverify: true, tlscacert: tls.caCert, tlscert: tls.serverCert, tlskey: tls.serverKey });
    return sortKeys(out) as Record<string, Json>;
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

/** Whether a daemon.json text is in the form this renderer writes (keys sorted at every level, 2-space
 *  indent, trailing newline), as a file docker-host installed is. */
export function isCanonicalDaemonJson(text: string): boolean {
    try {
        return canonicalText(sortKeys(JSON.parse(text) as Json)) === text;
    } catch {
        return false;
    }
}

/** The file's bytes for a key-sorted value: 2-space indent, trailing newline (lib.sh's parsers rely on it). */
function canonicalText(sorted: Json): string {
    return `${JSON.stringify(sorted, null, 2)}\n`;
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
