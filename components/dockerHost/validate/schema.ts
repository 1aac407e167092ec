// The shape of a host's configuration (zod): which keys exist at each level and the type and range of each
// value, with zod's findings turned into this project's messages. The shapes follow the interfaces of args.ts
// and are checked against them by the compiler (SAME_AS_ARGS below: each schema infers exactly the resolved
// interface, keys, optionality and types); the daemon's shape is built from the settings rows. The checks of
// what values mean live beside it (connection.ts, hostSettings.ts, daemon.ts).
import { z } from "zod";
import { AddressPool, BastionConnection, DaemonSettings, DataDisk, DataDiskFilesystem, DockerHostConfig, HostSettings, PruneSchedule, Resolved, SECRET_PARTS, SshConnection, TlsCertificates } from "../args";
import { RETIRED_SETTINGS, SETTINGS } from "../daemonSettings";
import { ConfigIssue, describeValue, didYouMean } from "./common";

const port = z.number().int().min(1).max(65535);

export const bastionSchema = z.strictObject({
    host: z.string(),
    port: port.optional(),
    user: z.string().optional(),
    privateKey: z.string().optional(),
    hostKey: z.string().optional(),
});

export const connectionSchema = z.strictObject({
    host: z.string(),
    port: port.optional(),
    user: z.string().optional(),
    privateKey: z.string(),
    hostKey: z.string().optional(),
    bastion: bastionSchema.optional(),
});

const dataDiskSchema = z.strictObject({
    device: z.string(),
    filesystem: z.enum(DataDiskFilesystem).optional(),
    mountPoint: z.string().optional(),
});

const pruneSchema = z.strictObject({
    schedule: z.string().optional(),
    randomizedDelaySeconds: z.number().int().min(0).max(86400).optional(),
    olderThan: z.string().optional(),
    keepLabel: z.string().optional(),
    volumes: z.boolean().optional(),
});

export const tlsCertificatesSchema = z.strictObject({ caCertPem: z.string(), serverCertPem: z.string(), serverKeyPem: z.string() });

/** Each row's shape, made optional, keyed like the rows. */
type OptionalShapes<T extends Readonly<Record<string, { readonly shape: z.ZodType }>>> = { -readonly [K in keyof T]: z.ZodOptional<T[K]["shape"]> };

function optionalShapes<T extends Readonly<Record<string, { readonly shape: z.ZodType }>>>(rows: T): OptionalShapes<T> {
    return Object.fromEntries(Object.entries(rows).map(([name, row]) => [name, row.shape.optional()])) as OptionalShapes<T>;
}

export const daemonSchema = z.strictObject(optionalShapes(SETTINGS));

/** A host's whole configuration, keys in the order of DockerHostArgs. */
export const configSchema = z.strictObject({
    connection: connectionSchema,
    dataDisk: dataDiskSchema.optional(),
    daemon: daemonSchema.optional(),
    allowInsecureTcp: z.boolean().optional(),
    dockerReadyTimeoutSeconds: z.number().int().min(5).max(3600).optional(),
    lockTimeoutSeconds: z.number().int().min(0).max(86400).optional(),
    prune: pruneSchema.optional(),
    detectDrift: z.boolean().optional(),
    tlsCertificates: tlsCertificatesSchema.optional(),
    tlsListenAddress: z.string().optional(),
});

/** The plain settings: the configuration without its secret parts (connection, tlsCertificates). */
export const settingsSchema = configSchema.omit(Object.fromEntries(SECRET_PARTS.map((part) => [part, true])) as { [K in (typeof SECRET_PARTS)[number]]: true });

/** True when A and B are the same type (keys, optionality, readonly-ness and types alike). */
type Same<A, B> = (<G>() => G extends A ? 1 : 2) extends <G>() => G extends B ? 1 : 2 ? true : false;
/** `true` when a schema infers exactly the interface; else what tells them apart, for the compiler's message. */
type Matches<S extends z.ZodType, T> =
    Same<z.infer<S>, T> extends true ? true : { schemaAndInterfaceDiffer: { onlyInSchema: Exclude<keyof z.infer<S>, keyof T>; onlyInInterface: Exclude<keyof T, keyof z.infer<S>> } };

