// Validation of a DockerHost's configuration. Runs before any child resource exists (and again on resolved
// Outputs), collects every problem and throws once. Each message names the host, the key and the fix.
import { isIP } from "node:net";
import { z } from "zod";
import { DATA_DISK_FILESYSTEMS, DockerHostConfig } from "./args";
import { parseHostKey } from "./hostKey";
import {
    DaemonSettings,
    DOCUMENTED_DAEMON_KEYS,
    FILE_LOG_DRIVERS,
    LOG_DRIVERS,
    SETTINGS,
    STORAGE_DRIVERS,
} from "./daemonSettings";

/** One problem with one key. */
export interface ConfigIssue {
    /** Dotted path of the offending key, e.g. "daemon.logMaxSize". */
    readonly key: string;
    /** What is wrong and how to fix it. */
    readonly message: string;
}

/** Thrown when a host's configuration is refused; `issues` lists every problem found. */
export class DockerHostConfigError extends Error {
    constructor(
        readonly hostName: string,
        readonly issues: readonly ConfigIssue[],
        readonly hostAddress?: string,
    ) {
        super(formatIssues(hostName, hostAddress, issues));
        this.name = "DockerHostConfigError";
    }
}

/** Host address used while only settings are validated; never shown in messages. */
export const PLACEHOLDER_HOST = "placeholder.invalid";

function formatIssues(hostName: string, hostAddress: string | undefined, issues: readonly ConfigIssue[]): string {
    const lines = issues.map((i) => `  - ${i.key}: ${i.message}`);
    const where = hostAddress && hostAddress !== PLACEHOLDER_HOST ? ` (${hostAddress})` : "";
    return `DockerHost "${hostName}"${where}: ${issues.length} invalid setting${issues.length === 1 ? "" : "s"}; nothing was changed on the host:\n${lines.join("\n")}`;
}

// Character sets for values that end up as parameters of host scripts. They are passed on stdin, never
// pasted into a command line, but a narrow set keeps logs, unit files and file names unambiguous.
const SAFE_PATH = /^\/(?:[A-Za-z0-9._@+-]+(?:\/[A-Za-z0-9._@+-]+)*)?\/?$/;
const DEVICE_PATH = /^\/dev\/[A-Za-z0-9._/-]+$/;
const SIZE = /^[1-9][0-9]*[kmg]$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
const USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

const stringList = z.array(z.string());
const daemonSchema = z.strictObject({
    dataRoot: z.string().optional(),
    storageDriver: z.enum(STORAGE_DRIVERS).optional(),
    registryMirrors: stringList.optional(),
    insecureRegistries: stringList.optional(),
    hosts: stringList.optional(),
    dns: stringList.optional(),
    dnsSearch: stringList.optional(),
    dnsOptions: stringList.optional(),
    maxConcurrentDownloads: z.number().int().min(1).max(64).optional(),
    maxConcurrentUploads: z.number().int().min(1).max(64).optional(),
    logDriver: z.enum(LOG_DRIVERS).optional(),
    logMaxSize: z.string().optional(),
    logMaxFiles: z.number().int().min(1).max(100).optional(),
    logCompress: z.boolean().optional(),
    liveRestore: z.boolean().optional(),
    defaultAddressPools: z.array(z.strictObject({ base: z.string(), size: z.number().int() })).optional(),
    usernsRemap: z.string().optional(),
    shutdownTimeoutSeconds: z.number().int().min(0).max(3600).optional(),
    features: z.record(z.string(), z.boolean()).optional(),
    metricsAddress: z.string().optional(),
    labels: stringList.optional(),
    tls: z.boolean().optional(),
    tlsVerify: z.boolean().optional(),
    tlsCaCertPath: z.string().optional(),
    tlsCertPath: z.string().optional(),
    tlsKeyPath: z.string().optional(),
    debug: z.boolean().optional(),
    extra: z.record(z.string(), z.unknown()).optional(),
});

