// sandboxStack.ts — which hosts of a stack are local sandbox hosts (sandbox/sandbox), so that scripts/up.sh
// and scripts/preview.sh (through scripts/sandbox-stack.sh) boot them before running Pulumi, and the preview
// workflow runs such a stack with no repository secret. The one definition of "a sandbox stack".
//
// A host entry is a sandbox host when its privateKeyPath or hostKeyPath (its own, else docker-host:defaults')
// is a file of a sandbox host's state directory, /run/docker-host-sandbox/<NAME>/…, as `sandbox up NAME`
// writes them. It is booted as NAME with `--index N` where its `host` is 10.213.N.2 (the sandbox's fixed
// address for index N), so the stack reaches the host it boots.
//
// Usage: node --import tsx scripts/sandboxStack.ts Pulumi.<stack>.yaml
//   prints one line "NAME INDEX" per sandbox host (nothing for a stack of real servers)
// Exit codes: 0 printed; 1 the file is unreadable or names a sandbox host at an address no sandbox index
//   gives (the reason and the fix on stderr); 2 usage error.
import { readFileSync } from "node:fs";
import { parse } from "yaml";

/** Where `sandbox up NAME` keeps a host's key files (sandbox/sandbox, DOCKER_HOST_SANDBOX_STATE's default). */
export const SANDBOX_STATE_ROOT = "/run/docker-host-sandbox";
/** The sandbox gives index N the address 10.213.N.2 (sandbox/sandbox: NET_PREFIX, MAX_INDEX). */
const SANDBOX_ADDRESS = /^10\.213\.([1-9][0-9]{0,2})\.2$/;
const MAX_INDEX = 254;

export interface SandboxHost {
    /** The sandbox host's name (its state directory's). */
    readonly name: string;
    /** `sandbox up --index`: its address is 10.213.<index>.2. */
    readonly index: number;
}

type Entry = Readonly<Record<string, unknown>>;
const isEntry = (v: unknown): v is Entry => typeof v === "object" && v !== null && !Array.isArray(v);

/** The sandbox host a key path belongs to, if any. */
function sandboxNameOf(path: unknown): string | undefined {
    if (typeof path !== "string") return undefined;
    const m = new RegExp(`^${SANDBOX_STATE_ROOT}/([^/]+)/`).exec(path);
    return m?.[1];
}

/**
 * The sandbox hosts of a stack file's text, in entry order, each once. Throws one Error naming every entry
 * whose address no sandbox index gives.
 */
export function sandboxHostsOf(stackYaml: string, file = "Pulumi.<stack>.yaml"): SandboxHost[] {
    const doc: unknown = parse(stackYaml);
    const config = isEntry(doc) && isEntry(doc.config) ? doc.config : {};
    const defaults = isEntry(config["docker-host:defaults"]) ? config["docker-host:defaults"] : {};
    const hosts = Array.isArray(config["docker-host:hosts"]) ? config["docker-host:hosts"] : [];
    const found = new Map<string, SandboxHost>();
    const problems: string[] = [];
    hosts.forEach((raw: unknown, i) => {
        const entry = isEntry(raw) ? raw : {};
        const name = sandboxNameOf(entry.privateKeyPath ?? defaults.privateKeyPath) ?? sandboxNameOf(entry.hostKeyPath ?? defaults.hostKeyPath);
        if (name === undefined) return;
        const m = SANDBOX_ADDRESS.exec(String(entry.host ?? ""));
        const index = m ? Number(m[1]) : NaN;
        if (!(index >= 1 && index <= MAX_INDEX)) {
            problems.push(
                `${file}: docker-host:hosts[${i}].host: ${JSON.stringify(entry.host)} is not a sandbox address, but its keys are the sandbox host ${name}'s (${SANDBOX_STATE_ROOT}/${name}/). Fix: set host to 10.213.N.2 (N from 1 to ${MAX_INDEX}, the index ${name} is booted with), or point the keys at the real server's.`,
            );
            return;
        }
        const earlier = found.get(name);
        if (earlier && earlier.index !== index) {
            problems.push(`${file}: docker-host:hosts[${i}].host: the sandbox host ${name} is at 10.213.${earlier.index}.2 in an earlier entry. Fix: use one address per sandbox host.`);
            return;
        }
        found.set(name, { name, index });
    });
    if (problems.length > 0) throw new Error(problems.join("\n"));
    return [...found.values()];
}

function main(args: readonly string[]): number {
    if (args.length !== 1) {
        process.stderr.write("usage: node --import tsx scripts/sandboxStack.ts Pulumi.<stack>.yaml\n");
        return 2;
    }
    const file = args[0]!;
    let text: string;
    try {
        text = readFileSync(file, "utf8");
    } catch (e) {
        process.stderr.write(`sandboxStack: cannot read ${file}: ${(e as Error).message}. Fix: name an existing Pulumi.<stack>.yaml.\n`);
        return 1;
    }
    try {
        for (const host of sandboxHostsOf(text, file)) process.stdout.write(`${host.name} ${host.index}\n`);
        return 0;
    } catch (e) {
        process.stderr.write(`sandboxStack: ${(e as Error).message}\n`);
        return 1;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
