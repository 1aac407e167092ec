// daemonKeys.table.json against the host's own dockerd (every Engine with `dockerd --validate`: 26.1, 28.5,
// 29.5). The validator refuses a daemon.json key the table lacks and a value of another type than its row's,
// and the gate a key newer than the host's Engine, because dockerd refuses to start on each: here dockerd says
// so itself. For each row, alone in a daemon.json: a value of the row's type is a key dockerd knows ("don't match
// any configuration option" otherwise) and decodes (no "cannot unmarshal") when the Engine is at least the row's
// release, and refused, naming the key, once the Engine removed it (a note "refused from X"); a value of another
// type is refused, except by an Engine that ignores the key (a note "ignored from X", or the row's "ignored"),
// or where dockerd drops it (WRONG_TYPE_DROPPED). dockerd checks more than keys and types (an address, a log
// level), so a value of the right type may still be refused for what it says; only these two kinds of refusal
// count. And every flag in `dockerd --help` has its key in the table (or a reason why it has none), and so does
// every key dockerd takes, flag or not, hidden or not (KEYS_PROBE): a key a new Engine adds is found by running
// its dockerd.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { DAEMON_JSON_TYPES, DAEMON_KEYS, DaemonJsonType } from "../../components/dockerHost/daemonKeys";
import { DOCKERD_VALIDATES, downHost, hostTestsSkipReason, olderRelease, SandboxHost, ssh, TEST_ENGINE, upHost } from "./harness";

const NAME = "t-keys";

/** A value of each type, and one of another type that dockerd cannot decode into it. The object rows are
 *  objects of objects (runtimes, default-ulimits, default-network-opts) or structs (builder). */
const VALUE_OF: Readonly<Record<DaemonJsonType, { readonly right: unknown; readonly wrong: unknown }>> = {
    string: { right: "x", wrong: 1 },
    boolean: { right: true, wrong: "x" },
    integer: { right: 1, wrong: "x" },
    "string array": { right: ["x"], wrong: "x" },
    "object of strings": { right: { a: "b" }, wrong: { a: 1 } },
    "object of booleans": { right: { a: true }, wrong: { a: "x" } },
    object: { right: { a: {} }, wrong: "x" },
    "array of objects": { right: [{}], wrong: "x" },
};
/** Rows whose value dockerd reads key by key (it spreads the object's keys among its own, or refuses one it
 *  does not know): a value with keys it has. */
const RIGHT_VALUE: Readonly<Record<string, unknown>> = {
    proxies: { "http-proxy": "http://proxy.example:3128" },
    "nri-opts": { enable: false },
};
/** dockerd's flags whose own name (or plural: -s, -es, -y → -ies) is no daemon.json key, and why. Every
 *  other flag of the host's dockerd must have its key in the table: a flag a new Engine adds is a key the
 *  validator would refuse as undocumented until the table has it. */
const FLAG_WITHOUT_KEY: Readonly<Record<string, string>> = {
    "add-runtime": "its key is runtimes, an object of runtimes by name",
    "config-file": "it names daemon.json itself",
    help: "a command, not a setting",
    version: "a command, not a setting",
    validate: "a command, not a setting",
    "http-proxy": "a key of the proxies object in daemon.json",
    "https-proxy": "a key of the proxies object in daemon.json",
    "no-proxy": "a key of the proxies object in daemon.json",
};
/** Rows dockerd takes a value of another type for, and why (the validator refuses it all the same). */
const WRONG_TYPE_DROPPED: Readonly<Record<string, string>> = {
    restart: "no field decodes it: dockerd sets the --restart flag from it, which drops a value that is not a boolean",
};
/** The keys FLAG_WITHOUT_KEY names instead (in the table). */
const KEYS_OF_FLAGS_WITHOUT_KEY = ["runtimes", "proxies"];

/**
 * Every top-level daemon.json key the host's dockerd takes, found without the reference: each JSON name in its
 * binary (Go keeps struct tags for reflection) is put in one daemon.json, and `dockerd --validate` names every
 * one it does not take ("the following directives don't match any configuration option: …", before it decodes
 * anything). The rest are its keys: its flags' names, their NamedOption names (labels for --label), and those
 * it reads from daemon.json only (moby's skipValidateOptions, such as min-api-version), hidden flags' too.
 * stdout: the JSON names on line 1, dockerd's verdict after it.
 */
const KEYS_PROBE = String.raw`set -euo pipefail
f=$(mktemp)
trap 'rm -f "$f"' EXIT
names=$(grep -aoE 'json:"[a-z][a-z0-9-]*[,"]' "$(command -v dockerd)" | sed -E 's/^json:"//; s/[,"]$//' | sort -u)
printf '{%s}\n' "$(sed 's/.*/"&":null/' <<<"$names" | paste -sd, -)" >"$f"
paste -sd' ' - <<<"$names"
dockerd --validate --config-file "$f" 2>&1 || true`;

