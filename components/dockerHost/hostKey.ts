// Pinned SSH host keys: parse an OpenSSH public key line, name its fingerprint, and build the known_hosts
// lines OpenSSH clients (the docker provider's ssh) need. Pure.
import { createHash } from "node:crypto";

/** Host key types a pin may use. RSA is left out on purpose: see RSA_REFUSAL. */
export const PINNABLE_HOST_KEY_TYPES = [
    "ssh-ed25519", // the default host key of every current OpenSSH; preferred
    "ecdsa-sha2-nistp256",
    "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521",
] as const;
export type PinnableHostKeyType = (typeof PINNABLE_HOST_KEY_TYPES)[number];

/** Bytes in a key blob of each type: its name, then the curve name and point (ECDSA) or the 32-byte key. */
const BLOB_LENGTHS: Record<PinnableHostKeyType, number> = {
    "ssh-ed25519": 4 + 11 + 4 + 32,
    "ecdsa-sha2-nistp256": 4 + 19 + 4 + 8 + 4 + 65,
    "ecdsa-sha2-nistp384": 4 + 19 + 4 + 8 + 4 + 97,
    "ecdsa-sha2-nistp521": 4 + 19 + 4 + 8 + 4 + 133,
};

/** Why an RSA pin is refused: the command plugin pins the negotiated algorithm to the key's type, and for
 *  RSA that type is "ssh-rsa" (SHA-1 signatures), which OpenSSH 8.8 and later refuse by default. */
export const RSA_REFUSAL =
    "is an RSA key; with it pinned, the command plugin insists on ssh-rsa (SHA-1) signatures, which OpenSSH 8.8+ refuses. Fix: pin the host's ed25519 key (/etc/ssh/ssh_host_ed25519_key.pub, or `npm run host-keys`).";

/** A parsed, normalised host key. */
export interface HostKey {
    readonly type: PinnableHostKeyType;
    /** The key blob, base64 as in the .pub file. */
    readonly base64: string;
    /** "type base64": what the command plugin's `hostKey` takes. */
    readonly line: string;
    /** OpenSSH's SHA256 fingerprint, e.g. "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s". */
    readonly fingerprint: string;
}

/**
 * Parses a host key given as an OpenSSH public key line ("ssh-ed25519 AAAA… comment"), or as a
 * known_hosts line (with the host names in front). Returns the key, or what is wrong with it.
 */
export function parseHostKey(text: string): HostKey | { readonly problem: string } {
    const words = text.trim().split(/\s+/);
    const at = words.findIndex((w) => /^(ssh-|ecdsa-|sk-)/.test(w));
    const type = at < 0 ? undefined : words[at];
    const base64 = at < 0 ? undefined : words[at + 1];
    if (type === undefined || base64 === undefined || at > 1) {
        return { problem: 'is not an OpenSSH public key line. Fix: use the host\'s "ssh-ed25519 AAAA…" line (/etc/ssh/ssh_host_ed25519_key.pub, or `npm run host-keys`).' };
    }
    if (type === "ssh-rsa") return { problem: RSA_REFUSAL };
    if (!(PINNABLE_HOST_KEY_TYPES as readonly string[]).includes(type)) {
        return { problem: `has key type ${JSON.stringify(type)}. Fix: pin one of ${PINNABLE_HOST_KEY_TYPES.join(", ")} (ssh-ed25519 preferred).` };
    }
    const blob = Buffer.from(base64, "base64");
    const wellFormed = /^[A-Za-z0-9+/]+={0,2}$/.test(base64) && blob.toString("base64") === base64;
    if (!wellFormed || blobType(blob) !== type || blob.length !== BLOB_LENGTHS[type as PinnableHostKeyType]) {
        return { problem: `is not a valid ${type} key (its base64 part does not decode to one). Fix: copy the whole line again.` };
    }
    return { type: type as PinnableHostKeyType, base64, line: `${type} ${base64}`, fingerprint: fingerprintOf(blob) };
}

/** OpenSSH's fingerprint of a key blob: SHA256, base64 without padding. */
export function fingerprintOf(blob: Buffer): string {
    return `SHA256:${createHash("sha256").update(blob).digest("base64").replace(/=+$/, "")}`;
}

/** The type name at the start of a key blob (an SSH string: 4-byte length, then the name). */
function blobType(blob: Buffer): string | undefined {
    if (blob.length < 4) return undefined;
    const length = blob.readUInt32BE(0);
    return length > 0 && length < 64 && blob.length >= 4 + length ? blob.subarray(4, 4 + length).toString("latin1") : undefined;
}

/** A known_hosts line for a host: "address" for port 22, "[address]:port" otherwise. */
export function knownHostsLine(address: string, port: number, key: HostKey): string {
    return `${port === 22 ? address : `[${address}]:${port}`} ${key.line}\n`;
}
