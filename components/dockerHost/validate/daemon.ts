// Checks of the daemon settings (after the schema checked their types): what each typed value means, the
// listeners and the loopback rule, data-root's place, and the keys and JSON types under `extra` against
// Docker's daemon.json reference (daemonKeys.ts).
import { isIP } from "node:net";
import { DaemonSettings, Resolved } from "../args";
import { TLS_DAEMON_KEYS } from "../daemonJson";
import { DaemonKeySpec, DAEMON_JSON_TYPES, DAEMON_KEYS, daemonKeySpec, DOCUMENTED_DAEMON_KEYS } from "../daemonKeys";
import { FILE_LOG_DRIVERS, settingsOfDaemonKey } from "../daemonSettings";
import { isRecord, trimSlash } from "../values";
import {
    AddIssue,
    checkAbsolutePath,
    CONTROL_CHARS,
    describeValue,
    didYouMean,
    forEachString,
    isAtOrUnder,
    isCidr,
    isHostName,
    isHostPort,
    isLoopbackAddress,
    SAFE_PATH,
    SIZE,
} from "./common";
import { dataRootProblem } from "./paths";

/** What the daemon checks need from the rest of the configuration. */
export interface DaemonContext {
    /** Where the data disk is mounted, if there is one. */
    readonly mountPoint?: string;
    /** The host's allowInsecureTcp. */
    readonly allowInsecureTcp: boolean;
    /** Whether the host has tlsCertificates: TLS client verification then covers every tcp listener. */
    readonly tls: boolean;
}

type Daemon = Resolved<DaemonSettings>;

/** Checks the daemon settings, concern by concern; keys are reported under "daemon.". */
export function daemonIssues(d: Daemon, ctx: DaemonContext, report: AddIssue): void {
    const add: AddIssue = (key, message) => report(`daemon.${key}`, message);
    controlCharacterIssues(d, add);
    dataRootIssues(d.dataRoot, ctx.mountPoint, add);
    logIssues(d, add);
    registryIssues(d, add);
    dnsIssues(d, add);
    networkIssues(d, add);
    nameIssues(d, add);
    listenerIssues(d, ctx, add);
    featureIssues(d, add);
    if (d.extra) extraIssues(d.extra, add);
}

/** The containerd image store keeps images and layers in containerd's own root, outside data-root (which
 *  docker-host moves to the data disk), on no storage driver the gate can require. A daemon.json that names a
 *  storage driver and leaves the store unset turns it off (an empty store is turned off on a fresh Engine 29;
 *  gate.sh refuses one that holds images). */
function featureIssues(d: Daemon, add: AddIssue): void {
    if (d.features?.["containerd-snapshotter"] === true) {
        add(
            "features.containerd-snapshotter",
            `true keeps images and layers in containerd's own root, outside data-root, which docker-host configures and moves for storage driver "${d.storageDriver ?? "overlay2"}". Fix: remove it (or set it to false): with storage-driver in daemon.json, Docker uses that driver.`,
        );
    }
}

/** No control characters anywhere: they could end a parameter line or a unit file line early. */
function controlCharacterIssues(d: Daemon, add: AddIssue): void {
    forEachString(d, (path, value) => {
        if (CONTROL_CHARS.test(value)) add(path, "contains a control character (newline, tab, …). Fix: remove it.");
    });
}

/** data-root: a plain absolute path, not a system directory, and on the data disk when there is one. */
function dataRootIssues(dataRoot: string | undefined, mountPoint: string | undefined, add: AddIssue): void {
    if (dataRoot === undefined || !checkAbsolutePath(add, "dataRoot", dataRoot)) return;
    const problem = dataRootProblem(dataRoot);
    if (problem) {
        add("dataRoot", problem);
    } else if (mountPoint && !isAtOrUnder(dataRoot, mountPoint)) {
        add("dataRoot", `${describeValue(dataRoot)} is not on the data disk mounted at ${JSON.stringify(mountPoint)}. Fix: put it under the mount point, e.g. "${trimSlash(mountPoint)}/docker", or leave it unset.`);
    }
}

