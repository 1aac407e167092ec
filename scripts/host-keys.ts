// host-keys.ts — pin the SSH host keys of a stack's hosts and bastions: scan each one (a target behind a
// bastion through that bastion, whose own key is checked first), print the fingerprints for you to compare
// with the hosts' own (`ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub` on their consoles), and write
// the confirmed keys into Pulumi.<stack>.yaml as `hostKey` (comments and layout kept). A key that differs
// from the one already pinned is never replaced without --replace-changed.
//
// Usage: npm run host-keys -- --stack STACK [--yes] [--replace-changed] [--dir DIR] [--private-key-file PATH]
//   --yes                 write without asking (needed when stdin is not a terminal)
//   --private-key-file    the SSH key for bastions, when the stack keeps it as the secret docker-host:privateKey
//   --dir                 the folder holding Pulumi.<stack>.yaml (default: this repository)
// Exit codes: 0 every host pinned (or already pinned); 1 a host could not be scanned, a key changed, or
//   nothing was confirmed (the reason on stderr); 2 usage error.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { createInterface } from "node:readline/promises";
import { isMap, parseDocument, YAMLMap } from "yaml";
import { Resolved, SshConnection } from "../components/dockerHost/args";
import { fingerprintOf, parseHostKey } from "../components/dockerHost/hostKey";
import { endpointOf, scanHostKey } from "../components/dockerHost/ssh";

interface Options {
    readonly stack: string;
    readonly yes: boolean;
    readonly replaceChanged: boolean;
    readonly dir: string;
    readonly privateKeyFile?: string;
}

/** One machine to pin: where its key goes in the stack file, and how to reach it. */
interface Target {
    readonly label: string;
    /** Path of the mapping that gets `hostKey` (e.g. ["config", "docker-host:hosts", 0, "bastion"]). */
    readonly path: readonly (string | number)[];
    readonly connection: Resolved<SshConnection>;
    /** The pin already there (inline or from hostKeyPath), if any. */
    readonly pinned?: string;
    /** Pinned through hostKeyPath: reported, never rewritten. */
    readonly pinnedByFile: boolean;
}

type Entry = Record<string, unknown>;

function parseArgs(argv: string[]): Options {
    const options: { stack?: string; yes: boolean; replaceChanged: boolean; dir: string; privateKeyFile?: string } = {
        yes: false,
        replaceChanged: false,
        dir: join(__dirname, ".."),
    };
    for (let i = 0; i < argv.length; i++) {
        const value = argv[i + 1];
        switch (argv[i]) {
            case "--stack": options.stack = value; i++; break;
            case "--dir": if (value) options.dir = value; i++; break;
            case "--private-key-file": options.privateKeyFile = value; i++; break;
            case "--yes": options.yes = true; break;
            case "--replace-changed": options.replaceChanged = true; break;
            default: usage(`unknown argument ${argv[i]}`);
        }
    }
    if (!options.stack) usage("--stack is required");
    return { ...options, stack: options.stack! };
}

function usage(problem: string): never {
    process.stderr.write(`host-keys: ${problem}\nusage: npm run host-keys -- --stack STACK [--yes] [--replace-changed] [--dir DIR] [--private-key-file PATH]\n`);
    process.exit(2);
}

function fail(problem: string): never {
    process.stderr.write(`host-keys: ${problem}\n`);
    process.exit(1);
}

/** The machines of a stack file: each host, and each bastion where it is written (a host entry or the defaults). */
function targetsOf(config: Entry, options: Options): Target[] {
    const defaults = (config["docker-host:defaults"] ?? {}) as Entry;
    const hosts = config["docker-host:hosts"];
    if (!Array.isArray(hosts) || hosts.length === 0) fail("the stack lists no hosts (docker-host:hosts)");
    const readKey = (path: unknown) => {
        const file = typeof path === "string" ? path : options.privateKeyFile;
        try {
            return file ? readFileSync(file, "utf8") : "";
        } catch {
            return "";
        }
    };
    const readPin = (entry: Entry) => {
        if (typeof entry.hostKey === "string") return entry.hostKey;
        try {
            return typeof entry.hostKeyPath === "string" ? readFileSync(entry.hostKeyPath, "utf8").trim() : undefined;
        } catch {
            return undefined;
        }
    };
    const targets: Target[] = [];
    const bastionsSeen = new Set<string>();
    (hosts as Entry[]).forEach((host, index) => {
        const ownPin = host.hostKey !== undefined || host.hostKeyPath !== undefined;
        const merged: Entry = { ...defaults, ...host, ...(ownPin ? { hostKey: host.hostKey, hostKeyPath: host.hostKeyPath } : {}) };
        const privateKey = readKey(merged.privateKeyPath);
        const bastionEntry = merged.bastion as Entry | undefined;
        const bastionPath = host.bastion !== undefined ? ["config", "docker-host:hosts", index, "bastion"] : ["config", "docker-host:defaults", "bastion"];
        let bastion: Resolved<SshConnection>["bastion"];
        if (bastionEntry && typeof bastionEntry.host === "string") {
            bastion = {
                host: bastionEntry.host,
                port: bastionEntry.port as number | undefined,
                user: bastionEntry.user as string | undefined,
                privateKey: privateKey || undefined,
                hostKey: bastionEntry.hostKey as string | undefined,
            };
            const id = `${bastionPath.join(".")}`;
            if (!bastionsSeen.has(id)) {
                bastionsSeen.add(id);
                targets.push({
                    label: `bastion of ${host.bastion !== undefined ? String(host.name) : "defaults"}`,
                    path: bastionPath,
                    connection: { host: bastionEntry.host, port: bastion.port, user: bastion.user, privateKey: "" },
                    ...(typeof bastionEntry.hostKey === "string" ? { pinned: bastionEntry.hostKey } : {}),
                    pinnedByFile: false,
                });
            }
        }
        const pin = readPin(merged);
        targets.push({
            label: String(host.name),
            path: ["config", "docker-host:hosts", index],
            connection: {
                host: String(host.host),
                port: merged.port as number | undefined,
                user: merged.user as string | undefined,
                privateKey,
                ...(bastion ? { bastion } : {}),
            },
            ...(pin === undefined ? {} : { pinned: pin }),
            pinnedByFile: typeof merged.hostKeyPath === "string" && merged.hostKey === undefined,
        });
    });
    return targets;
}

