// OpenSSH client options for the docker CLI's ssh transport (what the @pulumi/docker provider runs for an
// `ssh://` host): the key, the pinned host keys, and the bastion as a ProxyCommand. The key and the
// known_hosts lines go to files of this user's, named by their content (so the options, and with them
// the provider, stay the same from run to run), in a directory only this user can read.
import { createHash } from "node:crypto";
import { lstatSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Resolved, SshConnection } from "./args";
import { knownHostsLine, parseHostKey } from "./hostKey";

/** The ssh options for `connection`; never interactive, and strict about host keys where they are pinned. */
export function opensshOptions(connection: Resolved<SshConnection>): string[] {
    const target = { host: connection.host, port: connection.port ?? 22, user: connection.user ?? "root" };
    const bastion = connection.bastion && { host: connection.bastion.host, port: connection.bastion.port ?? 22, user: connection.bastion.user ?? "root" };
    const known = [
        pinnedLine(target.host, target.port, connection.hostKey),
        bastion ? pinnedLine(bastion.host, bastion.port, connection.bastion?.hostKey) : "",
    ].join("");
    const hostKeyOptions = known === "" ? [] : ["-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${privateFile("known_hosts", known)}`];
    const options = ["-i", privateFile("key", normalisedKey(connection.privateKey)), "-o", "BatchMode=yes", ...hostKeyOptions];
    if (!bastion) return options;
    const bastionKey = privateFile("key", normalisedKey(connection.bastion?.privateKey ?? connection.privateKey));
    // ssh runs ProxyCommand through a shell: every word here is a validated host, user or number, or a
    // path this function made.
    const jump = ["ssh", "-i", bastionKey, "-p", String(bastion.port), "-o", "BatchMode=yes", ...hostKeyOptions, "-W", "%h:%p", `${bastion.user}@${bastion.host}`];
    return [...options, "-o", `ProxyCommand=${jump.join(" ")}`];
}

function pinnedLine(host: string, port: number, hostKey: string | undefined): string {
    const key = hostKey === undefined ? undefined : parseHostKey(hostKey);
    return key && !("problem" in key) ? knownHostsLine(host, port, key) : "";
}

/** OpenSSH refuses a key file without its final newline. */
function normalisedKey(key: string): string {
    return key.endsWith("\n") ? key : `${key}\n`;
}

/** Writes `content` to <private dir>/<kind>-<digest> (0600) unless it is there, and returns the path. */
function privateFile(kind: string, content: string): string {
    const dir = join(tmpdir(), `docker-host-${process.getuid?.() ?? "user"}`);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const stat = lstatSync(dir);
    if (!stat.isDirectory() || (process.getuid && stat.uid !== process.getuid()) || (stat.mode & 0o077) !== 0) {
        throw new Error(`${dir} is not a private directory of this user (0700, yours); remove it and run again.`);
    }
    const file = join(dir, `${kind}-${createHash("sha256").update(content).digest("hex").slice(0, 16)}`);
    const temp = `${file}.${process.pid}.tmp`;
    writeFileSync(temp, content, { mode: 0o600 });
    renameSync(temp, file);
    return file;
}
