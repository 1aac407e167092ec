// Facts the host scripts define and TypeScript shares (host paths, TLS file names, defaults, the reloadable
// keys, the step scripts), read from the scripts' own `readonly DH_…=` lines: each has one source, the script
// that acts on it. lib.sh holds what the step scripts share; run.sh what it needs before lib.sh is verified.
import { readFileSync } from "node:fs";
import { join } from "node:path";

/** The folder uploaded to every host. */
export const SCRIPTS_DIR = join(__dirname, "scripts");

/**
 * The plain `readonly DH_NAME=value` lines of a script: a value without expansions, bare or in quotes
 * (`$((…))` and the like are left out; TypeScript asks for none of those).
 */
export function readonlyConstants(text: string): ReadonlyMap<string, string> {
    const constants = new Map<string, string>();
    for (const line of text.split("\n")) {
        const m = /^\s*readonly (DH_[A-Z0-9_]+)=(?:'([^']*)'|"([^"$`\\]*)"|([^\s'"$`\\;|&<>()]+))\s*$/.exec(line);
        if (m) constants.set(m[1]!, m[2] ?? m[3] ?? m[4]!);
    }
    return constants;
}

const read = (script: string) => readonlyConstants(readFileSync(join(SCRIPTS_DIR, script), "utf8"));
const SCRIPTS = { "lib.sh": read("lib.sh"), "run.sh": read("run.sh") } as const;

/** The value of `readonly NAME=…` in the script; throws at load when the script no longer defines it. */
function constant(script: keyof typeof SCRIPTS, name: string): string {
    const value = SCRIPTS[script].get(name);
    if (value === undefined) throw new Error(`internal: scripts/${script} defines no plain "readonly ${name}=…"`);
    return value;
}

function seconds(script: keyof typeof SCRIPTS, name: string): number {
    const value = constant(script, name);
    if (!/^[0-9]+$/.test(value)) throw new Error(`internal: ${name} in scripts/${script} is not a number of seconds`);
    return Number(value);
}

/** Host paths and names (lib.sh). */
export const HOST_PATHS = {
    stateDir: constant("lib.sh", "DH_STATE_DIR"),
    daemonJson: constant("lib.sh", "DH_DAEMON_JSON"),
    appliedDaemonJson: constant("lib.sh", "DH_APPLIED_DAEMON_JSON"),
    listenDropIn: constant("lib.sh", "DH_DROPIN_LISTEN"),
    appliedListenDropIn: constant("lib.sh", "DH_APPLIED_DROPIN"),
    /** The data disk's docker.service drop-in (RequiresMountsFor=), written by the data-disk step. */
    diskDropIn: constant("lib.sh", "DH_DROPIN_DISK"),
    /** Docker's own default data-root, the live root of a host nobody moved. */
    defaultDataRoot: constant("lib.sh", "DH_DEFAULT_ROOT"),
    /** Where each TLS material version gets its directory. */
    tlsDir: constant("lib.sh", "DH_TLS_DIR"),
    tlsCaFile: constant("lib.sh", "DH_TLS_CA_FILE"),
    tlsCertFile: constant("lib.sh", "DH_TLS_CERT_FILE"),
    tlsKeyFile: constant("lib.sh", "DH_TLS_KEY_FILE"),
    /** Where run.sh installs each verified version of the scripts, root-owned (run.sh). */
    installDir: constant("run.sh", "DH_INSTALL_DIR"),
} as const;

/** What a TLS material version looks like (lib.sh's DH_TLS_VERSION_RE). */
export const TLS_VERSION = new RegExp(constant("lib.sh", "DH_TLS_VERSION_RE"));

/** Defaults of the arguments the plan passes to every step (lib.sh; the scripts use them when none is passed). */
export const STEP_DEFAULTS = {
    readyTimeoutSeconds: seconds("lib.sh", "DH_READY_TIMEOUT_DEFAULT"),
    lockWaitSeconds: seconds("lib.sh", "DH_LOCK_WAIT_DEFAULT"),
} as const;

/** daemon.json keys dockerd re-reads on SIGHUP (lib.sh; dockerd's reload documentation). */
export const RELOADABLE_DAEMON_KEYS: readonly string[] = constant("lib.sh", "DH_RELOADABLE_KEYS").split(",");

/** The step scripts a command may name (run.sh refuses any other). */
export const RUN_SH_STEPS: readonly string[] = constant("run.sh", "DH_STEPS").split(" ");

/** The steps run.sh runs read-only in the SSH session; every other one is a detached transaction (txn.sh). */
export const SESSION_STEPS: readonly string[] = constant("run.sh", "DH_SESSION_STEPS").split(" ");
