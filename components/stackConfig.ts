// Reads a stack's configuration (Pulumi.<stack>.yaml: hosts, shared defaults, per-host overrides, rollout,
// registry cache) into typed, validated host configurations (DockerHostConfig, args.ts). Pure apart from the
// injected file reader (no Pulumi resources, no provider SDK); every problem of every host is reported at
// once, before any resource is created, under the key the stack file spells where the value is written (a
// defaults value once, not per host). A host entry's keys are the configuration's own (validate/schema.ts),
// flattened: the connection's beside the settings, files instead of the secret key and the pin.
import { RunError } from "@pulumi/pulumi/errors";
import { DaemonSettings, DockerHostConfig, Resolved } from "./dockerHost/args";
import { checkConfig, ConfigIssue, describeValue, didYouMean, isHostAddress, machineKey, NOT_A_PRIVATE_KEY_FIX } from "./dockerHost/validate";
import { knownKeysAt } from "./dockerHost/validate/schema";
import { dropUndefined, isRecord } from "./dockerHost/values";
import { batchSizeProblem, BatchSize, ROLLOUT_DEFAULTS, RolloutStrategy } from "./rollout";
import { DEFAULT_CACHE_PORT, DEFAULT_REGISTRY_IMAGE, DEFAULT_UPSTREAM_URL, mirrorDaemonSettings, mirrorUrl } from "./registryCache/mirror";

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
    /** docker-host:rollout: the batches (the next waits for this one's verification) and the failure budget. */
    readonly rollout: RolloutStrategy;
}

/** The stack configuration was refused; `issues` lists every problem. A Pulumi RunError, so the program
 *  ends with the list alone, without a stack trace. */
export class StackConfigError extends RunError {
    constructor(readonly issues: readonly ConfigIssue[]) {
        super(
            `the stack configuration has ${issues.length} problem${issues.length === 1 ? "" : "s"}; nothing was changed on any host:\n` +
                issues.map((i) => `  - ${i.key}: ${i.message}`).join("\n"),
        );
        this.name = "StackConfigError";
    }
}

/** The connection's keys an entry carries as they are (its private key comes from a file or a secret). */
const CONNECTION_KEYS = knownKeysAt(["connection"]).filter((k) => k !== "privateKey");
/** The configuration's other keys: the settings and the TLS material. */
const SETTING_KEYS = knownKeysAt([]).filter((k) => k !== "connection");
/** Keys a host entry of docker-host:hosts may carry. */
export const HOST_KEYS: readonly string[] = ["name", ...CONNECTION_KEYS, "privateKeyPath", "hostKeyPath", ...SETTING_KEYS];
/** Keys docker-host:defaults may carry: a host entry's, but its name and address. */
export const DEFAULT_KEYS: readonly string[] = HOST_KEYS.filter((k) => k !== "name" && k !== "host");
const ROLLOUT_KEYS = ["batches", "failureBudget", "batchSize"];
const REGISTRY_CACHE_KEYS = ["host", "port", "upstreamUrl", "image", "deleteStorageOnDestroy"];

type Entry = Record<string, unknown>;

/**
 * Resolves the stack's hosts: per-host values over the defaults (daemon settings merged key by key),
 * the private key from privateKeyPath or the secret docker-host:privateKey, then validates each host.
 */