const configSchema = z.strictObject({
    connection: z.strictObject({
        host: z.string(),
        port: z.number().int().min(1).max(65535).optional(),
        user: z.string().optional(),
        privateKey: z.string(),
        hostKey: z.string().optional(),
        bastion: z
            .strictObject({
                host: z.string(),
                port: z.number().int().min(1).max(65535).optional(),
                user: z.string().optional(),
                privateKey: z.string().optional(),
                hostKey: z.string().optional(),
            })
            .optional(),
    }),
    dataDisk: z
        .strictObject({
            device: z.string(),
            filesystem: z.enum(DATA_DISK_FILESYSTEMS).optional(),
            mountPoint: z.string().optional(),
        })
        .optional(),
    daemon: daemonSchema.optional(),
    allowInsecureTcp: z.boolean().optional(),
    dockerReadyTimeoutSeconds: z.number().int().min(5).max(3600).optional(),
    detectDrift: z.boolean().optional(),
    tlsCertificates: z.strictObject({ caCertPem: z.string(), serverCertPem: z.string(), serverKeyPem: z.string() }).optional(),
    tlsListenAddress: z.string().optional(),
    prune: z
        .strictObject({
            schedule: z.string().optional(),
            randomizedDelaySeconds: z.number().int().min(0).max(86400).optional(),
            olderThan: z.string().optional(),
            keepLabel: z.string().optional(),
            volumes: z.boolean().optional(),
        })
        .optional(),
});

/** Field names known at each level, for "did you mean" on unknown keys. */
const KNOWN_KEYS: Record<string, readonly string[]> = {
    "": Object.keys(configSchema.shape),
    connection: Object.keys(configSchema.shape.connection.shape),
    "connection.bastion": Object.keys(configSchema.shape.connection.shape.bastion.unwrap().shape),
    dataDisk: ["device", "filesystem", "mountPoint"],
    daemon: Object.keys(daemonSchema.shape),
    prune: ["schedule", "randomizedDelaySeconds", "olderThan", "keepLabel", "volumes"],
    tlsCertificates: ["caCertPem", "serverCertPem", "serverKeyPem"],
};

/** Validates one host's configuration; returns every problem (empty when valid). */
export function findConfigIssues(config: unknown): ConfigIssue[] {
    const parsed = configSchema.safeParse(config, { reportInput: true });
    if (!parsed.success) {
        return parsed.error.issues.flatMap(zodIssueToConfigIssues);
    }
    return semanticIssues(parsed.data as DockerHostConfig);
}

/** Throws DockerHostConfigError listing every problem, or returns the config typed. */
export function validateDockerHostConfig(hostName: string, config: unknown): DockerHostConfig {
    const issues = findConfigIssues(config);
    if (issues.length > 0) {
        throw new DockerHostConfigError(hostName, issues, hostAddressOf(config));
    }
    return config as DockerHostConfig;
}

/** The connection's host address, when the config has a readable one. */
export function hostAddressOf(config: unknown): string | undefined {
    const host = (config as { connection?: { host?: unknown } } | undefined)?.connection?.host;
    return typeof host === "string" ? host : undefined;
}

function zodIssueToConfigIssues(issue: z.core.$ZodIssue): ConfigIssue[] {
    const key = issue.path.map(String).join(".");
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => {
                const known = KNOWN_KEYS[key] ?? [];
                const hint = didYouMean(k, known);
                return {
                    key: key ? `${key}.${k}` : k,
                    message: `unknown setting.${hint ? ` Did you mean "${hint}"?` : ""} Known here: ${known.join(", ")}.`,
                };
            });
        case "invalid_type":
            return [{ key, message: `expected ${issue.expected}, got ${describe(issue.input)}. Fix: set it to a ${issue.expected}.` }];
        case "invalid_value":
            return [{ key, message: `${describe(issue.input)} is not allowed. Fix: use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}.` }];
        case "too_small":
        case "too_big": {
            const bound = issue.code === "too_small" ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
            return [{ key, message: `${describe(issue.input)} is out of range. Fix: use a whole number ${bound}.` }];
        }
        default:
            return [{ key, message: `${issue.message}.` }];
    }
}

/** A long value cut for a message (host keys are ~80 characters of base64). */
function abbreviate(value: string): string {
    return value.length > 40 ? `${value.slice(0, 37)}...` : value;
}

function describe(value: unknown): string {
    if (value === undefined) return "nothing";
    if (Array.isArray(value)) return "a list";
    if (value === null) return "null";
    if (typeof value === "object") return "an object";
    return JSON.stringify(value);
}

