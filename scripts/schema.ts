// Generates schema.json: the Pulumi package schema of docker-host's components (DockerHost, RegistryCache),
// inferred by Pulumi's own analyzer from their Args interfaces (components/dockerHost/args.ts) exactly as a
// source-based plugin package serves it: the same ComponentProvider, package name "docker-host", the
// repository root, package.json's version and description. `pulumi package get-schema` answers the same.
//
// Usage: npm run schema            (writes schema.json)
//        npm run schema -- --check (exit 1 when the committed schema.json is stale; tests/unit/schema.test.ts
//                                   makes the same comparison)
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ComponentProvider } from "@pulumi/pulumi/provider/experimental";
import { DockerHost, RegistryCache } from "../components";

export const REPO = join(__dirname, "..");
/** The committed schema. */
export const SCHEMA_FILE = join(REPO, "schema.json");
/** The first part of every type token: "docker-host:index:DockerHost". */
export const PACKAGE_NAME = "docker-host";

/** The schema, as schema.json holds it (two-space indent, trailing newline). */
export async function generateSchema(): Promise<string> {
    const provider = new ComponentProvider({ name: PACKAGE_NAME, dirname: REPO, components: [DockerHost, RegistryCache] });
    return `${JSON.stringify(JSON.parse(await provider.getSchema()), null, 2)}\n`;
}

async function main(args: readonly string[]): Promise<number> {
    const schema = await generateSchema();
    if (args.includes("--check")) {
        if (readFileSync(SCHEMA_FILE, "utf8") === schema) return 0;
        process.stderr.write("schema: schema.json is stale. Fix: npm run schema, and commit schema.json.\n");
        return 1;
    }
    writeFileSync(SCHEMA_FILE, schema);
    process.stderr.write(`schema: wrote ${SCHEMA_FILE}\n`);
    return 0;
}

if (require.main === module) {
    main(process.argv.slice(2)).then(
        (code) => process.exit(code),
        (err: unknown) => {
            process.stderr.write(`schema: ${err instanceof Error ? err.message : String(err)}\n`);
            process.exit(1);
        },
    );
}
