// The docker-host component provider: serves DockerHost and RegistryCache to Pulumi programs in any language
// (YAML, Python, Go, C#, …) over Pulumi's provider protocol, with the schema Pulumi's analyzer infers from
// the components' TypeScript Args. It is what Pulumi itself would run for this repository as a source-based
// plugin package (PulumiPlugin.yaml: `@pulumi/pulumi/cmd/run-plugin` hosts the components the package's
// main exports, from the package's root): the same ComponentProvider, the same root, so the same schema.
// The analyzer reads the TypeScript sources at that root (tsconfig.json, package.json, the components), so
// the provider runs from a checkout of this repository, never from the npm package (which ships no sources).
//
// Started by provider/pulumi-resource-docker-host, the plugin executable: a program's Pulumi.yaml names its
// directory (`packages: docker-host: <checkout>/provider`), and `pulumi package get-schema` takes its path.
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { DockerHost, RegistryCache } from "../components";

/** The package name: the first part of every type token ("docker-host:index:DockerHost"). */
export const PACKAGE_NAME = "docker-host";

/** The repository root above `from` (provider/ from source, dist/provider/ when compiled). */
export function repositoryRoot(from: string): string {
    for (let dir = from; ; dir = dirname(dir)) {
        if (existsSync(join(dir, "package.json")) && existsSync(join(dir, "tsconfig.json")) && existsSync(join(dir, "components"))) return dir;
        if (dirname(dir) === dir) throw new Error(`docker-host provider: no repository root (package.json, tsconfig.json, components/) above ${from}`);
    }
}

/** The provider, as the plugin host serves it. */
export function dockerHostProvider(root = repositoryRoot(__dirname)): ComponentProvider {
    return new ComponentProvider({ name: PACKAGE_NAME, dirname: root, components: [DockerHost, RegistryCache] });
}

if (require.main === module) {
    pulumi.provider.main(dockerHostProvider(), process.argv.slice(2)).catch((err: unknown) => {
        console.error(err instanceof Error ? err.stack ?? err.message : String(err));
        process.exit(1);
    });
}
