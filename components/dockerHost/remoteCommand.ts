// Builds the command strings the remote steps run. Pure: the scripts are this repo's own files, the only
// arguments are fixed tokens (numbers, digests); user values travel on stdin, never on the command line.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The host scripts under ./scripts, by step. */
export const STEP_SCRIPTS = ["gate", "disk", "disk-delete", "apply", "apply-delete"] as const;
export type StepScript = (typeof STEP_SCRIPTS)[number];

const SCRIPTS_DIR = join(__dirname, "scripts");
const INLINE_LIB_LINE = /^source .*# docker-host:inline-lib$/m;
const SAFE_ARG = /^[a-z-]+=[A-Za-z0-9.-]+$/;

/** The step's script with lib.sh inlined where the script sources it: one self-contained bash program. */
export function scriptText(step: StepScript): string {
    const script = readFileSync(join(SCRIPTS_DIR, `${step}.sh`), "utf8");
    const lib = readFileSync(join(SCRIPTS_DIR, "lib.sh"), "utf8");
    if (!INLINE_LIB_LINE.test(script)) {
        throw new Error(`scripts/${step}.sh lacks its "source … # docker-host:inline-lib" line`);
    }
    return script.replace(INLINE_LIB_LINE, () => lib);
}

/** Quotes a string for a POSIX shell: single quotes, each ' written as '\''. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command a remote.Command runs for a step. It works from any POSIX login shell: as root it runs the
 * script directly; otherwise through `sudo -n`, after checking that sudo needs no password (so a user
 * without sudo rights gets one clear line instead of a hung prompt).
 */
export function remoteCommand(step: StepScript, args: readonly string[] = []): string {
    for (const arg of args) {
        if (!SAFE_ARG.test(arg)) throw new Error(`remoteCommand: argument ${JSON.stringify(arg)} is not a fixed token`);
    }
    const argv = [shellQuote(`docker-host-${step}`), ...args].join(" ");
    return [
        `s=${shellQuote(scriptText(step))}`,
        `if [ "$(id -u)" -eq 0 ]; then set -- /bin/bash`,
        `elif sudo -n true 2>/dev/null; then set -- sudo -n /bin/bash`,
        `else echo "docker-host: user $(id -un) on $(hostname) cannot run sudo without a password. Fix: grant it passwordless sudo (NOPASSWD) or connect as root." >&2; exit 1`,
        `fi`,
        `exec "$@" -c "$s" ${argv}`,
    ].join("\n");
}
