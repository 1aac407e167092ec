// Reads a stack's configuration (Pulumi.<stack>.yaml: hosts, shared defaults, per-host overrides, rollout)
// into typed, validated host entries. Pure apart from the injected file reader; every problem of every
// host is reported at once, before any resource is created.
import { DockerHostConfig } from "./dockerHost/args";
import { DaemonSettings } from "./dockerHost/daemonSettings";
import { ConfigIssue, didYouMean, findConfigIssues } from "./dockerHost/validate";
import { DEFAULT_CACHE_PORT, DEFAULT_REGISTRY_IMAGE, DEFAULT_UPSTREAM_URL, mirrorDaemonSettings } from "./registryCache/registryCache";

/** The raw values of the stack's config keys (docker-host:hosts, :defaults, :rollout, :privateKey). */
export interface RawStackConfig {
    readonly hosts?: unknown;
    readonly defaults?: unknown;
    readonly rollout?: unknown;
    readonly registryCache?: unknown;
    /** The secret config value docker-host:privateKey, if set. */
    readonly privateKey?: string;
}

/** One host of the stack, resolved. */
export interface HostEntry {
    /** Resource name of the host (also its name in outputs). */
    readonly name: string;
    readonly config: DockerHostConfig;
}

/** docker-host:registryCache — a pull-through cache on one host of the stack, the mirror of all others. */
export interface RegistryCacheEntry {
    /** Name of the host (in docker-host:hosts) that runs the cache. */
    readonly hostName: string;
    readonly port: number;
    readonly upstreamUrl: string;
    /** The registry image to run. */
    readonly image: string;
    /** Delete the cached blobs' volume on destroy. */
    readonly deleteStorageOnDestroy: boolean;
    /** The URL the other hosts use as their mirror. */
    readonly mirrorUrl: string;
}

export interface StackConfig {
    readonly hosts: readonly HostEntry[];
    readonly registryCache?: RegistryCacheEntry;
    /** Hosts changed at once; the next batch waits for this one's verification. */
    readonly batchSize: number;
}