/** The address pools for user networks and the metrics endpoint. */
function networkIssues(d: Daemon, add: AddIssue): void {
    d.defaultAddressPools?.forEach((pool, i) => {
        const prefix = isCidr(pool.base) ? Number(pool.base.split("/")[1]) : undefined;
        if (prefix === undefined) add(`defaultAddressPools[${i}].base`, `${describeValue(pool.base)} is not a CIDR. Fix: use e.g. "10.200.0.0/16".`);
        else if (pool.size < prefix || pool.size > 30) add(`defaultAddressPools[${i}].size`, `${pool.size} must be between the base's prefix (${prefix}) and 30. Fix: use e.g. 24.`);
    });
    if (d.metricsAddress !== undefined && !isHostPort(d.metricsAddress)) {
        add("metricsAddress", `${describeValue(d.metricsAddress)} is not ip:port. Fix: use e.g. "127.0.0.1:9323".`);
    }
}

/** Names dockerd parses: labels, the remapped user, feature flags. */
function nameIssues(d: Daemon, add: AddIssue): void {
    d.labels?.forEach((label, i) => {
        if (!/^[A-Za-z0-9][A-Za-z0-9._/-]*=[^=]*$/.test(label)) add(`labels[${i}]`, `${describeValue(label)} is not key=value. Fix: use e.g. "env=prod".`);
    });
    if (d.usernsRemap !== undefined && !/^(default|[a-z_][a-z0-9_-]*(:[a-z_][a-z0-9_-]*)?)$/.test(d.usernsRemap)) {
        add("usernsRemap", `${describeValue(d.usernsRemap)} is not "default" or user[:group]. Fix: use "default" or e.g. "dockremap:dockremap".`);
    }
    for (const name of Object.keys(d.features ?? {})) {
        if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) add(`features.${name}`, 'is not a feature name. Fix: use lower-case names such as "buildkit".');
    }
}

function logIssues(d: Daemon, add: AddIssue): void {
    if (d.logMaxSize !== undefined && !SIZE.test(d.logMaxSize)) {
        add("logMaxSize", `${describeValue(d.logMaxSize)} is not a size. Fix: use a whole number followed by k, m or g, e.g. "10m".`);
    }
    const logDriver = d.logDriver ?? "json-file";
    if (!FILE_LOG_DRIVERS.includes(logDriver)) {
        for (const k of ["logMaxSize", "logMaxFiles", "logCompress"] as const) {
            if (d[k] !== undefined) {
                add(k, `only applies to the json-file and local log drivers, not ${JSON.stringify(logDriver)}. Fix: remove ${k} or use logDriver "json-file".`);
            }
        }
    }
}

function registryIssues(d: Daemon, add: AddIssue): void {
    d.registryMirrors?.forEach((url, i) => {
        const problem = mirrorProblem(url);
        if (problem) add(`registryMirrors[${i}]`, `${describeValue(url)} ${problem} Fix: use a URL such as "https://mirror.example.com".`);
    });
    d.insecureRegistries?.forEach((r, i) => {
        if (!isRegistryHost(r) && !isCidr(r)) {
            add(`insecureRegistries[${i}]`, `${describeValue(r)} is not host[:port] or a CIDR. Fix: use e.g. "registry.local:5000" or "10.0.0.0/8" (no scheme).`);
        }
    });
}

