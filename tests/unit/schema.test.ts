// The Pulumi schema (schema.json) is the one Pulumi's analyzer infers from the Args today (scripts/schema.ts),
// with the components' type tokens, and no output carries a secret.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { generateSchema, SCHEMA_FILE } from "../../scripts/schema";

interface Property {
    readonly $ref?: string;
    readonly items?: Property;
    readonly additionalProperties?: Property;
}
interface Schema {
    readonly name: string;
    readonly resources: Readonly<Record<string, { readonly inputProperties: Readonly<Record<string, Property>>; readonly properties: Readonly<Record<string, Property>> }>>;
    readonly types: Readonly<Record<string, { readonly properties?: Readonly<Record<string, Property>> }>>;
}

const committed = readFileSync(SCHEMA_FILE, "utf8");
const schema = JSON.parse(committed) as Schema;

/** Every property name reachable from these properties, through the schema's own types. */
function reachable(properties: Readonly<Record<string, Property>>, seen = new Set<string>()): string[] {
    return Object.entries(properties).flatMap(([name, p]) => {
        const ref = p.$ref ?? p.items?.$ref ?? p.additionalProperties?.$ref;
        const token = ref?.startsWith("#/types/") ? ref.slice("#/types/".length) : undefined;
        if (!token || seen.has(token)) return [name];
        seen.add(token);
        return [name, ...reachable(schema.types[token]?.properties ?? {}, seen)];
    });
}

describe("schema.json", () => {
    it("is what Pulumi's analyzer infers from the Args now (regenerate with npm run schema)", async () => {
        assert.equal(committed, await generateSchema(), "schema.json is stale. Fix: npm run schema, and commit schema.json.");
    });

    it("names the package docker-host and keeps the components' type tokens (existing stacks keep their resources)", () => {
        assert.equal(schema.name, "docker-host");
        assert.deepEqual(Object.keys(schema.resources).sort(), ["docker-host:index:DockerHost", "docker-host:index:RegistryCache"]);
    });

    it("takes the secrets as inputs and never surfaces one as an output", () => {
        const host = schema.resources["docker-host:index:DockerHost"]!;
        assert.ok(reachable(host.inputProperties).includes("privateKey"));
        assert.ok(reachable(host.inputProperties).includes("serverKeyPem"));
        for (const [token, resource] of Object.entries(schema.resources)) {
            const outputs = reachable(resource.properties);
            for (const secret of ["connection", "privateKey", "tlsCertificates", "serverKeyPem", "upstreamPassword"]) assert.ok(!outputs.includes(secret), `${token} outputs ${secret}`);
        }
        assert.deepEqual(Object.keys(host.properties).sort(), ["daemonJson", "dockerHostUrl", "dropIn", "facts", "lastAction"]);
    });
});