export function readStackConfig(raw: RawStackConfig, readFile: (path: string) => string): StackConfig {
    const issues: ConfigIssue[] = [];
    const add = (key: string, message: string) => issues.push({ key, message });
    // A problem of a value the hosts share (from docker-host:defaults or the secret key) is reported once,
    // where it is written, naming the hosts it was found for when that is not all of them.
    const shared = new Map<string, { readonly index: number; readonly hosts: string[] }>();
    const addShared = (key: string, message: string, hostName: string) => {
        const seen = shared.get(`${key}\n${message}`);
        if (seen) seen.hosts.push(hostName);
        else shared.set(`${key}\n${message}`, { index: issues.push({ key, message }) - 1, hosts: [hostName] });
    };

    const defaults = asEntry(raw.defaults ?? {}, "docker-host:defaults", DEFAULT_KEYS, add);
    const rollout = readRollout(asEntry(raw.rollout ?? {}, "docker-host:rollout", ROLLOUT_KEYS, add), add);
    const cache = raw.registryCache === undefined ? undefined : asEntry(raw.registryCache, "docker-host:registryCache", REGISTRY_CACHE_KEYS, add);
    if (!Array.isArray(raw.hosts) || raw.hosts.length === 0) {
        add("docker-host:hosts", "lists no hosts. Fix: add at least one entry with a name and a host address.");
        throw new StackConfigError(issues);
    }
    const registryCache = cache && readRegistryCache(cache, raw.hosts, defaults, add);

    const hosts: HostEntry[] = [];
    const seen = new Set<string>();
    const machines = new Map<string, string>();
    let named = 0;
    raw.hosts.forEach((rawHost, index) => {
        const where = `docker-host:hosts[${index}]`;
        const name = isRecord(rawHost) ? rawHost.name : undefined;
        const validName = typeof name === "string" && HOST_NAME.test(name);
        // An unknown key named like every other problem of the host, once the host has a name to go by.
        const host = asEntry(rawHost, validName ? `${where} (${name})` : where, HOST_KEYS, add);
        if (!host) return;
        if (!validName) {
            add(`${where}.name`, `${describeValue(name)} is not a host name. Fix: lower-case letters, digits and dashes, e.g. "web-1".`);
            return;
        }
        if (seen.has(name)) add(`${where}.name`, `"${name}" is listed twice. Fix: give every host its own name.`);
        seen.add(name);
        named++;

        const merged: Entry = { ...withoutOverriddenPin(defaults ?? {}, host), ...host };
        merged.daemon = mergeDaemon(defaults?.daemon, host.daemon);
        if (registryCache && registryCache.hostName !== name) merged.daemon = withMirror(merged.daemon, registryCache.mirrorUrl);
        const machine = machineOf(merged);
        const other = machine && machines.get(machine.key);
        if (machine && other) {
            add(`${where} (${name}).host`, `${machine.text} is the same machine as ${other}; two entries for one machine would change its Docker in turn and undo each other, whatever their users. Fix: keep one entry per machine (merge their settings), or correct the address or port.`);
        } else if (machine) {
            machines.set(machine.key, `${where} (${name}), ${machine.text}`);
        }
        // Each problem under the key the stack file spells, where it is written: the host's entry, or once
        // for every host under docker-host:defaults (or the secret docker-host:privateKey).
        const addHost = (entryKey: string, message: string) => {
            if (entryKey === SECRET_KEY) addShared(SECRET_KEY, message, name);
            else if (writtenIn(entryKey, host, defaults) === "defaults") addShared(`docker-host:defaults.${entryKey}`, message, name);
            else add(`${where} (${name}).${entryKey}`, message);
        };
        const privateKey = resolvePrivateKey(merged.privateKeyPath, raw.privateKey, readFile, addHost);
        const hostKey = resolveHostKey(merged.hostKey, merged.hostKeyPath, readFile, addHost);
        const connection = dropUndefined({ ...pick(merged, CONNECTION_KEYS), privateKey: privateKey ?? "", hostKey });
        const checked = checkConfig({ connection, ...dropUndefined(pick(merged, SETTING_KEYS)) });
        // Without a key, the missing key was reported above; the validator's word on "" would only repeat it.
        const hostIssues = checked.issues.filter((i) => privateKey !== undefined || i.key !== "connection.privateKey");
        hostIssues.forEach((i) => {
            const entryKey = entryKeyOf(i.key, merged, host, defaults);
            addHost(entryKey, entryKey === "privateKeyPath" ? keyFileProblem(merged.privateKeyPath as string, i.message) : entryKey === SECRET_KEY ? secretKeyProblem(i.message) : i.message);
        });
        if (checked.value && privateKey !== undefined) hosts.push({ name, config: checked.value });
    });

    for (const { index, hosts: found } of shared.values()) {
        if (found.length < named) issues[index] = { ...issues[index]!, key: `${issues[index]!.key} (for ${found.join(", ")})` };
    }
    if (issues.length > 0) throw new StackConfigError(issues);
    return { hosts, rollout, ...(registryCache ? { registryCache } : {}) };
}

/** A host's name: its resource name. */
const HOST_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** How problems of the secret config value docker-host:privateKey are reported. */
const SECRET_KEY = "docker-host:privateKey";

