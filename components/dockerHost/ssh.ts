// SSH from the Pulumi program itself (ssh2): connect to a host, through its bastion when it has one,
// verifying pinned host keys before anything else happens, all bounded in time. Used by the preview's probe
// (drift and the plan's facts) and the host-key scanner (`npm run host-keys`); the steps' own connections
// are the command plugin's, which enforces the same pins.
import type { Client, ConnectConfig, ServerHostKeyAlgorithm } from "ssh2";
import { Resolved, SshConnection } from "./args";
import { fingerprintOf, HostKey, parseHostKey, PINNABLE_HOST_KEY_TYPES } from "./hostKey";

/** ssh2, loaded when the first session opens: most runs (every `up` without drift detection) open none, and
 *  loading it costs every run of the program. */
const ssh2 = (): typeof import("ssh2") => require("ssh2") as typeof import("ssh2");

/** Bounds on one SSH exchange, so an unreachable host cannot hang a preview. */
export interface SshLimits {
    /** Seconds to establish each SSH session. */
    readonly connectTimeoutSeconds: number;
    /** Seconds for the whole exchange. */
    readonly totalTimeoutSeconds: number;
}

export const DEFAULT_SSH_LIMITS: SshLimits = { connectTimeoutSeconds: 10, totalTimeoutSeconds: 20 };

/** A machine answered with another host key than the pinned one. Never a warning: it is refused. */
export class HostKeyMismatchError extends Error {
    constructor(
        readonly where: string,
        readonly expected: string,
        /** The offered key's fingerprint, or undefined when the host has no key of the pinned type. */
        readonly offered: string | undefined,
    ) {
        super(
            `${where} ${offered ? `offered host key ${offered}` : "offers no host key of the pinned type"}, but ${expected} is pinned (hostKey); refused before any command ran. ` +
                "Fix: if that machine was reinstalled or its key rotated, check the new fingerprint on its console and pin it " +
                "(npm run host-keys -- --stack STACK --replace-changed); otherwise another machine is answering at that address.",
        );
        this.name = "HostKeyMismatchError";
    }
}

/** "user@host:port" of an SSH endpoint, with the defaults filled in: how messages and triggers name it. */
export function endpointOf(e: { readonly host: string; readonly port?: number; readonly user?: string }): string {
    return `${e.user ?? "root"}@${e.host}:${e.port ?? 22}`;
}

/** One end of a hop: where, who, and the pinned key (if any). */
interface Hop {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly privateKey: string;
    readonly hostKey?: HostKey;
    /** "root@10.0.0.5:22", or "bastion root@10.0.0.1:22". */
    readonly where: string;
}

/** The hops of a connection: the bastion first when there is one, then the target. */
function hopsOf(connection: Resolved<SshConnection>): Hop[] {
    const pinned = (text: string | undefined) => {
        const key = text === undefined ? undefined : parseHostKey(text);
        return key && !("problem" in key) ? key : undefined; // validation refused bad pins already
    };
    const hop = (h: { host: string; port?: number; user?: string; hostKey?: string }, privateKey: string, role: string): Hop => ({
        host: h.host,
        port: h.port ?? 22,
        user: h.user ?? "root",
        privateKey,
        ...(pinned(h.hostKey) ? { hostKey: pinned(h.hostKey)! } : {}),
        where: `${role}${endpointOf(h)}`,
    });
    const target = hop(connection, connection.privateKey, "");
    const bastion = connection.bastion;
    return bastion ? [hop(bastion, bastion.privateKey ?? connection.privateKey, "bastion "), target] : [target];
}

/** ssh2 settings that verify the hop's pinned key (offering only its type), or record what is offered. */
function verifying(hop: Hop, seen: (key: Buffer) => void, fail: (e: Error) => void): Pick<ConnectConfig, "hostVerifier" | "algorithms"> {
    const expected = hop.hostKey;
    return {
        // Only the pinned key's type, as the command plugin does, so the host cannot answer with another
        // of its keys; without a pin, ed25519 first.
        algorithms: { serverHostKey: (expected ? [expected.type] : [...PINNABLE_HOST_KEY_TYPES, "rsa-sha2-512", "rsa-sha2-256"]) as ServerHostKeyAlgorithm[] },
        hostVerifier: (key: Buffer) => {
            seen(key);
            if (!expected || key.toString("base64") === expected.base64) return true;
            fail(new HostKeyMismatchError(hop.where, expected.fingerprint, fingerprintOf(key)));
            return false;
        },
    };
}

/**
 * Runs `use` on an authenticated client of the target (through the bastion when there is one), after
 * every pinned key was verified. Rejects with HostKeyMismatchError on a wrong key, else with a clear reason;
 * always ends every client it opened.
 */
