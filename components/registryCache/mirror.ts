// The pull-through cache's pure side: its defaults, the one builder of the mirror URL the other hosts use,
// the daemon settings that make a host pull through it, and the registry's proxy-mode environment. No
// Pulumi resources here: the stack-config reader uses it without loading @pulumi/docker.
import { isIP } from "node:net";
import { DaemonSettings, Resolved } from "../dockerHost/args";

export const DEFAULT_UPSTREAM_URL = "https://registry-1.docker.io";
export const DEFAULT_CACHE_PORT = 5000;
export const DEFAULT_REGISTRY_IMAGE = "registry:2";

/** The cache's mirror URL: plain http to the cache host's address and port, an IPv6 address in brackets. */
export function mirrorUrl(address: string, port: number): string {
    return `http://${isIP(address) === 6 ? `[${address}]` : address}:${port}`;
}

/** The daemon settings that make a host pull through the cache (insecure-registries for an http cache). */
export function mirrorDaemonSettings(url: string): Pick<Resolved<DaemonSettings>, "registryMirrors" | "insecureRegistries"> {
    const parsed = new URL(url);
    return { registryMirrors: [url], ...(parsed.protocol === "http:" ? { insecureRegistries: [parsed.host] } : {}) };
}

/** Distribution's configuration for proxy mode, as environment variables (its config-file overrides). */
export function registryCacheEnvironment(upstreamUrl: string, username?: string, password?: string): string[] {
    return [
        `REGISTRY_PROXY_REMOTEURL=${upstreamUrl}`,
        ...(username ? [`REGISTRY_PROXY_USERNAME=${username}`] : []),
        ...(password ? [`REGISTRY_PROXY_PASSWORD=${password}`] : []),
        "REGISTRY_STORAGE_DELETE_ENABLED=true",
    ];
}
