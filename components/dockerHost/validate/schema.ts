// The shape of a host's configuration (zod): which keys exist at each level and the type and range of each
// value, with zod's findings turned into this project's messages. The checks of what values mean live
// beside it (connection.ts, hostSettings.ts, daemon.ts).
import { z } from "zod";
import { DATA_DISK_FILESYSTEMS } from "../args";
import { LOG_DRIVERS, STORAGE_DRIVERS } from "../daemonSettings";
import { ConfigIssue, describeValue, didYouMean } from "./common";

const stringList = z.array(z.string());
const port = z.number().int().min(1).max(65535);

export const daemonSchema = z.strictObject({
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

const bastionSchema = z.strictObject({
    host: z.string(),
    port: port.optional(),
    user: z.string().optional(),
    privateKey: z.string().optional(),
    hostKey: z.string().optional(),
});

export const configSchema = z.strictObject({
    connection: z.strictObject({
        host: z.string(),
        port: port.optional(),
        user: z.string().optional(),
        privateKey: z.string(),
        hostKey: z.string().optional(),
        bastion: bastionSchema.optional(),
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
    lockTimeoutSeconds: z.number().int().min(0).max(86400).optional(),
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
const KNOWN_KEYS: Readonly<Record<string, readonly string[]>> = {
    "": Object.keys(configSchema.shape),
    connection: Object.keys(configSchema.shape.connection.shape),
    "connection.bastion": Object.keys(bastionSchema.shape),
    dataDisk: Object.keys(configSchema.shape.dataDisk.unwrap().shape),
    daemon: Object.keys(daemonSchema.shape),
    prune: Object.keys(configSchema.shape.prune.unwrap().shape),
    tlsCertificates: Object.keys(configSchema.shape.tlsCertificates.unwrap().shape),
    "daemon.defaultAddressPools[]": Object.keys(daemonSchema.shape.defaultAddressPools.unwrap().element.shape),
};

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

/** The shape problems of a configuration, one per key (the first zod reports, see below). */
export function shapeIssues(error: z.ZodError): ConfigIssue[] {
    const byKey = new Map<string, z.core.$ZodIssue[]>();
    for (const issue of error.issues) {
        const key = issue.path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i > 0 ? "." : ""}${String(p)}`)).join("");
        byKey.set(key, [...(byKey.get(key) ?? []), issue]);
    }
    return [...byKey.entries()].flatMap(([key, issues]) => {
        // A huge whole number fails .int()'s safe-integer bound before the schema's own; report the latter.
        const own = issues.filter((i) => !isSafeIntegerBound(i));
        return zodIssueToConfigIssues(key, (own[0] ?? issues[0])!);
    });
}

function isSafeIntegerBound(issue: z.core.$ZodIssue): boolean {
    return (
        (issue.code === "too_big" && Number(issue.maximum) === Number.MAX_SAFE_INTEGER) ||
        (issue.code === "too_small" && Number(issue.minimum) === Number.MIN_SAFE_INTEGER)
    );
}

function zodIssueToConfigIssues(key: string, issue: z.core.$ZodIssue): ConfigIssue[] {
    switch (issue.code) {
        case "unrecognized_keys":
            return issue.keys.map((k) => {
                const level = key.replace(/\[[0-9]+\]$/, "[]");
                const known = Object.hasOwn(KNOWN_KEYS, level) ? KNOWN_KEYS[level]! : [];
                const hint = didYouMean(k, known);
                return {
                    key: key ? `${key}.${k}` : k,
                    message: `unknown setting.${hint ? ` Did you mean "${hint}"?` : ""} Known here: ${known.join(", ")}.`,
                };
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
