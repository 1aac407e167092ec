// Builds the command strings the remote steps run. Pure: the scripts are this repo's own files, uploaded
// to `~/.docker-host/scripts` by a remote.CopyToRemote; the only arguments are fixed tokens (a digest,
// numbers). User values travel on stdin, never on the command line.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

/** The host scripts under ./scripts, by step. */
export const STEP_SCRIPTS = ["gate", "disk", "disk-delete", "apply", "apply-delete", "prune", "prune-delete", "tls", "tls-delete"] as const;
export type StepScript = (typeof STEP_SCRIPTS)[number];

/** The folder uploaded to every host. */
export const SCRIPTS_DIR = join(__dirname, "scripts");
/** Where the folder lands, relative to the SSH user's home (sshd starts commands there). */
export const REMOTE_PARENT_DIR = ".docker-host";
export const REMOTE_SCRIPTS_DIR = `${REMOTE_PARENT_DIR}/scripts`;

const SAFE_ARG = /^[a-z-]+=[A-Za-z0-9.-]+$/;

/** A digest of every uploaded script: a new script version changes each command, so Pulumi re-runs it. */
export function scriptsDigest(): string {
    const hash = createHash("sha256");
    for (const file of readdirSync(SCRIPTS_DIR).sort()) {
        hash.update(file).update("\0").update(readFileSync(join(SCRIPTS_DIR, file))).update("\0");
    }
    return hash.digest("hex").slice(0, 12);
}

/** The command a remote.Command runs for a step: run.sh picks root or `sudo -n` on the host. */
export function remoteCommand(step: StepScript, args: readonly string[] = []): string {
    for (const arg of args) {
        if (!SAFE_ARG.test(arg)) throw new Error(`remoteCommand: argument ${JSON.stringify(arg)} is not a fixed token`);
    }
    return ["sh", `${REMOTE_SCRIPTS_DIR}/run.sh`, step, `v=${scriptsDigest()}`, ...args].join(" ");
}