function semanticIssues(config: DockerHostConfig): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (key: string, message: string) => issues.push({ key, message });

    // Connection.
    const { connection } = config;
    if (!HOSTNAME.test(connection.host) && isIP(connection.host) === 0) {
        add("connection.host", `${JSON.stringify(connection.host)} is neither an IP address nor a host name. Fix: use e.g. "10.0.0.5" or "web-1.example.com".`);
    }
    if (connection.user !== undefined && !USER.test(connection.user)) {
        add("connection.user", `${JSON.stringify(connection.user)} is not a valid user name. Fix: use a login name such as "root" or "deploy".`);
    }
    if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(connection.privateKey)) {
        add("connection.privateKey", "does not look like a private key (no \"-----BEGIN ... PRIVATE KEY-----\" line). Fix: pass the key's contents, not its path (config: privateKeyPath reads a file).");
    }
    const { bastion } = connection;
    if (bastion && !HOSTNAME.test(bastion.host) && isIP(bastion.host) === 0) {
        add("connection.bastion.host", `${JSON.stringify(bastion.host)} is neither an IP address nor a host name. Fix: use e.g. "10.0.0.1" or "bastion.example.com".`);
    }
    if (bastion?.user !== undefined && !USER.test(bastion.user)) {
        add("connection.bastion.user", `${JSON.stringify(bastion.user)} is not a valid user name. Fix: use a login name such as "root" or "jump".`);
    }
    if (bastion?.privateKey !== undefined && !/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(bastion.privateKey)) {
        add("connection.bastion.privateKey", "does not look like a private key (no \"-----BEGIN ... PRIVATE KEY-----\" line). Fix: pass the key's contents, not its path.");
    }
    for (const [key, value] of [["connection.hostKey", connection.hostKey], ["connection.bastion.hostKey", bastion?.hostKey]] as const) {
        const parsed = value === undefined ? undefined : parseHostKey(value);
        if (parsed && "problem" in parsed) add(key, `${JSON.stringify(abbreviate(value!))} ${parsed.problem}`);
    }

    // Data disk.
    const disk = config.dataDisk;
    const mountPoint = disk ? (disk.mountPoint ?? "/data") : undefined;
    if (disk) {
        if (!DEVICE_PATH.test(disk.device)) {
            add("dataDisk.device", `${JSON.stringify(disk.device)} is not a device path. Fix: use a path under /dev, e.g. "/dev/vdb" or "/dev/disk/by-id/nvme-…".`);
        }
        checkAbsolutePath(add, "dataDisk.mountPoint", mountPoint!);
        if (mountPoint && ["/", "/boot", "/etc", "/usr", "/var", "/var/lib", "/home", "/proc", "/sys", "/dev", "/run", "/tmp"].includes(stripSlash(mountPoint))) {
            add("dataDisk.mountPoint", `${JSON.stringify(mountPoint)} is a system directory; mounting over it would hide the host's own files. Fix: use a dedicated directory such as "/data".`);
        }
    }

    const prune = config.prune;
    if (prune?.schedule !== undefined && !/^[A-Za-z0-9*:/,.~ -]+$/.test(prune.schedule)) {
        add("prune.schedule", `${JSON.stringify(prune.schedule)} is not a systemd calendar expression. Fix: use e.g. "weekly" or "Sun *-*-* 03:00".`);
    }
    if (prune?.olderThan !== undefined && !/^([0-9]+[hms])+$/.test(prune.olderThan)) {
        add("prune.olderThan", `${JSON.stringify(prune.olderThan)} is not a duration. Fix: use hours, minutes or seconds, e.g. "168h".`);
    }
    if (prune?.keepLabel !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(prune.keepLabel)) {
        add("prune.keepLabel", `${JSON.stringify(prune.keepLabel)} is not a label key. Fix: use e.g. "docker-host.keep".`);
    }

    const tls = config.tlsCertificates;
    if (tls) {
        if (!/-----BEGIN CERTIFICATE-----/.test(tls.caCertPem)) add("tlsCertificates.caCertPem", "is not a PEM certificate. Fix: pass the CA certificate's PEM text.");
        if (!/-----BEGIN CERTIFICATE-----/.test(tls.serverCertPem)) add("tlsCertificates.serverCertPem", "is not a PEM certificate. Fix: pass the server certificate's PEM text.");
        if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(tls.serverKeyPem)) add("tlsCertificates.serverKeyPem", "is not a PEM private key. Fix: pass the server key's PEM text (as a secret).");
        for (const k of ["tls", "tlsVerify", "tlsCaCertPath", "tlsCertPath", "tlsKeyPath"] as const) {
            if (config.daemon?.[k] !== undefined) add(`daemon.${k}`, `is set by tlsCertificates. Fix: remove daemon.${k}.`);
        }
    }
    if (config.tlsListenAddress !== undefined) {
        if (!tls) add("tlsListenAddress", "has no effect without tlsCertificates. Fix: add tlsCertificates or remove it.");
        else if (!isHostPort(config.tlsListenAddress)) add("tlsListenAddress", `${JSON.stringify(config.tlsListenAddress)} is not ip:port. Fix: use e.g. "0.0.0.0:2376".`);
    }

    const daemon = config.daemon ?? {};
    issues.push(...daemonIssues(daemon, { mountPoint, allowInsecureTcp: config.allowInsecureTcp ?? false, tlsFromCertificates: tls !== undefined }));
    return issues;
}