/**
 * The key of a configuration problem (validate's, e.g. "connection.port", "daemon.registryMirrors[1]") as the
 * stack file spells it: an entry holds the connection's keys flat beside the settings, and the private key and
 * the pin come from privateKeyPath (or the secret) and hostKeyPath; a mirror's index is its index in the list
 * as written, before the registry cache's mirror was put first.
 */
function entryKeyOf(configKey: string, merged: Entry, host: Entry, defaults: Entry | undefined): string {
    if (configKey === "connection.privateKey") return merged.privateKeyPath !== undefined ? "privateKeyPath" : SECRET_KEY;
    if (configKey === "connection.hostKey") return merged.hostKeyPath !== undefined ? "hostKeyPath" : "hostKey";
    const key = configKey.replace(/^connection\./, "");
    const listed = /^daemon\.(registryMirrors|insecureRegistries)\[([0-9]+)\](.*)$/.exec(key);
    if (!listed) return key;
    const [, list, index, rest] = listed;
    const value = (merged.daemon as Entry | undefined)?.[list!];
    const written = (isRecord(host.daemon) && host.daemon[list!] !== undefined ? host.daemon : isRecord(defaults?.daemon) ? defaults.daemon : {})[list!];
    const at = Array.isArray(value) && Array.isArray(written) ? written.indexOf(value[Number(index)]) : -1;
    return at < 0 ? key : `daemon.${list!}[${at}]${rest!}`;
}

/** A private key's problem (validate's words for the key's text) said of the file privateKeyPath names. */
function keyFileProblem(path: string, message: string): string {
    const cut = message.indexOf(NOT_A_PRIVATE_KEY_FIX);
    if (cut < 0) return `the file ${path} ${message}`;
    return `the file ${path} ${message.slice(0, cut).trim().replace(/\.$/, "")}. Fix: point privateKeyPath at the private key's own file (not the .pub beside it).`;
}

/** A private key's problem said of the secret docker-host:privateKey, with the fix for a stack. */
function secretKeyProblem(message: string): string {
    const cut = message.indexOf(NOT_A_PRIVATE_KEY_FIX);
    if (cut < 0) return message;
    return `${message.slice(0, cut).trim()} Fix: store the key's contents, not its path: \`pulumi config set --secret docker-host:privateKey < ~/.ssh/id_ed25519\` (or set privateKeyPath to the file).`;
}

