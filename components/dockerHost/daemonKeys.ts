// dockerd's daemon.json keys on Linux: the JSON type of each, and the Engine release that introduced it when
// that is newer than 20.10 (Debian 12's docker.io is 20.10.24). The one list of documented keys is the data
// file daemonKeys.table.json, loaded and checked here: the validator accepts `daemon.extra` keys from it and
// type-checks their values, and the gate refuses a host whose dockerd is older than a key it will find in
// daemon.json (engineRequirements).
//
// Source of daemonKeys.table.json: the dockerd reference of Engine 29.7 ("Daemon configuration file", docker/cli
// docs/reference/dockerd.md: the Linux example, the daemon.json keys named in the text, and the flags,
// whose names are the keys), with types and introducing releases from moby's daemon/config at each release
// tag (v20.10.24 … docker-v29.7.2), plus the keys dockerd takes that the reference does not name: those it
// reads from daemon.json only (moby's skipValidateOptions: min-api-version), nri-opts (29.2) and the keys of
// hidden or deprecated flags (network-diagnostic-port, restart), which the host test finds. Keys of the
// 20.10 reference that later releases dropped are kept (with a "note"): they are valid on the Engine most
// hosts run; a newer dockerd names them in the apply step's `dockerd --validate` (Engine 23+) before anything
// changes. tests/host/daemonKeys.test.ts holds every row against each sandbox Engine's own dockerd, and finds
// every key that dockerd takes and the table lacks.
import table from "./daemonKeys.table.json";

/** JSON types dockerd decodes daemon.json values into (the Go field's type); another type stops it from
 *  starting ("json: cannot unmarshal …"). */
export const DAEMON_JSON_TYPES = {
    string: "a string",
    boolean: "true or false",
    integer: "a whole number",
    "string array": "a list of strings",
    "object of strings": "an object whose values are strings",
    "object of booleans": "an object whose values are true or false",
    object: "an object",
    "array of objects": "a list of objects",
} as const;
export type DaemonJsonType = keyof typeof DAEMON_JSON_TYPES;

/** An Engine release, major.minor.patch (e.g. "28.2.0"). */
export type EngineVersion = `${number}.${number}.${number}`;

/** One documented daemon.json key. */
export interface DaemonKeySpec {
    /** The JSON type of its value. */
    readonly type: DaemonJsonType;
    /** The Engine release that introduced the key.
     *  @default - Engine 20.10 has it */
    readonly since?: EngineVersion;
}

/** One documented daemon.json key, as daemonKeys.table.json holds it. */
interface DaemonKeyRow extends DaemonKeySpec {
    /** dockerd takes the key in daemon.json but ignores its value on every Engine (the note says why): the
     *  validator refuses it, since it would change nothing. */
    readonly ignored?: true;
    /** What to know of the key: "refused from X (removed)" and "… ignored from X" are facts
     *  tests/host/daemonKeys.test.ts checks against dockerd; anything else is free text. */
    readonly note?: string;
}

/** Checks the data file's rows at load: a type this module knows, a well-formed release. */
function checkedTable(rows: Readonly<Record<string, { readonly type: string; readonly since?: string; readonly ignored?: boolean; readonly note?: string }>>): Readonly<Record<string, DaemonKeyRow>> {
    for (const [key, row] of Object.entries(rows)) {
        if (row.ignored !== undefined && (row.ignored !== true || row.note === undefined)) throw new Error(`internal: daemonKeys.table.json: ${key} has ignored ${JSON.stringify(row.ignored)} (true, with a note that says why)`);
        if (!Object.hasOwn(DAEMON_JSON_TYPES, row.type)) throw new Error(`internal: daemonKeys.table.json: ${key} has type ${JSON.stringify(row.type)}`);
        if (row.since !== undefined && !/^[0-9]+\.[0-9]+\.[0-9]+$/.test(row.since)) throw new Error(`internal: daemonKeys.table.json: ${key} has release ${JSON.stringify(row.since)}`);
    }
    return rows as Readonly<Record<string, DaemonKeyRow>>;
}

/** Every documented Linux daemon.json key, sorted. */
export const DAEMON_KEYS: Readonly<Record<string, DaemonKeyRow>> = checkedTable(table);

/** The documented keys, sorted (the "did you mean" candidates for `daemon.extra`). */
export const DOCUMENTED_DAEMON_KEYS: readonly string[] = Object.keys(DAEMON_KEYS);

/** The spec of a documented key; undefined for anything else (including "constructor" and the like). */
export function daemonKeySpec(key: string): DaemonKeySpec | undefined {
    return Object.hasOwn(DAEMON_KEYS, key) ? DAEMON_KEYS[key] : undefined;
}

/** A daemon.json key that needs an Engine newer than 20.10. */
export interface EngineRequirement {
    /** The daemon.json key. */
    readonly key: string;
    /** The Engine release that introduced it. */
    readonly since: EngineVersion;
}

/** The top-level keys of a daemon.json (daemonJsonObject) that need an Engine newer than 20.10, sorted by key. */
export function engineRequirements(daemonJson: Readonly<Record<string, unknown>>): EngineRequirement[] {
    return Object.keys(daemonJson)
        .sort()
        .flatMap((key) => {
            const since = daemonKeySpec(key)?.since;
            return since ? [{ key, since }] : [];
        });
}

/**
 * The gate's ENGINE_REQUIREMENTS value: "key@version" words separated by one space ("" when none), e.g.
 * "allow-direct-routing@28.2.0 firewall-backend@29.0.0". gate.sh reads exactly this shape and refuses
 * anything else; throws if a word would not match it.
 */
export function formatEngineRequirements(requirements: readonly EngineRequirement[]): string {
    return requirements
        .map(({ key, since }) => {
            const word = `${key}@${since}`;
            if (!/^[a-z0-9][a-z0-9-]*@[0-9]+\.[0-9]+\.[0-9]+$/.test(word)) throw new Error(`engine requirement ${JSON.stringify(word)} is not key@major.minor.patch`);
            return word;
        })
        .join(" ");
}