function daemonIssues(d: DaemonSettings, ctx: { mountPoint?: string; allowInsecureTcp: boolean; tlsFromCertificates: boolean }): ConfigIssue[] {
    const issues: ConfigIssue[] = [];
    const add = (key: string, message: string) => issues.push({ key: `daemon.${key}`, message });

    // No control characters anywhere: they could end a parameter line or a unit file line early.
    forEachString(d, (path, value) => {
        if (CONTROL_CHARS.test(value)) {
            add(path, "contains a control character (newline, tab, …). Fix: remove it.");
        }
    });

    if (d.dataRoot !== undefined) {
        checkAbsolutePath(add, "dataRoot", d.dataRoot);
        if (ctx.mountPoint && !isAtOrUnder(d.dataRoot, ctx.mountPoint)) {
            add("dataRoot", `${JSON.stringify(d.dataRoot)} is not on the data disk mounted at ${JSON.stringify(ctx.mountPoint)}. Fix: put it under the mount point, e.g. "${stripSlash(ctx.mountPoint)}/docker", or leave it unset.`);
        }
    }
    if (d.logMaxSize !== undefined && !SIZE.test(d.logMaxSize)) {
        add("logMaxSize", `${JSON.stringify(d.logMaxSize)} is not a size. Fix: use a whole number followed by k, m or g, e.g. "10m".`);
    }
    const logDriver = d.logDriver ?? "json-file";
    if (!FILE_LOG_DRIVERS.includes(logDriver)) {
        for (const k of ["logMaxSize", "logMaxFiles", "logCompress"] as const) {
            if (d[k] !== undefined) {
                add(k, `only applies to the json-file and local log drivers, not ${JSON.stringify(logDriver)}. Fix: remove ${k} or use logDriver "json-file".`);
            }
        }
    }
    d.registryMirrors?.forEach((url, i) => {
        const problem = mirrorProblem(url);
        if (problem) add(`registryMirrors[${i}]`, `${JSON.stringify(url)} ${problem} Fix: use a URL such as "https://mirror.example.com".`);
    });
    d.insecureRegistries?.forEach((r, i) => {
        if (!/^[A-Za-z0-9.-]+(:[0-9]{1,5})?$/.test(r) && !isCidr(r)) {
            add(`insecureRegistries[${i}]`, `${JSON.stringify(r)} is not host[:port] or a CIDR. Fix: use e.g. "registry.local:5000" or "10.0.0.0/8" (no scheme).`);
        }
    });
    d.dns?.forEach((ip, i) => {
        if (isIP(ip) === 0) add(`dns[${i}]`, `${JSON.stringify(ip)} is not an IP address. Fix: use e.g. "1.1.1.1".`);
    });
    d.dnsSearch?.forEach((domain, i) => {
        if (!HOSTNAME.test(domain)) add(`dnsSearch[${i}]`, `${JSON.stringify(domain)} is not a domain name. Fix: use e.g. "corp.example.com".`);
    });
    d.dnsOptions?.forEach((opt, i) => {
        if (!/^[a-z][a-z0-9-]*(:[0-9]+)?$/.test(opt)) add(`dnsOptions[${i}]`, `${JSON.stringify(opt)} is not a resolv.conf option. Fix: use e.g. "ndots:2" or "rotate".`);
    });
    d.labels?.forEach((label, i) => {
        if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*=[^=]*$/.test(label)) add(`labels[${i}]`, `${JSON.stringify(label)} is not key=value. Fix: use e.g. "env=prod".`);
    });
    d.defaultAddressPools?.forEach((pool, i) => {
        const prefix = isCidr(pool.base) ? Number(pool.base.split("/")[1]) : undefined;
        if (prefix === undefined) add(`defaultAddressPools[${i}].base`, `${JSON.stringify(pool.base)} is not a CIDR. Fix: use e.g. "10.200.0.0/16".`);
        else if (pool.size < prefix || pool.size > 30) add(`defaultAddressPools[${i}].size`, `${pool.size} must be between the base's prefix (${prefix}) and 30. Fix: use e.g. 24.`);
    });
    if (d.usernsRemap !== undefined && !/^(default|[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?)$/.test(d.usernsRemap)) {
        add("usernsRemap", `${JSON.stringify(d.usernsRemap)} is not "default" or user[:group]. Fix: use "default" or e.g. "dockremap:dockremap".`);
    }
    if (d.features) {
        for (const name of Object.keys(d.features)) {
            if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) add(`features.${name}`, "is not a feature name. Fix: use lower-case names such as \"buildkit\".");
        }
    }
    if (d.metricsAddress !== undefined && !isHostPort(d.metricsAddress)) {
        add("metricsAddress", `${JSON.stringify(d.metricsAddress)} is not ip:port. Fix: use e.g. "127.0.0.1:9323".`);
    }
    for (const k of ["tlsCaCertPath", "tlsCertPath", "tlsKeyPath"] as const) {
        const value = d[k];
        if (value !== undefined) checkAbsolutePath(add, k, value);
    }
    if (d.tlsVerify && !(d.tlsCaCertPath && d.tlsCertPath && d.tlsKeyPath)) {
        add("tlsVerify", "needs tlsCaCertPath, tlsCertPath and tlsKeyPath. Fix: set all three, or drop tlsVerify.");
    }
    if (d.tls && !(d.tlsCertPath && d.tlsKeyPath)) {
        add("tls", "needs tlsCertPath and tlsKeyPath. Fix: set both, or drop tls.");
    }

    d.hosts?.forEach((h, i) => {
        const listener = parseListener(h);
        if (!listener) {
            add(`hosts[${i}]`, `${JSON.stringify(h)} is not a listener. Fix: use "unix:///var/run/docker.sock", "fd://" or "tcp://127.0.0.1:2375".`);
            return;
        }
        // tlsverify applies to every tcp listener, so full TLS (typed or from tlsCertificates) covers them all.
        const verified = ctx.tlsFromCertificates || Boolean(d.tlsVerify && d.tlsCaCertPath && d.tlsCertPath && d.tlsKeyPath);
        if (listener.kind === "tcp" && !listener.loopback && !verified && !ctx.allowInsecureTcp) {
            issues.push({
                key: `daemon.hosts[${i}]`,
                message: `${JSON.stringify(h)} exposes the Docker API off loopback without TLS client verification: anyone who reaches it is root on the host. Fix: set tlsVerify with tlsCaCertPath, tlsCertPath and tlsKeyPath (port 2376), listen on 127.0.0.1, or set allowInsecureTcp: true if a firewall you trust guards it.`,
            });
        }
    });
    if (d.hosts !== undefined && d.hosts.length === 0) {
        add("hosts", "is empty: dockerd would listen nowhere and nothing could reach it. Fix: list at least \"unix:///var/run/docker.sock\", or leave hosts unset.");
    }
    if (d.hosts && d.hosts.length > 0 && !d.hosts.some((h) => h.startsWith("unix://") || h === "fd://")) {
        add("hosts", "has no local socket, so the docker CLI on the host (and these scripts) could not reach dockerd. Fix: add \"unix:///var/run/docker.sock\".");
    }

    if (d.extra) {
        const typedKeys = new Map(SETTINGS.filter((s) => s.setting !== "extra").map((s) => [s.daemonKey, s.setting]));
        for (const key of Object.keys(d.extra)) {
            if (key === "graph") {
                add(`extra.${key}`, "is deprecated and removed from dockerd. Fix: use daemon.dataRoot.");
            } else if (typedKeys.has(key)) {
                add(`extra.${key}`, `has a typed setting. Fix: use daemon.${typedKeys.get(key)!} instead of extra["${key}"].`);
            } else if (!DOCUMENTED_DAEMON_KEYS.includes(key)) {
                const hint = didYouMean(key, DOCUMENTED_DAEMON_KEYS);
                add(`extra.${key}`, `is not a documented daemon.json key; dockerd would refuse to start.${hint ? ` Did you mean "${hint}"?` : ""} Fix: use a key from Docker's daemon.json reference.`);
            }
        }
    }
    return issues;
}