/** The table's key of a flag: its name, or its plural (-s, -es, -y → -ies; labels for --label). */
const keyOf = (flag: string): string | undefined => [flag, `${flag}s`, `${flag}es`, flag.replace(/y$/, "ies")].find((k) => Object.hasOwn(DAEMON_KEYS, k));

/** The notes a test reads (any other note is free text, and must not look like these). */
const REFUSED_FROM = /^refused from (\d+\.\d+) \(removed\)$/;
const IGNORED_FROM = /ignored from (\d+\.\d+)$/;

/** a ≤ b for Engine releases. */
const atMost = (a: string, b: string): boolean => !olderRelease(b, a);

interface Expectation {
    /** dockerd knows the key and decodes a value of its type; it does not know it yet; it removed it. */
    readonly key: "known" | "not yet" | "removed";
    /** dockerd refuses a value of another type (when it knows the key). */
    readonly refusesWrongType: boolean;
}

function expectation(key: string, engine: string): Expectation {
    const row = DAEMON_KEYS[key]!;
    const note = row.note ?? "";
    const removed = REFUSED_FROM.exec(note)?.[1];
    const ignoredFrom = IGNORED_FROM.exec(note)?.[1];
    const ignored = row.ignored === true || (ignoredFrom !== undefined && atMost(ignoredFrom, engine));
    if (row.since !== undefined && !atMost(row.since, engine)) return { key: "not yet", refusesWrongType: true };
    if (removed !== undefined && atMost(removed, engine)) return { key: "removed", refusesWrongType: true };
    return { key: "known", refusesWrongType: !ignored };
}

/** One `dockerd --validate` per line of stdin ("KEY<TAB>daemon.json"), in one session: "KEY<TAB>STATUS<TAB>OUTPUT" back. */
const PROBE = String.raw`set -u
f=$(mktemp)
trap 'rm -f "$f"' EXIT
while IFS=$'\t' read -r key json; do
  printf '%s\n' "$json" >"$f"
  out=$(dockerd --validate --config-file "$f" 2>&1) && status=0 || status=$?
  printf '%s\t%s\t%s\n' "$key" "$status" "$(tr '\n' ' ' <<<"$out")"
done`;

interface Verdict {
    readonly status: number;
    readonly output: string;
}