/** host[:port] as dockerd's insecure-registries takes it: a name, an IPv4 address, or [IPv6]:port. */
function isRegistryHost(value: string): boolean {
    const m = /^(?:\[([0-9A-Fa-f:.]+)\]:([0-9]{1,5})|([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?)$/.exec(value);
    if (!m) return false;
    const port = m[2] ?? m[4];
    if (port !== undefined && (Number(port) < 1 || Number(port) > 65535)) return false;
    return m[1] !== undefined ? isIP(m[1]) === 6 : isIP(m[3]!) === 4 || isHostName(m[3]!);
}

function dnsIssues(d: Daemon, add: AddIssue): void {
    d.dns?.forEach((ip, i) => {
        if (isIP(ip) === 0) add(`dns[${i}]`, `${describeValue(ip)} is not an IP address. Fix: use e.g. "1.1.1.1".`);
    });
    d.dnsSearch?.forEach((domain, i) => {
        if (!isHostName(domain)) add(`dnsSearch[${i}]`, `${describeValue(domain)} is not a domain name. Fix: use e.g. "corp.example.com".`);
    });
    d.dnsOptions?.forEach((opt, i) => {
        if (!/^[a-z][a-z0-9-]*(:[0-9]+)?$/.test(opt)) add(`dnsOptions[${i}]`, `${describeValue(opt)} is not a resolv.conf option. Fix: use e.g. "ndots:2" or "rotate".`);
    });
}

function listenerIssues(d: Daemon, ctx: DaemonContext, add: AddIssue): void {
    // tlsverify (from tlsCertificates) applies to every tcp listener.
    const verified = ctx.tls;
    d.hosts?.forEach((h, i) => {
        const listener = parseListener(h);
        if (!listener) {
            add(`hosts[${i}]`, `${describeValue(h)} is not a listener. Fix: use "unix:///var/run/docker.sock", "fd://" or "tcp://127.0.0.1:2375".`);
        } else if (listener.kind === "tcp" && !listener.loopback && !verified && !ctx.allowInsecureTcp) {
            const byName = listener.name ? ` (a name other than "localhost" counts as off loopback: it may resolve to any address)` : "";
            add(
                `hosts[${i}]`,
                `${describeValue(h)} exposes the Docker API off loopback without TLS client verification: anyone who reaches it is root on the host${byName}. Fix: serve it with TLS client verification (tlsCertificates; port 2376), listen on 127.0.0.1, or set allowInsecureTcp: true if a firewall you trust guards it.`,
            );
        }
    });
    if (d.hosts !== undefined && d.hosts.length === 0) {
        add("hosts", 'is empty: dockerd would listen nowhere and nothing could reach it. Fix: list at least "unix:///var/run/docker.sock", or leave hosts unset.');
    }
    if (d.hosts && d.hosts.length > 0 && !d.hosts.some((h) => h.startsWith("unix://") || h === "fd://")) {
        add("hosts", 'has no local socket, so the docker CLI on the host (and these scripts) could not reach dockerd. Fix: add "unix:///var/run/docker.sock".');
    }
}

/** A dockerd listener. A tcp one is loopback only on a literal loopback address or the name "localhost". */
export type Listener = { readonly kind: "unix" | "fd" } | { readonly kind: "tcp"; readonly loopback: boolean; readonly name: boolean };

/** Parses one entry of daemon.json's hosts; undefined when it is not a listener dockerd takes. */
export function parseListener(value: string): Listener | undefined {
    if (value === "fd://") return { kind: "fd" };
    if (value.startsWith("unix://")) return SAFE_PATH.test(value.slice("unix://".length)) ? { kind: "unix" } : undefined;
    const m = /^tcp:\/\/(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9.-]*)):([0-9]{1,5})$/.exec(value);
    if (!m || Number(m[3]) < 1 || Number(m[3]) > 65535) return undefined;
    const [, v6, host = ""] = m;
    if (v6 !== undefined) return isIP(v6) === 6 ? { kind: "tcp", loopback: isLoopbackAddress(v6), name: false } : undefined;
    if (host === "" || isIP(host) === 4) return { kind: "tcp", loopback: isLoopbackAddress(host), name: false }; // "" = every address
    // A name is resolved by dockerd at start: only "localhost" is taken as loopback ("127.evil.example" is not).
    return isHostName(host) ? { kind: "tcp", loopback: host === "localhost", name: host !== "localhost" } : undefined;
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

/** Keys of `extra`: documented, not typed elsewhere, not TLS's, and of the JSON type dockerd decodes. */
function extraIssues(extra: Readonly<Record<string, unknown>>, add: AddIssue): void {
    for (const [key, value] of Object.entries(extra)) {
        const spec = daemonKeySpec(key);
        const typed = settingsOfDaemonKey(key).map((name) => `daemon.${name}`);
        if (key === "graph") {
            add(`extra.${key}`, "is deprecated and removed from dockerd. Fix: use daemon.dataRoot.");
        } else if ((TLS_DAEMON_KEYS as readonly string[]).includes(key)) {
            add(`extra.${key}`, `is set by tlsCertificates, TLS's one way in. Fix: remove extra["${key}"] and set tlsCertificates ({caCertPem, serverCertPem, serverKeyPem}; npm run tls makes them).`);
        } else if (typed.length > 0) {
            const settings = typed.length === 1 ? "a typed setting" : "typed settings";
            const use = typed.length === 1 ? typed[0]! : `${typed.slice(0, -1).join(", ")} or ${typed.at(-1)!}`;
            add(`extra.${key}`, `has ${settings}. Fix: use ${use} instead of extra["${key}"].`);
        } else if (spec && DAEMON_KEYS[key]!.ignored) {
            add(`extra.${key}`, `would change nothing: ${DAEMON_KEYS[key]!.note}. Fix: remove extra["${key}"].`);
        } else if (!spec) {
            const hint = didYouMean(key, DOCUMENTED_DAEMON_KEYS);
            add(`extra.${key}`, `is not a documented daemon.json key; dockerd would refuse to start.${hint ? ` Did you mean "${hint}"?` : ""} Fix: use a key from Docker's daemon.json reference.`);
        } else {
            typeIssues(`extra.${key}`, spec, value, add);
        }
    }
}

/** How to write a value of each type, for the fix. */
const TYPE_FIXES: Readonly<Record<DaemonKeySpec["type"], string>> = {
    string: 'write it as a JSON string, in quotes (e.g. "64M" for a size)',
    boolean: "write true or false, without quotes",
    integer: "write a whole number, without quotes",
    "string array": 'write a list of strings, e.g. ["a", "b"]',
    "object of strings": 'write an object whose values are strings, numbers in quotes too (e.g. {"max-file": "3"})',
    "object of booleans": 'write an object of true/false values, e.g. {"buildkit": true}',
    object: "write an object, as in Docker's daemon.json reference",
    "array of objects": 'write a list of objects, e.g. [{"base": "10.200.0.0/16", "size": 24}]',
};

/** Reports a value (or its first element of the wrong type) that dockerd could not decode. */
function typeIssues(key: string, spec: DaemonKeySpec, value: unknown, add: AddIssue): void {
    const expected = DAEMON_JSON_TYPES[spec.type];
    const fix = `Fix: ${TYPE_FIXES[spec.type]}.`;
    const element = (ok: (v: unknown) => boolean, what: string): void => {
        const entries: [string, unknown][] = Array.isArray(value) ? value.map((v, i) => [`[${i}]`, v]) : Object.entries(value as object).map(([k, v]) => [`.${k}`, v]);
        const bad = entries.find(([, v]) => !ok(v));
        if (bad) add(`${key}${bad[0]}`, `dockerd expects ${what} here (${key.replace(/^extra\./, "")} is ${expected}), got ${describeValue(bad[1])}. ${fix}`);
    };
    const kindOk: Record<DaemonKeySpec["type"], boolean> = {
        string: typeof value === "string",
        boolean: typeof value === "boolean",
        integer: typeof value === "number" && Number.isSafeInteger(value),
        "string array": Array.isArray(value),
        "object of strings": isRecord(value),
        "object of booleans": isRecord(value),
        object: isRecord(value),
        "array of objects": Array.isArray(value),
    };
    if (!kindOk[spec.type]) {
        add(key, `dockerd expects ${expected}, got ${describeValue(value)}. ${fix}`);
    } else if (spec.type === "string array" || spec.type === "object of strings") {
        element((v) => typeof v === "string", "a string");
    } else if (spec.type === "object of booleans") {
        element((v) => typeof v === "boolean", "true or false");
    } else if (spec.type === "array of objects") {
        element(isRecord, "an object");
    }
}
