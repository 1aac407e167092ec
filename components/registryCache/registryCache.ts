// A pull-through registry cache (the CNCF Distribution registry in proxy mode), run as a container on one
// DockerHost through @pulumi/docker, for the other hosts of a stack to use as their registry mirror.
// Needs the @pulumi/docker provider plugin (it cannot be built from the Go module proxy here: its graph is
// tested under mocks, and through the engine when that plugin is installed: tests/engine/registryCache).
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { DaemonSettings } from "../dockerHost/daemonSettings";
import { DockerHost } from "../dockerHost/dockerHost";

export interface RegistryCacheArgs {
    /** The host that runs the cache. */
    readonly host: DockerHost;
    /** Address the other hosts reach the cache host at (usually its connection address). */
    readonly address: pulumi.Input<string>;
    /** Port the cache listens on.
     *  @default 5000 */
    readonly port?: pulumi.Input<number>;
    /** The registry to cache.
     *  @default "https://registry-1.docker.io" */
    readonly upstreamUrl?: pulumi.Input<string>;
    /** Upstream credentials (e.g. to lift Docker Hub's pull limits).
     *  @default - anonymous */
    readonly upstreamUsername?: pulumi.Input<string>;
    /** Upstream password or token; pass it as a secret.
     *  @default - anonymous */
    readonly upstreamPassword?: pulumi.Input<string>;
    /** The registry image: the official one, or a copy in your own registry, or one already on the host
     *  (it is pulled only when the host does not have it).
     *  @default "registry:2" */
    readonly image?: pulumi.Input<string>;
    /** Also delete the volume holding the cached blobs on `destroy` (or when the cache is removed).
     *  @default false - the volume and its blobs stay on the host */
    readonly deleteStorageOnDestroy?: boolean;
    /** More ssh options for the docker provider's ssh (the host's key, pinned host keys and bastion are
     *  passed already).
     *  @default - none */
    readonly sshOpts?: pulumi.Input<pulumi.Input<string>[]>;
}

export const DEFAULT_UPSTREAM_URL = "https://registry-1.docker.io";
export const DEFAULT_CACHE_PORT = 5000;
export const DEFAULT_REGISTRY_IMAGE = "registry:2";

/** Distribution's configuration for proxy mode, as environment variables (its config-file overrides). */
export function registryCacheEnvironment(upstreamUrl: string, username?: string, password?: string): string[] {
    return [
        `REGISTRY_PROXY_REMOTEURL=${upstreamUrl}`,
        ...(username ? [`REGISTRY_PROXY_USERNAME=${username}`] : []),
        ...(password ? [`REGISTRY_PROXY_PASSWORD=${password}`] : []),
        "REGISTRY_STORAGE_DELETE_ENABLED=true",
    ];
}

/** The daemon settings that make a host pull through the cache (insecure-registries for an http cache). */
export function mirrorDaemonSettings(mirrorUrl: string): Pick<DaemonSettings, "registryMirrors" | "insecureRegistries"> {
    const url = new URL(mirrorUrl);
    return { registryMirrors: [mirrorUrl], ...(url.protocol === "http:" ? { insecureRegistries: [url.host] } : {}) };
}

export class RegistryCache extends pulumi.ComponentResource {
    /** The mirror URL the other hosts use, e.g. http://10.0.0.5:5000. */
    public readonly mirrorUrl: pulumi.Output<string>;

    constructor(name: string, args: RegistryCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        super("docker-host:index:RegistryCache", name, {}, opts);
        const port = pulumi.output(args.port ?? DEFAULT_CACHE_PORT);
        const provider = args.host.dockerProvider(`${name}-docker`, args.sshOpts);
        const image = new docker.RemoteImage(`${name}-image`, { name: args.image ?? DEFAULT_REGISTRY_IMAGE, keepLocally: true }, { parent: this, provider });
        // The cache's blobs survive container replacement, and `destroy` unless asked otherwise.
        const storage = new docker.Volume(
            `${name}-storage`,
            { name: `${name}-storage` },
            { parent: this, provider, retainOnDelete: !args.deleteStorageOnDestroy },
        );
        const envs = pulumi
            .all([args.upstreamUrl ?? DEFAULT_UPSTREAM_URL, args.upstreamUsername, args.upstreamPassword])
            .apply(([url, user, password]) => registryCacheEnvironment(url, user, password));
        new docker.Container(
            name,
            {
                name,
                image: image.imageId,
                restart: "always",
                envs: args.upstreamPassword ? pulumi.secret(envs) : envs,
                ports: [{ internal: 5000, external: port }],
                volumes: [{ volumeName: storage.name, containerPath: "/var/lib/registry" }],
            },
            { parent: this, provider },
        );
        this.mirrorUrl = pulumi.interpolate`http://${args.address}:${port}`;
        this.registerOutputs({ mirrorUrl: this.mirrorUrl });
    }
}