describe("the daemon.json key table against the host's dockerd", {
    skip: hostTestsSkipReason() ?? (DOCKERD_VALIDATES ? undefined : `Engine ${TEST_ENGINE}'s dockerd has no --validate`),
}, () => {
    let host: SandboxHost;
    const right = new Map<string, Verdict>();
    const wrong = new Map<string, Verdict>();
    before(() => {
        host = upHost(NAME, "--no-disk");
        const lines = Object.entries(DAEMON_KEYS).flatMap(([key, row]) => {
            const values = VALUE_OF[row.type];
            const rightValue = Object.hasOwn(RIGHT_VALUE, key) ? RIGHT_VALUE[key] : values.right;
            return [`right:${key}\t${JSON.stringify({ [key]: rightValue })}`, `wrong:${key}\t${JSON.stringify({ [key]: values.wrong })}`];
        });
        const res = ssh(host, PROBE, { user: "root", input: `${lines.join("\n")}\n` });
        assert.equal(res.status, 0, res.stderr);
        for (const line of res.stdout.trimEnd().split("\n")) {
            const [tagged, status, output] = line.split("\t");
            const [kind, key] = [tagged!.slice(0, tagged!.indexOf(":")), tagged!.slice(tagged!.indexOf(":") + 1)];
            (kind === "right" ? right : wrong).set(key, { status: Number(status), output: output ?? "" });
        }
        assert.equal(right.size + wrong.size, lines.length, "a verdict for every probe");
    });
    after(() => downHost(NAME));

    it("reads only notes of the known forms as facts", () => {
        for (const [key, row] of Object.entries(DAEMON_KEYS)) {
            if (row.note === undefined || !/refused from|ignored from/.test(row.note)) continue;
            assert.ok(REFUSED_FROM.test(row.note) || IGNORED_FROM.test(row.note), `${key}: note ${JSON.stringify(row.note)}`);
        }
        assert.ok(Object.keys(DAEMON_JSON_TYPES).every((type) => Object.hasOwn(VALUE_OF, type)));
    });

    it(`knows exactly the keys the table says Engine ${TEST_ENGINE} has, and decodes a value of each one's type`, () => {
        const unknown = (v: Verdict) => /don't match any configuration option/.test(v.output);
        const wrongly: string[] = [];
        for (const key of Object.keys(DAEMON_KEYS)) {
            const want = expectation(key, TEST_ENGINE).key;
            const got = right.get(key)!;
            if (want === "known" && (unknown(got) || /cannot unmarshal/.test(got.output))) wrongly.push(`${key}: the table says Engine ${TEST_ENGINE} takes ${DAEMON_KEYS[key]!.type}; dockerd: ${got.output}`);
            if (want === "not yet" && !unknown(got)) wrongly.push(`${key}: the table says Engine ${TEST_ENGINE} lacks it; dockerd (status ${got.status}): ${got.output}`);
            if (want === "removed" && (got.status === 0 || !got.output.includes(key))) wrongly.push(`${key}: the table says Engine ${TEST_ENGINE} refuses it; dockerd (status ${got.status}): ${got.output}`);
        }
        assert.deepEqual(wrongly, []);
    });

    it(`has a key for every flag of Engine ${TEST_ENGINE}'s dockerd, or knows why the flag has none`, () => {
        const res = ssh(host, "dockerd --help", { user: "root" });
        assert.equal(res.status, 0, res.stderr);
        const flags = [...res.stdout.matchAll(/^\s+(?:-\w, )?--([a-z0-9-]+)/gm)].map((m) => m[1]!);
        assert.ok(flags.length > 50 && flags.includes("data-root"), `flags read from dockerd --help: ${flags.join(" ")}`);
        const missing = flags.filter((flag) => keyOf(flag) === undefined && !Object.hasOwn(FLAG_WITHOUT_KEY, flag));
        assert.deepEqual(missing, [], `dockerd ${TEST_ENGINE} has these flags, and the table has no key for them: add each key's row (daemonKeys.table.json), or the flag to FLAG_WITHOUT_KEY with why`);
        for (const flag of Object.keys(FLAG_WITHOUT_KEY)) assert.equal(keyOf(flag), undefined, `${flag} has a key in the table after all`);
        for (const key of KEYS_OF_FLAGS_WITHOUT_KEY) assert.ok(Object.hasOwn(DAEMON_KEYS, key), key);
    });

    it(`has every top-level key Engine ${TEST_ENGINE}'s dockerd takes, flags or none, hidden or not`, () => {
        const res = ssh(host, KEYS_PROBE, { user: "root" });
        assert.equal(res.status, 0, res.stderr);
        const [namesLine = "", ...verdict] = res.stdout.split("\n");
        const names = namesLine.split(" ").filter(Boolean);
        const refused = /the following directives don't match any configuration option: ([^\n]*)/.exec(verdict.join("\n"));
        assert.ok(refused, `dockerd named no unknown key among ${names.length} names: ${verdict.join(" ")}`);
        const unknown = new Set(refused[1]!.split(",").map((k) => k.trim()));
        const taken = names.filter((name) => !unknown.has(name));
        // What dockerd takes whatever the release: a flag, a daemon.json-only key, a NamedOption name.
        for (const key of ["data-root", "builder", "labels", "registry-mirrors"]) assert.ok(taken.includes(key), `${key} among the keys found: ${taken.join(" ")}`);
        const missing = taken.filter((key) => keyOf(key) === undefined && !Object.hasOwn(FLAG_WITHOUT_KEY, key));
        assert.deepEqual(missing, [], `dockerd ${TEST_ENGINE} takes these daemon.json keys, and the table has none of them: add each key's row (daemonKeys.table.json; "ignored" with a note when dockerd reads nothing from it)`);
    });

    it("refuses a value of another type than the row's, except where the row says dockerd ignores the key", () => {
        const wrongly: string[] = [];
        for (const key of Object.keys(DAEMON_KEYS)) {
            const want = expectation(key, TEST_ENGINE);
            if (want.key !== "known") continue;
            const got = wrong.get(key)!;
            if (want.refusesWrongType && got.status === 0 && !Object.hasOwn(WRONG_TYPE_DROPPED, key)) wrongly.push(`${key}: dockerd took ${JSON.stringify(VALUE_OF[DAEMON_KEYS[key]!.type].wrong)} for ${DAEMON_KEYS[key]!.type}`);
            if (Object.hasOwn(WRONG_TYPE_DROPPED, key) && got.status !== 0) wrongly.push(`${key}: WRONG_TYPE_DROPPED says dockerd takes any type; dockerd: ${got.output}`);
            if (!want.refusesWrongType && got.status !== 0) wrongly.push(`${key}: the table says dockerd ignores it; dockerd: ${got.output}`);
        }
        assert.deepEqual(wrongly, []);
    });
});
