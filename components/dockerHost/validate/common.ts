// Shared pieces of the validators: the issue type, the character rules for values that reach host scripts,
// how a bad value is described in a message, "did you mean", and path and address predicates.
import { isIP } from "node:net";
import { trimSlash } from "../values";

/** One problem with one key. */
export interface ConfigIssue {
    /** Dotted path of the offending key, e.g. "daemon.logMaxSize". */
    readonly key: string;
    /** What is wrong and how to fix it. */
    readonly message: string;
}

/** Records one problem: the key (relative to the validator's scope) and the message. */
export type AddIssue = (key: string, message: string) => void;

// Character sets for values that end up as parameters of host scripts. They are passed on stdin, never
// pasted into a command line, but a narrow set keeps logs, unit files and file names unambiguous.
/** A plain absolute path: lib.sh's require_safe_path accepts exactly these (and no "." or ".." segment). */
export const SAFE_PATH = /^\/(?:[A-Za-z0-9._@+-]+(?:\/[A-Za-z0-9._@+-]+)*)?\/?$/;
/** A path under /dev (as /dev/disk/by-id/… links are), without "." or ".." segments. */
export function isDevicePath(value: string): boolean {
    return /^\/dev(?:\/[A-Za-z0-9._-]+)+$/.test(value) && !value.split("/").some((part) => part === "." || part === "..");
}
export const SIZE = /^[1-9][0-9]*[kmg]$/;
const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;
/** A login name as useradd accepts it by default. */
export const USER = /^[a-z_][a-z0-9_.-]{0,31}$/;
export const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;

/**
 * A DNS name. One whose last label is all digits is refused: resolvers read "10.0.0" or "123" as an IPv4
 * address in shorthand (and no top-level domain is numeric), so it would reach some other machine.
 */
export function isHostName(value: string): boolean {
    return HOSTNAME.test(value) && !/(?:^|\.)[0-9]+$/.test(value);
}

/** An IP address (v4, or v6 without brackets) or a DNS name. */
export function isHostAddress(value: string): boolean {
    return isIP(value) !== 0 || isHostName(value);
}

/**
 * How a bad value reads in a message: strings quoted (cut when long), NaN and Infinity by name (JSON would
 * print them as null), containers by kind.
 */
export function describeValue(value: unknown): string {
    if (value === undefined) return "nothing";
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    switch (typeof value) {
        case "string":
            return JSON.stringify(abbreviate(value, 100));
        case "number":
            return Number.isFinite(value) ? JSON.stringify(value) : String(value);
        case "boolean":
            return String(value);
        case "bigint":
            return `${value}n`;
        case "object":
            return "an object";
        default:
            return `a ${typeof value}`;
    }
}

/** A long value cut for a message (host keys are ~80 characters of base64). */
export function abbreviate(value: string, max = 40): string {
    return value.length > max ? `${value.slice(0, max - 3)}...` : value;
}

/** The closest candidate within a small edit distance, for "did you mean" hints. */
export function didYouMean(input: string, candidates: readonly string[]): string | undefined {
    if (input.length > 100) return undefined; // no key is that long; spare the quadratic distance
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

/** Reports a path that is not plain and absolute; true when it is. */
export function checkAbsolutePath(add: AddIssue, key: string, value: string): boolean {
    if (!value.startsWith("/")) {
        add(key, `${describeValue(value)} is a relative path. Fix: use an absolute path such as "/data/docker".`);
    } else if (value.split("/").some((part) => part === ".." || part === ".")) {
        add(key, `${describeValue(value)} contains "." or ".." segments. Fix: write the path without them.`);
    } else if (!SAFE_PATH.test(value)) {
        add(key, `${describeValue(value)} contains characters outside A-Z a-z 0-9 . _ @ + - /. Fix: use a plain path (no spaces, quotes, $ or backslashes).`);
    } else {
        return true;
    }
    return false;
}

export function isAtOrUnder(path: string, parent: string): boolean {
    const p = trimSlash(path);
    const base = trimSlash(parent);
    return p === base || p.startsWith(base === "/" ? "/" : `${base}/`);
}

export function isCidr(value: string): boolean {
    const [ip, prefix, ...rest] = value.split("/");
    if (rest.length > 0 || ip === undefined || prefix === undefined || !/^[0-9]{1,3}$/.test(prefix)) return false;
    const family = isIP(ip);
    return family !== 0 && Number(prefix) <= (family === 4 ? 32 : 128);
}

/** ip:port, an IPv6 address in brackets. */
export function isHostPort(value: string): boolean {
    const m = /^(\[[0-9a-fA-F:.]+\]|[0-9.]+):([0-9]{1,5})$/.exec(value);
    if (!m) return false;
    const bracketed = m[1]!.startsWith("[");
    const ip = m[1]!.replace(/^\[|\]$/g, "");
    return isIP(ip) === (bracketed ? 6 : 4) && Number(m[2]) >= 1 && Number(m[2]) <= 65535;
}

/** The eight 16-bit groups of an IPv6 address (one isIP calls 6), an embedded IPv4 tail included. */
function ipv6Groups(address: string): number[] {
    let text = address.replace(/%.*$/, "");
    const v4 = /([0-9]+)\.([0-9]+)\.([0-9]+)\.([0-9]+)$/.exec(text);
    if (v4) {
        const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
        text = `${text.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
    }
    const [head, tail] = text.split("::") as [string, string | undefined];
    const front = head ? head.split(":") : [];
    const back = tail ? tail.split(":") : [];
    const groups = tail === undefined ? front : [...front, ...Array<string>(8 - front.length - back.length).fill("0"), ...back];
    return groups.map((g) => parseInt(g, 16));
}

/**
 * One spelling per address, for comparing hosts: DNS names lower-cased, IPv6 written out in full (an
 * IPv4-mapped one as its IPv4 address). Anything else is returned lower-cased.
 */
export function canonicalHost(host: string): string {
    if (isIP(host) !== 6) return host.toLowerCase();
    const zone = /%.*$/.exec(host)?.[0].toLowerCase() ?? "";
    const g = ipv6Groups(host);
    if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `${g[6]! >> 8}.${g[6]! & 255}.${g[7]! >> 8}.${g[7]! & 255}`;
    return g.map((x) => x.toString(16)).join(":") + zone;
}

/** A literal loopback address: 127.0.0.0/8, ::1, or 127.0.0.0/8 mapped into IPv6. Never a name. */
export function isLoopbackAddress(ip: string): boolean {
    if (isIP(ip) === 0) return false;
    const canonical = canonicalHost(ip);
    return canonical === "0:0:0:0:0:0:0:1" || (isIP(canonical) === 4 && canonical.startsWith("127."));
}

/** Calls visit for every string inside value, object keys included, with its dotted path. */
export function forEachString(value: unknown, visit: (path: string, s: string) => void, path = ""): void {
    if (typeof value === "string") {
        visit(path, value);
    } else if (Array.isArray(value)) {
        value.forEach((v, i) => forEachString(v, visit, `${path}[${i}]`));
    } else if (value && typeof value === "object") {
        for (const [k, v] of Object.entries(value)) {
            const at = /^[^\u0000-\u001f\u007f.[\]"]+$/.test(k) ? (path ? `${path}.${k}` : k) : `${path}[${JSON.stringify(k)}]`;
            visit(at, k);
            forEachString(v, visit, at);
        }
    }
}