/** Whether the value at an entry key (the stack file's spelling) is the host's own or the defaults'. */
function writtenIn(entryKey: string, host: Entry, defaults: Entry | undefined): "host" | "defaults" {
    const [part, setting] = entryKey.split(/[.[]/, 2) as [string, string | undefined];
    if (part === "daemon" && setting !== undefined) {
        const own = isRecord(host.daemon) && host.daemon[setting] !== undefined;
        return !own && isRecord(defaults?.daemon) && defaults.daemon[setting] !== undefined ? "defaults" : "host";
    }
    return host[part] === undefined && defaults?.[part] !== undefined ? "defaults" : "host";
}

/**
 * docker-host:rollout, checked like every other key (all of its problems at once): `batches` (a count, a
 * percentage or a list of them, see rollout.ts), or `batchSize`, its old spelling for one count, never both;
 * `failureBudget`. The defaults where a key is unset or wrong (the wrong one is reported).
 */
function readRollout(rollout: Entry | undefined, add: (k: string, m: string) => void): RolloutStrategy {
    const where = "docker-host:rollout";
    if (!rollout) return ROLLOUT_DEFAULTS;
    const { batches, batchSize, failureBudget } = rollout;
    let sizes: readonly BatchSize[] = ROLLOUT_DEFAULTS.batches;
    if (batches !== undefined && batchSize !== undefined) {
        add(`${where}.batchSize`, "is set together with batches; batchSize is the old spelling of batches with one count. Fix: keep batches and remove batchSize (batchSize: 2 is batches: 2).");
    } else if (batchSize !== undefined) {
        if (Number.isInteger(batchSize) && (batchSize as number) >= 1) sizes = [batchSize as number];
        else add(`${where}.batchSize`, `${describeValue(batchSize)} is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time).`);
    } else if (Array.isArray(batches)) {
        const problems = batches.map(batchSizeProblem);
        problems.forEach((p, i) => p && add(`${where}.batches[${i}]`, p));
        if (batches.length === 0) add(`${where}.batches`, 'lists no batch. Fix: e.g. [1, "25%"] (one host, then a quarter of the hosts at a time), or leave it out for one host at a time.');
        else if (problems.every((p) => p === undefined)) sizes = batches as BatchSize[];
    } else if (batches !== undefined) {
        const problem = batchSizeProblem(batches);
        if (problem) add(`${where}.batches`, problem);
        else sizes = [batches as BatchSize];
    }
    const budget = failureBudget ?? ROLLOUT_DEFAULTS.failureBudget;
    if (!Number.isInteger(budget) || (budget as number) < 0) {
        add(`${where}.failureBudget`, `${describeValue(failureBudget)} is not a whole number ≥ 0. Fix: the number of hosts that may fail before the rollout stops, e.g. 1; 0 (the default) stops at the first.`);
    }
    return { batches: sizes, failureBudget: Number.isInteger(budget) && (budget as number) >= 0 ? (budget as number) : ROLLOUT_DEFAULTS.failureBudget };
}

/** The entry's values of these keys. */
function pick(entry: Entry, keys: readonly string[]): Entry {
    return Object.fromEntries(keys.map((k) => [k, entry[k]]));
}

/** The machine an entry reaches (see machineKey) and how to name it, when its address and port are valid. */
function machineOf(entry: Entry): { readonly key: string; readonly text: string } | undefined {
    const { host, port, bastion } = entry;
    const validHop = (h: unknown, p: unknown) => typeof h === "string" && isHostAddress(h) && (p === undefined || isPort(p));
    if (!validHop(host, port)) return undefined;
    const via = isRecord(bastion) && validHop(bastion.host, bastion.port) ? { host: bastion.host as string, port: bastion.port as number | undefined } : undefined;
    if (bastion !== undefined && !via) return undefined; // the validator reports the bastion
    const text = `${JSON.stringify(host)} port ${(port as number | undefined) ?? 22}${via ? ` via ${JSON.stringify(via.host)} port ${via.port ?? 22}` : ""}`;
    return { key: machineKey({ host: host as string, port: port as number | undefined, bastion: via }), text };
}

function isPort(value: unknown): value is number {
    return typeof value === "number" && Number.isInteger(value) && value >= 1 && value <= 65535;
}

/**
 * docker-host:registryCache, checked like every other key (all of its problems at once), with the mirror
 * URL of the cache host; undefined when anything is wrong.
 */
function readRegistryCache(cache: Entry, hosts: readonly unknown[], defaults: Entry | undefined, add: (k: string, m: string) => void): RegistryCacheEntry | undefined {
    const where = "docker-host:registryCache";
    let ok = true;
    const refuse = (key: string, message: string) => {
        ok = false;
        add(`${where}.${key}`, message);
    };
    const hostEntry = hosts.find((h): h is Entry => isRecord(h) && typeof cache.host === "string" && h.name === cache.host);
    // How messages name the cache host: its name, or what stands there instead (any value, even one that
    // cannot be turned into a string).
    const hostName = typeof cache.host === "string" ? cache.host : describeValue(cache.host);
    if (typeof cache.host !== "string") {
        refuse("host", `expected the name of one of the stack's hosts, got ${describeValue(cache.host)}. Fix: name a host from docker-host:hosts, e.g. host: web-1.`);
    } else if (!hostEntry) {
        refuse("host", `${describeValue(cache.host)} is not one of the stack's hosts. Fix: name a host from docker-host:hosts.`);
    }
    const port = cache.port ?? DEFAULT_CACHE_PORT;
    const sshPort = hostEntry?.port ?? defaults?.port ?? 22;
    if (!isPort(port)) {
        refuse("port", `${describeValue(cache.port)} is not a port. Fix: use a whole number from 1 to 65535, e.g. ${DEFAULT_CACHE_PORT}.`);
    } else if (port === sshPort) {
        refuse("port", `${port} is the SSH port of ${hostName}; the cache could not listen on it. Fix: use another port, e.g. ${DEFAULT_CACHE_PORT}.`);
    }
    const upstream = cache.upstreamUrl;
    if (upstream !== undefined && (typeof upstream !== "string" || !/^https?:\/\/[A-Za-z0-9.-]+(:[0-9]{1,5})?\/?$/.test(upstream) || !parsesAsUrl(upstream))) {
        refuse("upstreamUrl", `${describeValue(upstream)} is not a registry URL. Fix: e.g. "https://registry-1.docker.io".`);
    }
    if (cache.image !== undefined && (typeof cache.image !== "string" || !/^[a-z0-9][a-z0-9._/:@-]*$/.test(cache.image))) {
        refuse("image", `${describeValue(cache.image)} is not an image reference. Fix: e.g. "registry:2" or "mirror.example.com/library/registry:2".`);
    }
    if (cache.deleteStorageOnDestroy !== undefined && typeof cache.deleteStorageOnDestroy !== "boolean") {
        refuse("deleteStorageOnDestroy", `${describeValue(cache.deleteStorageOnDestroy)} is not true or false. Fix: true deletes the cached blobs on destroy; leave it out to keep them.`);
    }
    // The cache host's own address problems are reported under its entry; here it only has to fit a URL.
    const address = hostEntry?.host;
    if (!ok || !hostEntry || typeof address !== "string" || !isHostAddress(address)) return undefined;
    const url = mirrorUrl(address, port as number);
    if (!parsesAsUrl(url)) {
        refuse("host", `the address of ${hostName}, ${JSON.stringify(address)}, cannot be written in a mirror URL (${url}). Fix: give that host an IPv4 address or a DNS name.`);
        return undefined;
    }
    return {
        hostName: cache.host as string,
        port: port as number,
        upstreamUrl: (upstream as string | undefined) ?? DEFAULT_UPSTREAM_URL,
        image: (cache.image as string | undefined) ?? DEFAULT_REGISTRY_IMAGE,
        deleteStorageOnDestroy: (cache.deleteStorageOnDestroy as boolean | undefined) ?? false,
        mirrorUrl: url,
    };
}

function parsesAsUrl(text: string): boolean {
    try {
        new URL(text);
        return true;
    } catch {
        return false;
    }
}

/** Adds the cache as the first mirror (and, being http, an insecure registry), keeping the host's own.
 *  Values of the wrong type are left alone, for the validator to report. */
function withMirror(daemon: unknown, url: string): unknown {
    if (daemon !== undefined && !isRecord(daemon)) return daemon;
    const settings = (daemon ?? {}) as Resolved<DaemonSettings>;
    const mirror = mirrorDaemonSettings(url);
    const union = (own: unknown, first: readonly string[] | undefined) => (own === undefined || Array.isArray(own) ? [...new Set([...(first ?? []), ...((own as string[] | undefined) ?? [])])] : own);
    return {
        ...settings,
        registryMirrors: union(settings.registryMirrors, mirror.registryMirrors),
        insecureRegistries: union(settings.insecureRegistries, mirror.insecureRegistries),
    };
}

function asEntry(value: unknown, where: string, allowed: readonly string[], add: (k: string, m: string) => void): Entry | undefined {
    if (!value || typeof value !== "object" || Array.isArray(value)) {
        add(where, `expected a mapping, got ${describeValue(value)}. Fix: write it as key: value lines.`);
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

/** The defaults' daemon settings under the host's own, key by key. Values of the wrong type are left alone,
 *  for the validator to report. */
function mergeDaemon(defaults: unknown, overrides: unknown): unknown {
    if (defaults === undefined && overrides === undefined) return undefined;
    if ((defaults !== undefined && !isRecord(defaults)) || (overrides !== undefined && !isRecord(overrides))) return overrides ?? defaults;
    return { ...defaults, ...overrides };
}

/** The private key: read from privateKeyPath, or the secret docker-host:privateKey. Problems go to `add` under
 *  the entry key. */
function resolvePrivateKey(path: unknown, secretKey: string | undefined, readFile: (path: string) => string, add: (k: string, m: string) => void): string | undefined {
    const where = "privateKeyPath";
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
function resolveHostKey(inline: unknown, path: unknown, readFile: (path: string) => string, add: (k: string, m: string) => void): unknown {
    if (path === undefined) return inline;
    if (inline !== undefined) {
        add("hostKeyPath", "is set together with hostKey. Fix: keep one of the two.");
        return undefined;
    }
    if (typeof path !== "string" || !path.startsWith("/")) {
        add("hostKeyPath", `${JSON.stringify(path)} is not an absolute path. Fix: e.g. "/etc/docker-host/web-1.pub".`);
        return undefined;
    }
    try {
        return readFile(path).trim();
    } catch (err) {
        add("hostKeyPath", `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)}). Fix: check the path; for the dev stack run \`npm run sandbox -- up dev-1\` first.`);
        return undefined;
    }
}