async function confirm(question: string): Promise<boolean> {
    const rl = createInterface({ input: process.stdin, output: process.stderr });
    const answer = await rl.question(question);
    rl.close();
    return /^y(es)?$/i.test(answer.trim());
}

async function main(): Promise<void> {
    const options = parseArgs(process.argv.slice(2));
    const stackFile = join(options.dir, `Pulumi.${options.stack}.yaml`);
    let text: string;
    try {
        text = readFileSync(stackFile, "utf8");
    } catch {
        fail(`no ${stackFile}; create the stack's config first`);
    }
    const doc = parseDocument(text);
    const config = ((doc.toJS() as { config?: Entry } | null)?.config ?? {}) as Entry;
    const targets = targetsOf(config, options);

    // Bastions first: a target behind one is scanned through it, with the key just seen (or pinned) enforced.
    const scanned = new Map<string, string>(); // path → "type base64"
    const problems: string[] = [];
    const writes: { path: readonly (string | number)[]; line: string }[] = [];
    for (const target of targets) {
        const bastionPath = target.path.length === 3 && target.connection.bastion ? targets.find((t) => t.label.startsWith("bastion") && t.connection.host === target.connection.bastion!.host)?.path : undefined;
        const bastionKey = bastionPath ? scanned.get(bastionPath.join(".")) : undefined;
        const connection = target.connection.bastion && bastionKey ? { ...target.connection, bastion: { ...target.connection.bastion, hostKey: bastionKey } } : target.connection;
        if (connection.bastion && !connection.bastion.privateKey && !connection.privateKey) {
            problems.push(`${target.label}: it is behind a bastion and its SSH key is not in a file here. Fix: set privateKeyPath, or pass --private-key-file PATH.`);
            continue;
        }
        let offered: Buffer;
        try {
            offered = await scanHostKey(connection);
        } catch (err) {
            problems.push(`${target.label} (${connection.host}): ${(err as Error).message}`);
            continue;
        }
        const type = offered.subarray(4, 4 + offered.readUInt32BE(0)).toString("latin1");
        const line = `${type} ${offered.toString("base64")}`;
        scanned.set(target.path.join("."), line);
        const parsedPin = target.pinned === undefined ? undefined : parseHostKey(target.pinned);
        const pinnedLine = parsedPin && !("problem" in parsedPin) ? parsedPin.line : undefined;
        let status: string;
        if (pinnedLine === line) status = "unchanged";
        else if (target.pinned !== undefined && pinnedLine !== line) {
            const before = parsedPin && !("problem" in parsedPin) ? parsedPin.fingerprint : "an unreadable key";
            status = `CHANGED (pinned: ${before})`;
            if (target.pinnedByFile) problems.push(`${target.label}: offers another key than its hostKeyPath file; that file is yours to update.`);
            else if (options.replaceChanged) writes.push({ path: target.path, line });
            else problems.push(`${target.label}: offers another key than the pinned one; if you know why (reinstalled, key rotated), re-run with --replace-changed.`);
        } else {
            status = "new";
            writes.push({ path: target.path, line });
        }
        process.stdout.write(`${target.label.padEnd(24)} ${endpointOf(connection).padEnd(28)} ${type} ${fingerprintOf(offered)}  ${status}\n`);
    }

    if (writes.length > 0 && !problems.some((p) => p.includes("--replace-changed") || p.includes("hostKeyPath"))) {
        process.stdout.write(`Compare each fingerprint with the host's own (on its console: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub).\n`);
        const ok = options.yes || (process.stdin.isTTY && (await confirm(`Pin ${writes.length} key(s) in ${stackFile}? [y/N] `)));
        if (!ok) fail(process.stdin.isTTY ? "nothing written" : "nothing written: re-run with --yes once you have checked the fingerprints");
        for (const { path, line } of writes) {
            const node = doc.getIn(path);
            if (!isMap(node)) fail(`internal: ${path.join(".")} is not a mapping`);
            (node as YAMLMap).set("hostKey", line);
        }
        const temp = `${stackFile}.${process.pid}.tmp`;
        writeFileSync(temp, doc.toString({ lineWidth: 0 })); // a key line stays on one line
        renameSync(temp, stackFile);
        process.stdout.write(`pinned ${writes.length} host key(s) in ${stackFile}\n`);
    } else if (writes.length > 0) {
        problems.push("nothing written: resolve the changed keys above first");
    } else if (problems.length === 0) {
        process.stdout.write("every host key is already pinned; nothing to write\n");
    }
    if (problems.length > 0) fail(problems.join("\nhost-keys: "));
}

main().catch((err: Error) => fail(err.message));
