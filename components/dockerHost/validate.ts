// Validation of a DockerHost's configuration, the entry point: runs before any child resource exists (and
// again on resolved Outputs), collects every problem and throws once. Each message names the host, the key
// and the fix. The checks live by concern under validate/: schema (shape and ranges), connection,
// hostSettings (data disk, prune, TLS), daemon (daemon.json), paths (where data may live).
import { RunError } from "@pulumi/pulumi/errors";
import { DockerHostConfig } from "./args";
import { ConfigIssue } from "./validate/common";
import { connectionIssues } from "./validate/connection";
import { daemonIssues } from "./validate/daemon";
import { dataDiskIssues, pruneIssues, tlsIssues } from "./validate/hostSettings";
import { configSchema, shapeIssues } from "./validate/schema";

export type { ConfigIssue } from "./validate/common";
export { describeValue, didYouMean, isHostAddress } from "./validate/common";
export { machineKey } from "./validate/connection";
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
    ) {
        super(formatIssues(hostName, hostAddress, issues));
        this.name = "DockerHostConfigError";
    }
}

/** Host address used while only settings are validated; never shown in messages. */
export const PLACEHOLDER_HOST = "placeholder.invalid";

function formatIssues(hostName: string, hostAddress: string | undefined, issues: readonly ConfigIssue[]): string {
    const lines = issues.map((i) => `  - ${i.key}: ${i.message}`);
    const where = hostAddress && hostAddress !== PLACEHOLDER_HOST ? ` (${hostAddress})` : "";
    return `DockerHost "${hostName}"${where}: ${issues.length} invalid setting${issues.length === 1 ? "" : "s"}; nothing was changed on the host:\n${lines.join("\n")}`;
}

/** Validates one host's configuration; returns every problem (empty when valid). Never throws. */
export function findConfigIssues(config: unknown): ConfigIssue[] {
    const parsed = configSchema.safeParse(config, { reportInput: true });
    if (!parsed.success) return shapeIssues(parsed.error);
    const c = parsed.data as DockerHostConfig;
    const issues: ConfigIssue[] = [];
    const add = (key: string, message: string) => issues.push({ key, message });
    connectionIssues(c.connection, add);
    const mountPoint = dataDiskIssues(c.dataDisk, add);
    pruneIssues(c.prune, add);
    tlsIssues(c, add);
    daemonIssues(c.daemon ?? {}, { mountPoint, allowInsecureTcp: c.allowInsecureTcp ?? false, tlsFromCertificates: c.tlsCertificates !== undefined }, add);
    return issues;
}

/** Throws DockerHostConfigError listing every problem, or returns the config typed. */
export function validateDockerHostConfig(hostName: string, config: unknown): DockerHostConfig {
    const issues = findConfigIssues(config);
    if (issues.length > 0) {
        throw new DockerHostConfigError(hostName, issues, hostAddressOf(config));
    }
    return config as DockerHostConfig;
}

/** The connection's host address, when the config has a readable one. */
export function hostAddressOf(config: unknown): string | undefined {
    const host = (config as { connection?: { host?: unknown } } | undefined)?.connection?.host;
    return typeof host === "string" ? host : undefined;
}