// Compile-time: every schema accepts exactly the values of its interface in args.ts. A field added to (or
// removed from) an interface, or another type or optionality, fails to compile here until the schema says
// the same; the message names the keys that differ.
const SAME_AS_ARGS: [
    Matches<typeof bastionSchema, Resolved<BastionConnection>>,
    Matches<typeof connectionSchema, Resolved<SshConnection>>,
    Matches<typeof dataDiskSchema, Resolved<DataDisk>>,
    Matches<typeof pruneSchema, Resolved<PruneSchedule>>,
    Matches<typeof tlsCertificatesSchema, Resolved<TlsCertificates>>,
    Matches<typeof SETTINGS.defaultAddressPools.shape.element, Resolved<AddressPool>>,
    Matches<typeof daemonSchema, Resolved<DaemonSettings>>,
    Matches<typeof settingsSchema, HostSettings>,
    Matches<typeof configSchema, DockerHostConfig>,
] = [true, true, true, true, true, true, true, true, true];
void SAME_AS_ARGS;

/** The schema at a path of the configuration (object keys, list indexes), for the keys known there. */
function schemaAt(path: readonly PropertyKey[]): z.ZodType | undefined {
    let schema: z.ZodType | undefined = configSchema;
    for (const segment of path) {
        while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
        if (schema instanceof z.ZodObject && typeof segment === "string") schema = Object.hasOwn(schema.shape, segment) ? (schema.shape[segment] as z.ZodType) : undefined;
        else if (schema instanceof z.ZodArray && typeof segment === "number") schema = schema.element as z.ZodType;
        else return undefined;
    }
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    return schema;
}

/** The keys a mapping may have at a path, in declaration order. */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
    const schema = schemaAt(path);
    return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

/** How zod's type names read in a message. */
const TYPE_WORDS: Readonly<Record<string, string>> = {
    number: "a number",
    int: "a whole number",
    string: "a string",
    boolean: "true or false",
    object: "a mapping",
    record: "a mapping",
    array: "a list",
};

/**
 * Checks a value against a part of the configuration's shape. `at` is where the part sits in a whole
 * configuration (e.g. ["connection"]; [] for the settings), so keys and "known here" lists read the same
 * whichever way the part was checked.
 */
export function parseShape<S extends z.ZodType>(schema: S, value: unknown, at: readonly string[] = []): ParsedShape<z.infer<S>> {
    const parsed = schema.safeParse(value, { reportInput: true });
    if (parsed.success) return { data: parsed.data, issues: [] };
    const rest = withoutFailedParts(value, parsed.error, at);
    const reparsed = rest === undefined ? undefined : schema.safeParse(rest);
    return { issues: shapeIssues(parsed.error, at), ...(reparsed?.success ? { rest: reparsed.data } : {}) };
}

/** A part checked against its shape: the typed value, or the problems and what passed of the value. */
export interface ParsedShape<T> {
    readonly data?: T;
    readonly issues: ConfigIssue[];
    /** When the shape failed: the value without the parts that failed it (see withoutFailedParts), when that
     *  has the shape. The meaning checks run on it, so one problem never hides the others. */
    readonly rest?: T;
}

/**
 * The value with every part that failed the shape left out: an unknown key alone; otherwise the daemon or
 * prune setting (daemon.X, prune.X: each checked on its own), or else the key of the checked value, that holds
 * the failure (e.g. the whole dataDisk, or a connection's port). Whole, so no meaning check reads a part it
 * would misread (a data-root check without the disk only skips the mount point, where a disk without its
 * mountPoint would be taken as mounted at the default). Undefined when the value itself has the wrong type.
 */
