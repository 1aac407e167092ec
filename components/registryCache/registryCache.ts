// A pull-through registry cache (the CNCF Distribution registry in proxy mode), run as a container on one
// host through @pulumi/docker over SSH, for the other hosts of a stack to use as their registry mirror.
// Usable from any language: it takes the cache host's connection (like DockerHost's), not a DockerHost; give
// it `dependsOn` that host's DockerHost so Docker is configured first (and, optionally, a docker provider). Needs the @pulumi/docker provider
// plugin (it cannot be built from the Go module proxy here: its graph is tested under mocks, and through the
// engine when that plugin is installed: tests/engine/registryCache). Its pure side is mirror.ts.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Resolved, SshConnection } from "../dockerHost/args";
import { sshDockerProvider } from "../dockerHost/dockerProvider";
import { checkOnce } from "../dockerHost/inputs";
import { checkConnection, ConfigIssue, DockerHostConfigError } from "../dockerHost/validate";
import { DEFAULT_CACHE_PORT, DEFAULT_REGISTRY_IMAGE, DEFAULT_UPSTREAM_URL, mirrorUrl, registryCacheEnvironment } from "./mirror";

export interface RegistryCacheArgs {
    /** How to reach the host that runs the cache over SSH, as for its DockerHost. Pass the private key as a
     *  secret. A user other than root must be in the host's docker group. */
    readonly connection: pulumi.Input<SshConnection>;
    /** Address the other hosts reach the cache host at.
     *  @default - the connection's host */
    readonly address?: pulumi.Input<string>;
    /** Port the cache listens on.
     *  @default 5000 */
    readonly port?: pulumi.Input<number>;
    /** The registry image: the official one, or a copy in your own registry, or one already on the host
     *  (it is pulled only when the host does not have it).
     *  @default "registry:2" */
    readonly image?: pulumi.Input<string>;
    /** Also delete the volume holding the cached blobs on `destroy` (or when the cache is removed).
     *  @default false - the volume and its blobs stay on the host */
    readonly deleteStorageOnDestroy?: boolean;
    /** The registry to cache.
     *  @default "https://registry-1.docker.io" */
    readonly upstreamUrl?: pulumi.Input<string>;
    /** Upstream user name (e.g. to lift Docker Hub's pull limits).
     *  @default - anonymous */
    readonly upstreamUsername?: pulumi.Input<string>;
    /** Upstream password or token; pass it as a secret.
     *  @default - anonymous */
    readonly upstreamPassword?: pulumi.Input<string>;
    /** More ssh options for the docker provider's ssh (the key, the pinned host keys and the bastion are
     *  passed already).
     *  @default - none */
    readonly sshOpts?: pulumi.Input<pulumi.Input<string>[]>;
}

export class RegistryCache extends pulumi.ComponentResource {
    /** The mirror URL the other hosts use, e.g. http://10.0.0.5:5000. */
    public readonly mirrorUrl: pulumi.Output<string>;

    constructor(name: string, args: RegistryCacheArgs, opts?: pulumi.ComponentResourceOptions) {
        const refuse = (issues: readonly ConfigIssue[]) => new DockerHostConfigError(name, issues, undefined, "RegistryCache");
        const connection = checkOnce<Resolved<SshConnection>>(args.connection, checkConnection, refuse);
        if (connection.issuesNow.length > 0) throw refuse(connection.issuesNow);
        super("docker-host:index:RegistryCache", name, {}, opts);
        const port = pulumi.output(args.port ?? DEFAULT_CACHE_PORT);
        // A docker provider given in the options (TypeScript: the cache host's DockerHost.dockerProvider(), the
        // provider such stacks have had since before RegistryCache took connection args), else one of its own,
        // made once what the options wait for (the host's DockerHost) is done.
        const provider =
            this.getProvider("docker:index:Container") ??
            sshDockerProvider(`${name}-docker`, connection.value, args.sshOpts, { parent: this, dependsOn: opts?.dependsOn });
        const image = new docker.RemoteImage(`${name}-image`, { name: args.image ?? DEFAULT_REGISTRY_IMAGE, keepLocally: true }, { parent: this, provider });
        // The cache's blobs survive container replacement, and `destroy` unless asked otherwise.
        const storage = new docker.Volume(`${name}-storage`, { name: `${name}-storage` }, { parent: this, provider, retainOnDelete: !args.deleteStorageOnDestroy });
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
        const address = args.address ?? pulumi.unsecret(connection.value.apply((c) => c.host));
        this.mirrorUrl = pulumi.all([address, port]).apply(([a, p]) => mirrorUrl(a, p));
        this.registerOutputs({ mirrorUrl: this.mirrorUrl });
    }
}