export function withSsh<T>(connection: Resolved<SshConnection>, use: (client: Client) => Promise<T>, limits: SshLimits = DEFAULT_SSH_LIMITS): Promise<T> {
    return withHops(hopsOf(connection), use, limits);
}

/** withSsh over explicit hops (the last one is where `use` runs). */
function withHops<T>(hops: readonly Hop[], use: (client: Client) => Promise<T>, limits: SshLimits): Promise<T> {
    return bounded(limits, (clients, fail) => {
        const open = (index: number, sock?: NodeJS.ReadableStream): Promise<Client> =>
            connectHop(clients, hops[index]!, { limits, fail, sock, login: true }).then(({ client }) => client);
        const chain = async (): Promise<T> => {
            let client = await open(0);
            for (let i = 1; i < hops.length; i++) {
                const next = hops[i]!;
                const sock = await forward(client, next);
                client = await open(i, sock);
            }
            return use(client);
        };
        return chain();
    });
}

/** Scans one host's key (through its bastion when there is one; the bastion's pin, if any, is enforced). */
export function scanHostKey(connection: Resolved<SshConnection>, limits: SshLimits = DEFAULT_SSH_LIMITS): Promise<Buffer> {
    const hops = hopsOf(connection);
    const target = hops[hops.length - 1]!;
    return bounded(limits, (clients, fail) => {
        const scan = (sock?: NodeJS.ReadableStream) =>
            connectHop(clients, { ...target, hostKey: undefined }, { limits, fail, sock, login: false }).then(({ offered }) => offered);
        if (hops.length === 1) return scan();
        return withHops([hops[0]!], async (jump) => scan(await forward(jump, target)), limits);
    });
}

/**
 * Opens one hop (over `sock` when it is behind another): with `login`, resolves once authenticated; without,
 * once the key exchange is done (the host key is verified by then; no login is attempted). Registers the
 * client in `clients` so the caller ends it; a pinned-key mismatch goes to `fail` at once.
 */
function connectHop(
    clients: Client[],
    hop: Hop,
    options: { limits: SshLimits; fail: (e: Error) => void; sock?: NodeJS.ReadableStream; login: boolean },
): Promise<{ client: Client; offered: Buffer }> {
    return new Promise((resolve, reject) => {
        const client = new (ssh2().Client)();
        clients.push(client);
        let mismatch: Error | undefined;
        let offered: Buffer = Buffer.alloc(0);
        const done = () => resolve({ client, offered });
        client.on("error", (e) => reject(mismatch ?? hopError(hop, e)));
        if (options.login) client.on("ready", done);
        else client.on("handshake", done);
        client.connect({
            host: hop.host,
            port: hop.port,
            username: hop.user,
            ...(options.login ? { privateKey: hop.privateKey } : {}),
            readyTimeout: options.limits.connectTimeoutSeconds * 1000,
            ...(options.sock ? { sock: options.sock as ConnectConfig["sock"] } : {}),
            ...verifying(hop, (key) => (offered = key), (e) => options.fail((mismatch = e))),
        });
    });
}

/** An error of one hop; a bastion's names the bastion (the caller names the target). */
function hopError(hop: Hop, e: Error): Error {
    // Only the pinned key's type was offered for negotiation: a host without such a key is not the host.
    if (hop.hostKey && /no matching host key format/i.test(e.message)) return new HostKeyMismatchError(hop.where, hop.hostKey.fingerprint, undefined);
    return hop.where.startsWith("bastion ") ? new Error(`${hop.where}: ${e.message}`) : e;
}

/** A TCP channel from `client`'s host to the next hop. */
function forward(client: Client, next: Hop): Promise<NodeJS.ReadableStream> {
    return new Promise((resolve, reject) =>
        client.forwardOut("127.0.0.1", 0, next.host, next.port, (err, channel) => (err ? reject(new Error(`forwarding to ${next.where}: ${err.message}`)) : resolve(channel))),
    );
}

/** Runs `body` with a deadline; every client it registers is ended afterwards, and `fail` rejects at once. */
function bounded<T>(limits: SshLimits, body: (clients: Client[], fail: (e: Error) => void) => Promise<T>): Promise<T> {
    const clients: Client[] = [];
    let timer: NodeJS.Timeout | undefined;
    let failNow: (e: Error) => void = () => undefined;
    const stop = new Promise<never>((_, reject) => {
        failNow = reject;
        timer = setTimeout(() => reject(new Error(`no answer within ${limits.totalTimeoutSeconds} s`)), limits.totalTimeoutSeconds * 1000);
    });
    return Promise.race([body(clients, (e) => failNow(e)), stop]).finally(() => {
        clearTimeout(timer);
        clients.forEach((c) => c.destroy()); // not end(): a half-open handshake would keep its socket and timers alive
    });
}
