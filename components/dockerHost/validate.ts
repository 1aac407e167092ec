// Validation of a DockerHost's configuration, the entry point. Each part is checked on its own, once, before
// any step can run: the plain settings (what the plan takes), the connection and the TLS material (secret:
// checked where their real values are known, never handed to the plan). Every problem is collected and
// reported at once; each message names the key and the fix. The checks live by concern under validate/:
// schema (shape and ranges), connection, hostSettings (data disk, prune, TLS), daemon (daemon.json), paths.
import { RunError } from "@pulumi/pulumi/errors";
import { DockerHostConfig, HostSettings, Resolved, SshConnection, TlsCertificates } from "./args";
import { isRecord } from "./values";
import { AddIssue, ConfigIssue } from "./validate/common";
import { connectionIssues } from "./validate/connection";
import { daemonIssues } from "./validate/daemon";
import { dataDiskIssues, pruneIssues, tlsCertificatesIssues, tlsListenAddressIssues } from "./validate/hostSettings";
import { configSchema, connectionSchema, ParsedShape, parseShape, settingsSchema, tlsCertificatesSchema } from "./validate/schema";

export type { ConfigIssue } from "./validate/common";
export { describeValue, didYouMean, isHostAddress } from "./validate/common";
export { machineKey, NOT_A_PRIVATE_KEY_FIX } from "./validate/connection";
export { parseListener } from "./validate/daemon";
export type { Listener } from "./validate/daemon";

/**
 * Thrown when a host's configuration is refused; `issues` lists every problem found. A Pulumi RunError, so
 * the program ends with the list alone, without a stack trace.
 */
export class DockerHostConfigError extends RunError {
    constructor(
        readonly hostName: string,
        readonly issues: readonly ConfigIssue[],
        readonly hostAddress?: string,
        /** The component refusing its inputs. */
        readonly component: "DockerHost" | "RegistryCache" = "DockerHost",
    ) {
        super(formatIssues(component, hostName, hostAddress, issues));
        this.name = "DockerHostConfigError";
    }
}

function formatIssues(component: string, hostName: string, hostAddress: string | undefined, issues: readonly ConfigIssue[]): string {
    const lines = issues.map((i) => `  - ${i.key}: ${i.message}`);
    const where = hostAddress ? ` (${hostAddress})` : "";
    return `${component} "${hostName}"${where}: ${issues.length} invalid setting${issues.length === 1 ? "" : "s"}; nothing was changed on the host:\n${lines.join("\n")}`;
}

/** A part of a configuration, checked: its typed value when it has no problem, and its problems. */
export interface Checked<T> {
    readonly value?: T;
    readonly issues: readonly ConfigIssue[];
}

/** Runs a part's meaning checks on its shape-checked value, or, when its shape failed, on what passed of it:
 *  every problem at once, whichever kind. */
function checked<T>(shape: ParsedShape<T>, meaning: (value: T, add: AddIssue) => void): Checked<T> {
    const issues: ConfigIssue[] = [...shape.issues];
    const checkable = shape.data ?? shape.rest;
    if (checkable !== undefined) meaning(checkable, (key, message) => issues.push({ key, message }));
    return issues.length > 0 || shape.data === undefined ? { issues } : { value: shape.data, issues };
}

/** Checks the SSH connection (keys reported under "connection."). */
export function checkConnection(connection: unknown): Checked<Resolved<SshConnection>> {
    return checked(parseShape(connectionSchema, connection, ["connection"]), connectionIssues);
}

/** Checks the TLS material (keys under "tlsCertificates."): the shape, the PEMs, what they hold at `now`. */
export function checkTlsCertificates(certificates: unknown, now?: Date): Checked<Resolved<TlsCertificates>> {
    return checked(parseShape(tlsCertificatesSchema, certificates, ["tlsCertificates"]), (tls, add) => tlsCertificatesIssues(tls, add, now));
}

/** What the settings' checks need to know of the secret parts. */
export interface SettingsContext {
    /** Whether the host has tlsCertificates (only their presence matters here). */
    readonly tls: boolean;
}

/** Checks a host's plain settings: everything but the connection and the TLS material. */
export function checkSettings(settings: unknown, ctx: SettingsContext): Checked<HostSettings> {
    return checked(parseShape(settingsSchema, settings), (s, add) => {
        const mountPoint = dataDiskIssues(s.dataDisk, add);
        pruneIssues(s.prune, add);
        tlsListenAddressIssues(s.tlsListenAddress, ctx.tls, add);
        daemonIssues(s.daemon ?? {}, { mountPoint, allowInsecureTcp: s.allowInsecureTcp ?? false, tls: ctx.tls }, add);
    });
}

/** Checks a whole configuration, part by part; the typed configuration when every part passes. */
export function checkConfig(config: unknown): Checked<DockerHostConfig> {
    if (!isRecord(config)) return { issues: parseShape(configSchema, config).issues };
    const { connection, tlsCertificates, ...settings } = config;
    const parts = {
        connection: checkConnection(connection),
        settings: checkSettings(settings, { tls: tlsCertificates !== undefined }),
        tls: tlsCertificates === undefined ? undefined : checkTlsCertificates(tlsCertificates),
    };
    const issues = [...parts.connection.issues, ...parts.settings.issues, ...(parts.tls?.issues ?? [])];
    if (issues.length > 0 || !parts.connection.value || !parts.settings.value) return { issues };
    return { value: { connection: parts.connection.value, ...parts.settings.value, ...(parts.tls?.value ? { tlsCertificates: parts.tls.value } : {}) }, issues };
}

/** Validates one host's configuration; returns every problem (empty when valid). Never throws. */
export function findConfigIssues(config: unknown): ConfigIssue[] {
    return [...checkConfig(config).issues];
}

/** Throws DockerHostConfigError listing every problem, or returns the configuration typed. */
export function validateDockerHostConfig(hostName: string, config: unknown): DockerHostConfig {
    const { value, issues } = checkConfig(config);
    if (!value) throw new DockerHostConfigError(hostName, issues, hostAddressOf(config));
    return value;
}

/** The connection's host address, when the configuration has a readable one. */
export function hostAddressOf(config: unknown): string | undefined {
    const connection = isRecord(config) ? config.connection : undefined;
    return isRecord(connection) && typeof connection.host === "string" ? connection.host : undefined;
}
