// Builds the command strings the remote steps run. Pure: the scripts are this repo's own files, uploaded
// to `~/.docker-host/<digest>/scripts` by a remote.CopyToRemote; the only arguments are fixed tokens (a
// digest, numbers, a name). User values travel on stdin, never on the command line.
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { HOST_PATHS, SCRIPTS_DIR } from "./hostConstants";
import type { StepScript } from "./steps";

export { SCRIPTS_DIR };
/** Parent of the per-version upload folders, relative to the SSH user's home (sshd starts commands there). */
export const REMOTE_PARENT_DIR = ".docker-host";
/** Where run.sh installs each verified version, root-owned (run.sh's DH_INSTALL_DIR). */
export const HOST_INSTALL_DIR = HOST_PATHS.installDir;

const SAFE_ARG = /^[a-z-]+=[A-Za-z0-9.-]+$/;

/** The files of the scripts folder, in the order both digests walk them (byte order, as the host's `LC_ALL=C`). */
function scriptFiles(): string[] {
    return readdirSync(SCRIPTS_DIR).sort();
}

/**
 * sha256 over the list `sha256sum` prints for the scripts, in name order (`<file's sha256>  <name>` lines).
 * run.sh recomputes it over its root-owned copy, with one sha256sum for all the files, before any script runs
 * as root, so a script changed after the upload is refused; a new version also changes every command, so
 * Pulumi re-runs each step.
 */
export function scriptsDigest(): string {
    // Once per process: every step's command names it (≈ 0.5 ms of reading and hashing each, ×5 steps ×
    // create and delete × hosts on every run); the scripts are the package's own files.
    DIGESTS.scripts ??= createHash("sha256")
        .update(scriptFiles().map((file) => `${sha256Of(join(SCRIPTS_DIR, file))}  ${file}\n`).join(""))
        .digest("hex");
    return DIGESTS.scripts;
}

const DIGESTS: { scripts?: string; runSh?: string } = {};
const sha256Of = (path: string): string => createHash("sha256").update(readFileSync(path)).digest("hex");

/** The upload's remotePath: one folder per version, so stacks at different versions on one host never
 *  overwrite each other's scripts. The scripts land in `<this>/scripts`. */
export function remoteUploadParent(): string {
    return `${REMOTE_PARENT_DIR}/${scriptsDigest()}`;
}

/**
 * The command a remote.Command runs for a step. It copies run.sh out of the upload into a private temp file,
 * checks that copy against run.sh's digest (fixed here, in the command) and runs only the checked copy;
 * run.sh then installs and verifies the other scripts the same way (see scripts/run.sh).
 * POSIX sh, single-quoted: it starts from whatever login shell the SSH user has.
 */
export function remoteCommand(step: StepScript, args: readonly string[] = []): string {
    for (const arg of args) {
        if (!SAFE_ARG.test(arg)) throw new Error(`remoteCommand: argument ${JSON.stringify(arg)} is not a fixed token`);
    }
    const runSh = (DIGESTS.runSh ??= sha256Of(join(SCRIPTS_DIR, "run.sh")));
    const bootstrap = [
        'u=$PWD/$0; r=$(mktemp) || exit 1',
        `if cat "$u/run.sh" >"$r" 2>/dev/null && echo "${runSh}  $r" | sha256sum -c --status 2>/dev/null; then sh "$r" "$u" "$@"; s=$?`,
        'else echo "docker-host: $u/run.sh on $(hostname) is missing or differs from the uploaded version; refusing to run it. Fix: upload it again (pulumi up --replace on the -scripts resource)." >&2; s=1; fi',
        'rm -f "$r"; exit $s',
    ].join("; ");
    return ["sh", "-c", `'${bootstrap}'`, `${remoteUploadParent()}/scripts`, step, `v=${scriptsDigest()}`, ...args].join(" ");
}
