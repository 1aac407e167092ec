// Checks of the SSH connection: the target's and the bastion's address, user, private key and pinned host
// key (ports are ranged by the schema), and the identity of the machine an entry reaches (machineKey), by
// which the stack configuration spots two entries for one machine.
import { BastionConnection, Resolved, SshConnection } from "../args";
import { parseHostKey } from "../hostKey";
import { abbreviate, AddIssue, canonicalHost, describeValue, isHostAddress, USER } from "./common";

/** What differs in the messages of the two hops. */
interface Hop {
    /** Key prefix of the hop's fields. */
    readonly key: "connection" | "connection.bastion";
    /** Example addresses for the fix. */
    readonly hostExample: string;
    /** Example login names for the fix. */
    readonly userExample: string;
    /** Where else the key may come from, for the fix. */
    readonly keyHint: string;
}

const TARGET: Hop = { key: "connection", hostExample: '"10.0.0.5" or "web-1.example.com"', userExample: '"root" or "deploy"', keyHint: " (config: privateKeyPath reads a file)" };
const BASTION: Hop = { key: "connection.bastion", hostExample: '"10.0.0.1" or "bastion.example.com"', userExample: '"root" or "jump"', keyHint: "" };

/** Checks the connection's values (after the schema checked their types). */
export function connectionIssues(connection: Resolved<SshConnection>, add: AddIssue): void {
    hopIssues(TARGET, connection, add);
    if (connection.bastion) hopIssues(BASTION, connection.bastion, add);
}

function hopIssues(hop: Hop, c: Resolved<SshConnection> | Resolved<BastionConnection>, add: AddIssue): void {
    if (!isHostAddress(c.host)) {
        add(`${hop.key}.host`, `${describeValue(c.host)} is neither an IP address nor a host name. Fix: use e.g. ${hop.hostExample}.`);
    }
    if (c.user !== undefined && !USER.test(c.user)) {
        add(`${hop.key}.user`, `${describeValue(c.user)} is not a valid user name. Fix: use a login name such as ${hop.userExample}.`);
    }
    const keyProblem = c.privateKey === undefined ? undefined : privateKeyProblem(c.privateKey, hop.keyHint);
    if (keyProblem) add(`${hop.key}.privateKey`, keyProblem);
    const pin = c.hostKey === undefined ? undefined : parseHostKey(c.hostKey);
    if (pin && "problem" in pin) add(`${hop.key}.hostKey`, `${JSON.stringify(abbreviate(c.hostKey!))} ${pin.problem}`);
}

/** The fix for a private key that is something else (a path, a public key, a PuTTY file). */
export const NOT_A_PRIVATE_KEY_FIX = "Fix: pass the key's contents, not its path";

/**
 * What is wrong with a private key's text, or undefined when it has the shape of an unencrypted PEM or
 * OpenSSH private key. `hint` names other sources of the key. The key's contents are never quoted.
 */
function privateKeyProblem(text: string, hint: string): string | undefined {
    const begin = /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/.exec(text);
    if (!begin) {
        const trimmed = text.trim();
        const what = /^(ssh-|ecdsa-|sk-)/.test(trimmed)
            ? "is a public key line, not a private key"
            : trimmed.startsWith("PuTTY-User-Key-File")
              ? "is a PuTTY key (.ppk), which SSH here cannot read"
              : 'does not look like a private key (no "-----BEGIN ... PRIVATE KEY-----" line)';
        return `${what}. ${NOT_A_PRIVATE_KEY_FIX}${hint}.`;
    }
    const end = `-----END ${begin[1]!}PRIVATE KEY-----`;
    if (!text.slice(begin.index).includes(end)) {
        return `has no "${end}" line after its BEGIN line: it was cut short. Fix: copy the whole key.`;
    }
    if (begin[1] === "ENCRYPTED " || /Proc-Type: *4, *ENCRYPTED/.test(text) || isEncryptedOpenSshKey(text.slice(begin.index + begin[0].length, text.indexOf(end)))) {
        return "is encrypted with a passphrase, which no step can enter. Fix: use a key without a passphrase (ssh-keygen -p -N '' -f KEY on a copy), kept as a secret.";
    }
    return undefined;
}

/** Whether an OpenSSH ("openssh-key-v1") key body names a cipher other than "none". */
function isEncryptedOpenSshKey(base64Body: string): boolean {
    const blob = Buffer.from(base64Body.replace(/\s+/g, ""), "base64");
    const magic = "openssh-key-v1\0";
    if (blob.length < magic.length + 4 || blob.toString("latin1", 0, magic.length) !== magic) return false;
    const length = blob.readUInt32BE(magic.length);
    const cipher = blob.toString("latin1", magic.length + 4, magic.length + 4 + length);
    return cipher !== "none";
}

/**
 * The machine an entry reaches: its address (case and IPv6 spelling normalised) and port, through its
 * bastion if any. The user is left out: two users on one machine are still one Docker host. Entries behind
 * different bastions may reach different machines at the same private address, so the bastion counts.
 */
export function machineKey(c: { readonly host: string; readonly port?: number; readonly bastion?: { readonly host: string; readonly port?: number } }): string {
    const hop = (h: { readonly host: string; readonly port?: number }) => `${canonicalHost(h.host)}:${h.port ?? 22}`;
    return c.bastion ? `${hop(c)} via ${hop(c.bastion)}` : hop(c);
}