function withoutFailedParts(value: unknown, error: z.ZodError, at: readonly string[]): unknown {
    if (!isPlainTree(value)) return undefined;
    let copy: Record<string, unknown>;
    try {
        copy = structuredClone(value) as Record<string, unknown>;
    } catch {
        return undefined; // something no configuration holds (a function, a symbol): its shape problems say so
    }
    const remove = (path: readonly PropertyKey[]) => {
        let node: unknown = copy;
        for (const segment of path.slice(0, -1)) node = isPlainTree(node) ? (node as Record<PropertyKey, unknown>)[segment as string] : undefined;
        if (isPlainTree(node)) delete (node as Record<PropertyKey, unknown>)[path.at(-1) as string];
    };
    for (const issue of error.issues) {
        if (issue.path.length === 0 && issue.code !== "unrecognized_keys") return undefined;
        if (issue.code === "unrecognized_keys") {
            issue.keys.forEach((k) => remove([...issue.path, k]));
            continue;
        }
        const full = [...at, ...issue.path];
        const unit = full[0] === "daemon" || full[0] === "prune" ? 2 : 1;
        remove(issue.path.slice(0, Math.max(1, unit - at.length)));
    }
    return copy;
}

/** Plain JSON-like data (objects and arrays of it), which structuredClone copies as it is. */
function isPlainTree(value: unknown): boolean {
    if (value === null || typeof value !== "object") return false;
    const proto = Object.getPrototypeOf(value) as unknown;
    return Array.isArray(value) || proto === Object.prototype || proto === null;
}

/** The shape problems, one per key (the first zod reports, see below). */
function shapeIssues(error: z.ZodError, at: readonly string[]): ConfigIssue[] {
    const byKey = new Map<string, { path: PropertyKey[]; issues: z.core.$ZodIssue[] }>();
    for (const issue of error.issues) {
        const path = [...at, ...issue.path];
        const key = path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("");
        const entry = byKey.get(key) ?? { path, issues: [] };
        entry.issues.push(issue);
        byKey.set(key, entry);
    }
    return [...byKey.entries()].flatMap(([key, { path, issues }]) => {
        // A huge whole number fails .int()'s safe-integer bound before the schema's own; report the latter.
        const own = issues.filter((i) => !isSafeIntegerBound(i));
        return zodIssueToConfigIssues(key, path, (own[0] ?? issues[0])!);
    });
}

function isSafeIntegerBound(issue: z.core.$ZodIssue): boolean {
    return (
        (issue.code === "too_big" && Number(issue.maximum) === Number.MAX_SAFE_INTEGER) ||
        (issue.code === "too_small" && Number(issue.minimum) === Number.MIN_SAFE_INTEGER)
    );
}

function zodIssueToConfigIssues(key: string, path: readonly PropertyKey[], issue: z.core.$ZodIssue): ConfigIssue[] {
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => {
                const where = key ? `${key}.${k}` : k;
                if (key === "daemon" && Object.hasOwn(RETIRED_SETTINGS, k)) return { key: where, message: RETIRED_SETTINGS[k]! };
                const known = knownKeysAt(path);
                const hint = didYouMean(k, known);
                return { key: where, message: `unknown setting.${hint ? ` Did you mean "${hint}"?` : ""} Known here: ${known.join(", ")}.` };
            });
        case "invalid_type": {
            const expected = TYPE_WORDS[issue.expected] ?? issue.expected;
            return [{ key, message: `expected ${expected}, got ${describeValue(issue.input)}. Fix: set it to ${expected}.` }];
        }
        case "invalid_value":
            return [{ key, message: `${describeValue(issue.input)} is not allowed. Fix: use one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}.` }];
        case "too_small":
        case "too_big": {
            const bound = issue.code === "too_small" ? `at least ${String(issue.minimum)}` : `at most ${String(issue.maximum)}`;
            return [{ key, message: `${describeValue(issue.input)} is out of range. Fix: use a whole number ${bound}.` }];
        }
        default:
            return [{ key, message: `${issue.message}.` }];
    }
}