function checkAbsolutePath(add: (key: string, message: string) => void, key: string, value: string): void {
    if (!value.startsWith("/")) {
        add(key, `${JSON.stringify(value)} is a relative path. Fix: use an absolute path such as "/data/docker".`);
    } else if (value.split("/").some((part) => part === ".." || part === ".")) {
        add(key, `${JSON.stringify(value)} contains "." or ".." segments. Fix: write the path without them.`);
    } else if (!SAFE_PATH.test(value)) {
        add(key, `${JSON.stringify(value)} contains characters outside A-Z a-z 0-9 . _ @ + - /. Fix: use a plain path (no spaces, quotes, $ or backslashes).`);
    }
}

function stripSlash(p: string): string {
    return p.length > 1 ? p.replace(/\/+$/, "") : p;
}

function isAtOrUnder(path: string, parent: string): boolean {
    const p = stripSlash(path);
    const base = stripSlash(parent);
    return p === base || p.startsWith(base === "/" ? "/" : `${base}/`);
}

function mirrorProblem(url: string): string | undefined {
    let parsed: URL;
    try {
        parsed = new URL(url);
    } catch {
        return "is not a URL.";
    }
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") return "must use http or https.";
    if (parsed.username || parsed.password) return "must not carry credentials (use docker login on the host).";
    if ((parsed.pathname !== "/" && parsed.pathname !== "") || parsed.search || parsed.hash) return "must not have a path, query or fragment.";
    return undefined;
}

