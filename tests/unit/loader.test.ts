// The library loads under Pulumi's own TypeScript loader too (the ts-node @pulumi/pulumi vendors, which the
// Node.js language host registers for a program's .ts files), not only under tsx. There Node resolves
// `./name` to name.js or name.json before name.ts, so a data file must never share a module's name.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

const REPO = join(__dirname, "../..");
const COMPONENTS = join(REPO, "components");

describe("loading the components", () => {
    it("no .js, .json or .node file shares the name of a .ts module", () => {
        const files = readdirSync(COMPONENTS, { recursive: true, encoding: "utf8" });
        const modules = new Set(files.filter((f) => f.endsWith(".ts")).map((f) => f.slice(0, -3)));
        assert.deepEqual(files.filter((f) => /\.(js|json|node)$/.test(f) && modules.has(f.replace(/\.(js|json|node)$/, ""))), []);
    });

    it("plans under Pulumi's vendored ts-node as under tsx", () => {
        const tsNode = require.resolve("@pulumi/pulumi/vendor/ts-node@7.0.1");
        const script = `
            require(${JSON.stringify(tsNode)}).register({ transpileOnly: true, skipProject: true, compilerOptions: { module: "commonjs", target: "es2020", esModuleInterop: true, resolveJsonModule: true } });
            const { planConfig } = require(${JSON.stringify(join(COMPONENTS, "dockerHost/steps.ts"))});
            process.stdout.write(planConfig({ connection: { host: "10.0.0.5", privateKey: "k" }, daemon: { extra: { bip6: "fd00::1/64" } } })[0].stdin);`;
        const res = spawnSync(process.execPath, ["-e", script], { encoding: "utf8", cwd: REPO });
        assert.equal(res.status, 0, res.stderr);
        assert.equal(res.stdout, "REQUIRED_STORAGE_DRIVER=overlay2\nENGINE_REQUIREMENTS=bip6@28.0.0\n");
    });

    it("loads ssh2 and node-forge only when a session opens or a certificate is made", () => {
        // Every run of the program loads the components; most open no SSH session of their own and make no
        // certificate (a no-op `up`: ≈ 0.1 s of CPU less, measured interleaved against the eager imports).
        const script = `
            const loaded = (name) => Object.keys(require.cache).some((f) => f.includes("/node_modules/" + name + "/"));
            const components = require(${JSON.stringify(COMPONENTS)});
            const before = [loaded("ssh2"), loaded("node-forge")];
            components.generateCa("test-ca", { validDays: 1 });
            process.stdout.write(JSON.stringify([...before, loaded("node-forge")]));`;
        const res = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { encoding: "utf8", cwd: REPO });
        assert.equal(res.status, 0, res.stderr);
        assert.deepEqual(JSON.parse(res.stdout), [false, false, true]);
    });
});
