// A @pulumi/docker provider that talks to a host's dockerd over SSH (`ssh://user@host:port`), for stacks
// that manage containers on it: DockerHost's TypeScript convenience method and RegistryCache. Its plugin
// must be installed, and a user other than root must be in the host's docker group (`docker system
// dial-stdio` runs without sudo). Other languages build theirs from DockerHost's dockerHostUrl output.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Resolved, SshConnection } from "./args";
import { opensshOptions } from "./opensshOptions";
import { endpointOf } from "./ssh";

/** The docker CLI's URL of a host: ssh://user@host:port, the defaults filled in. Not secret. */
export function dockerHostUrl(connection: Resolved<SshConnection>): string {
    return `ssh://${endpointOf(connection)}`;
}

/**
 * The provider for the host `connection` reaches. The connection's key is handed to the docker CLI's ssh as
 * a private file (0600, in a 0700 directory of the temp dir), its pinned host keys as a known_hosts file
 * (checked strictly, never asked), its bastion as a ProxyCommand; only file paths leave this process, so
 * the provider's inputs need not be secret.
 * @param sshOpts more ssh options, after those
 */
export function sshDockerProvider(
    name: string,
    connection: pulumi.Output<Resolved<SshConnection>>,
    sshOpts: pulumi.Input<pulumi.Input<string>[]> | undefined,
    opts: pulumi.CustomResourceOptions,
): docker.Provider {
    const host = pulumi.unsecret(connection.apply(dockerHostUrl));
    const allSshOpts = pulumi.unsecret(pulumi.all([connection, sshOpts ?? []]).apply(([c, extra]) => [...opensshOptions(c), ...extra]));
    return new docker.Provider(name, { host, sshOpts: allSshOpts }, opts);
}