function isCidr(value: string): boolean {
    const [ip, prefix, ...rest] = value.split("/");
    if (rest.length > 0 || ip === undefined || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
    const family = isIP(ip);
    return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

function isHostPort(value: string): boolean {
    const m = /^(\[[0-9a-fA-F:]+\]|[0-9.]+):([0-9]{1,5})$/.exec(value);
    if (!m) return false;
    const ip = m[1]!.replace(/^\[|\]$/g, "");
    return isIP(ip) !== 0 && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

type Listener = { kind: "unix" | "fd" } | { kind: "tcp"; loopback: boolean };

export function parseListener(value: string): Listener | undefined {
    if (value === "fd://") return { kind: "fd" };
    if (value.startsWith("unix://")) return SAFE_PATH.test(value.slice("unix://".length)) ? { kind: "unix" } : undefined;
    const m = /^tcp:\/\/(\[[0-9a-fA-F:]+\]|[0-9.]+|[A-Za-z0-9.-]+)?:([0-9]{1,5})$/.exec(value);
    if (!m) return undefined;
    const host = (m[1] ?? "").replace(/^\[|\]$/g, "");
    if (Number(m[2]) < 1 || Number(m[2]) > 65535) return undefined;
    const loopback = host === "localhost" || host === "::1" || /^127\./.test(host);
    return { kind: "tcp", loopback };
}

function forEachString(value: unknown, visit: (path: string, s: string) => void, path = ""): void {
    if (typeof value === "string") {
        visit(path, value);
    } else if (Array.isArray(value)) {
        value.forEach((v, i) => forEachString(v, visit, `${path}[${i}]`));
    } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            if (CONTROL_CHARS.test(k)) visit(path ? `${path}.${k}` : k, k);
            forEachString(v, visit, path ? `${path}.${k}` : k);
        }
    }
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = levenshtein(input.toLowerCase(), c.toLowerCase());
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return bestDistance <= Math.max(2, Math.floor(input.length / 3)) ? best : undefined;
}

function levenshtein(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0]!;
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j]!;
            row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length]!;
}