export class StackConfigError extends Error {
    constructor(readonly issues: readonly ConfigIssue[]) {
        super(
            `the stack configuration has ${issues.length} problem${issues.length === 1 ? "" : "s"}; nothing was changed on any host:\n` +
                issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

// Keys a host entry (and, minus name/host, the defaults) may carry.
const HOST_KEYS = ["name", "host", "port", "user", "privateKeyPath", "hostKey", "hostKeyPath", "bastion", "dataDisk", "daemon", "allowInsecureTcp", "dockerReadyTimeoutSeconds", "prune", "detectDrift", "tlsCertificates", "tlsListenAddress"];
const DEFAULT_KEYS = HOST_KEYS.filter((k) => k !== "name" && k !== "host");
const ROLLOUT_KEYS = ["batchSize"];
const REGISTRY_CACHE_KEYS = ["host", "port", "upstreamUrl", "image", "deleteStorageOnDestroy"];

type Entry = Record<string, unknown>;

/**
 * Resolves the stack's hosts: per-host values over the defaults (daemon settings merged key by key),
 * the private key from privateKeyPath or the secret docker-host:privateKey, then validates each host.
 */
export function readStackConfig(raw: RawStackConfig, readFile: (path: string) => string): StackConfig {
    const issues: ConfigIssue[] = [];
    const add = (key: string, message: string) => issues.push({ key, message });

    const defaults = asEntry(raw.defaults ?? {}, "docker-host:defaults", DEFAULT_KEYS, add);
    const rollout = asEntry(raw.rollout ?? {}, "docker-host:rollout", ROLLOUT_KEYS, add);
    const batchSize = rollout?.batchSize ?? 1;
    if (!Number.isInteger(batchSize) || (batchSize as number) < 1) {
        add("docker-host:rollout.batchSize", `${JSON.stringify(batchSize)} is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time).`);
    }
    const cache = raw.registryCache === undefined ? undefined : asEntry(raw.registryCache, "docker-host:registryCache", REGISTRY_CACHE_KEYS, add);
    if (!Array.isArray(raw.hosts) || raw.hosts.length === 0) {
        add("docker-host:hosts", "lists no hosts. Fix: add at least one entry with a name and a host address.");
        throw new StackConfigError(issues);
    }

    const hosts: HostEntry[] = [];
    const seen = new Set<string>();
    raw.hosts.forEach((rawHost, index) => {
        const where = `docker-host:hosts[${index}]`;
        const host = asEntry(rawHost, where, HOST_KEYS, add);
        if (!host) return;
        const name = host.name;
        if (typeof name !== "string" || !/^[a-z0-9][a-z0-9-]{0,62}$/.test(name)) {
            add(`${where}.name`, `${JSON.stringify(name)} is not a host name. Fix: lower-case letters, digits and dashes, e.g. "web-1".`);
            return;
        }
        if (seen.has(name)) add(`${where}.name`, `"${name}" is listed twice. Fix: give every host its own name.`);
        seen.add(name);

        const merged: Entry = { ...withoutOverriddenPin(defaults ?? {}, host), ...host };
        merged.daemon = mergeDaemon(defaults?.daemon, host.daemon);
        if (cache && cache.host !== name) merged.daemon = withMirror(merged.daemon as DaemonSettings | undefined, cacheMirrorUrl(cache, raw.hosts as unknown[]));
        const privateKey = resolvePrivateKey(merged.privateKeyPath, raw.privateKey, readFile, `${where}.privateKeyPath`, add);
        const hostKey = resolveHostKey(merged.hostKey, merged.hostKeyPath, readFile, where, add);
        const config = dropUndefined({
            connection: dropUndefined({
                host: merged.host,
                port: merged.port,
                user: merged.user,
                privateKey: privateKey ?? "",
                hostKey,
                bastion: merged.bastion,
            }),
            dataDisk: merged.dataDisk,
            daemon: merged.daemon,
            allowInsecureTcp: merged.allowInsecureTcp,
            dockerReadyTimeoutSeconds: merged.dockerReadyTimeoutSeconds,
            prune: merged.prune,
            detectDrift: merged.detectDrift,
            tlsCertificates: merged.tlsCertificates,
            tlsListenAddress: merged.tlsListenAddress,
        });
        const hostIssues = findConfigIssues(config).filter((i) => privateKey !== undefined || i.key !== "connection.privateKey");
        hostIssues.forEach((i) => add(`${where} (${name}).${i.key}`, i.message));
        if (hostIssues.length === 0 && privateKey !== undefined) hosts.push({ name, config: config as unknown as DockerHostConfig });
    });

    let registryCache: RegistryCacheEntry | undefined;
    if (cache) {
        const mirrorUrl = cacheMirrorUrl(cache, raw.hosts);
        if (!mirrorUrl) {
            add("docker-host:registryCache.host", `${JSON.stringify(cache.host)} is not one of the stack's hosts. Fix: name a host from docker-host:hosts.`);
        } else if (cache.port !== undefined && (!Number.isInteger(cache.port) || (cache.port as number) < 1 || (cache.port as number) > 65535)) {
            add("docker-host:registryCache.port", `${JSON.stringify(cache.port)} is not a port. Fix: e.g. 5000.`);
        } else if (cache.upstreamUrl !== undefined && !/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]+)?\/?$/.test(String(cache.upstreamUrl))) {
            add("docker-host:registryCache.upstreamUrl", `${JSON.stringify(cache.upstreamUrl)} is not a registry URL. Fix: e.g. "https://registry-1.docker.io".`);
        } else if (cache.image !== undefined && (typeof cache.image !== "string" || !/^[a-z0-9][a-z0-9._/:@-]*$/.test(cache.image))) {
            add("docker-host:registryCache.image", `${JSON.stringify(cache.image)} is not an image reference. Fix: e.g. "registry:2" or "mirror.example.com/library/registry:2".`);
        } else if (cache.deleteStorageOnDestroy !== undefined && typeof cache.deleteStorageOnDestroy !== "boolean") {
            add("docker-host:registryCache.deleteStorageOnDestroy", `${JSON.stringify(cache.deleteStorageOnDestroy)} is not true or false. Fix: true deletes the cached blobs on destroy; leave it out to keep them.`);
        } else {
            registryCache = {
                hostName: cache.host as string,
                port: (cache.port as number | undefined) ?? DEFAULT_CACHE_PORT,
                upstreamUrl: (cache.upstreamUrl as string | undefined) ?? DEFAULT_UPSTREAM_URL,
                image: (cache.image as string | undefined) ?? DEFAULT_REGISTRY_IMAGE,
                deleteStorageOnDestroy: (cache.deleteStorageOnDestroy as boolean | undefined) ?? false,
                mirrorUrl,
            };
        }
    }

    if (issues.length > 0) throw new StackConfigError(issues);
    return { hosts, batchSize: batchSize as number, ...(registryCache ? { registryCache } : {}) };
}

/** http://<cache host address>:<port>, or undefined when the named host is not in the stack. */
function cacheMirrorUrl(cache: Entry, hosts: unknown[]): string | undefined {
    const host = hosts.find((h) => (h as Entry | undefined)?.name === cache.host) as Entry | undefined;
    if (!host || typeof host.host !== "string") return undefined;
    const address = host.host.includes(":") ? `[${host.host}]` : host.host;
    return `http://${address}:${(cache.port as number | undefined) ?? DEFAULT_CACHE_PORT}`;
}

/** Adds the cache as the first mirror (and, being http, an insecure registry), keeping the host's own. */
function withMirror(daemon: DaemonSettings | undefined, mirrorUrl: string | undefined): DaemonSettings | undefined {
    if (!mirrorUrl) return daemon;
    const mirror = mirrorDaemonSettings(mirrorUrl);
    const union = (a: readonly string[] | undefined, b: readonly string[] | undefined) => [...new Set([...(b ?? []), ...(a ?? [])])];
    return {
        ...daemon,
        registryMirrors: union(daemon?.registryMirrors, mirror.registryMirrors),
        insecureRegistries: union(daemon?.insecureRegistries, mirror.insecureRegistries),
    };
}

function asEntry(value: unknown, where: string, allowed: readonly string[], add: (k: string, m: string) => void): Entry | undefined {
    if (!value || typeof value !== "object" || Array.isArray(value)) {
        add(where, `expected a mapping, got ${Array.isArray(value) ? "a list" : JSON.stringify(value)}.`);
        return undefined;
    }
    for (const key of Object.keys(value)) {
        if (!allowed.includes(key)) {
            const hint = didYouMean(key, allowed);
            add(`${where}.${key}`, `unknown setting.${hint ? ` Did you mean "${hint}"?` : ""} Known here: ${allowed.join(", ")}.`);
        }
    }
    return value as Entry;
}

function mergeDaemon(defaults: unknown, overrides: unknown): DaemonSettings | undefined {
    if (defaults === undefined && overrides === undefined) return undefined;
    const isObject = (v: unknown) => v !== null && typeof v === "object" && !Array.isArray(v);
    if ((defaults !== undefined && !isObject(defaults)) || (overrides !== undefined && !isObject(overrides))) {
        return (overrides ?? defaults) as DaemonSettings; // let the validator report the wrong type
    }
    return { ...(defaults as object), ...(overrides as object) } as DaemonSettings;
}

function resolvePrivateKey(
    path: unknown,
    secretKey: string | undefined,
    readFile: (path: string) => string,
    where: string,
    add: (k: string, m: string) => void,
): string | undefined {
    if (path === undefined) {
        if (secretKey !== undefined) return secretKey;
        add(where, "no SSH key: neither privateKeyPath nor the secret docker-host:privateKey is set. Fix: `pulumi config set --secret docker-host:privateKey < key` or set privateKeyPath.");
        return undefined;
    }
    if (typeof path !== "string" || !path.startsWith("/")) {
        add(where, `${JSON.stringify(path)} is not an absolute path. Fix: e.g. "/home/me/.ssh/id_ed25519".`);
        return undefined;
    }
    try {
        return readFile(path);
    } catch (err) {
        add(where, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: check the path; for the dev stack run \`npm run sandbox -- up dev-1\` first.`);
        return undefined;
    }
}

/** A host entry that pins its key (either way) overrides both ways of the defaults. */
function withoutOverriddenPin(defaults: Entry, host: Entry): Entry {
    if (host.hostKey === undefined && host.hostKeyPath === undefined) return defaults;
    const { hostKey: _key, hostKeyPath: _path, ...rest } = defaults;
    return rest;
}

/** The pinned host key: given inline (hostKey), or read from a file holding the line (hostKeyPath, e.g. a
 *  host's ssh_host_ed25519_key.pub), never both. The validator checks what it holds. */
function resolveHostKey(inline: unknown, path: unknown, readFile: (path: string) => string, where: string, add: (k: string, m: string) => void): unknown {
    if (path === undefined) return inline;
    if (inline !== undefined) {
        add(`${where}.hostKeyPath`, "is set together with hostKey. Fix: keep one of the two.");
        return undefined;
    }
    if (typeof path !== "string" || !path.startsWith("/")) {
        add(`${where}.hostKeyPath`, `${JSON.stringify(path)} is not an absolute path. Fix: e.g. "/etc/docker-host/web-1.pub".`);
        return undefined;
    }
    try {
        return readFile(path).trim();
    } catch (err) {
        add(`${where}.hostKeyPath`, `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: check the path; for the dev stack run \`npm run sandbox -- up dev-1\` first.`);
        return undefined;
    }
}

function dropUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}
