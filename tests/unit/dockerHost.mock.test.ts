// Wiring of the DockerHost and RegistryCache components under pulumi.runtime.setMocks: which resources, in
// which order, with the inputs the plan (planConfig) says, and what stays secret. Each test registers its own
// hosts (names unique to it) and asserts on the inputs the components hand to their children; what the steps
// do on a host is proven on sandbox hosts (tests/host), not here.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { DockerHost, DockerHostConfigError, RegistryCache } from "../../components";
import { DockerHostConfig } from "../../components/dockerHost/args";
import { planConfig } from "../../components/dockerHost/steps";
import { tlsDigest } from "../../components/dockerHost/tlsMaterial";
import { HOST_KEY, KEY, tlsCertificates } from "./fixtures";

/** A child's dependsOn, resolved: the steps wait for a promise (outcome.ts afterSuccessOf), which the SDK turns
 *  into an Output. */
function dependsOnOf(child: Registered): Promise<unknown> {
    return new Promise((resolve) => pulumi.output(child.opts.dependsOn as pulumi.Input<pulumi.Resource[]>).apply(resolve));
}

interface Registered {
    type: string;
    name: string;
    resource: pulumi.Resource;
    props: Record<string, unknown>;
    opts: pulumi.CustomResourceOptions;
}
const registered: Registered[] = [];
const inputsByName = new Map<string, Record<string, unknown>>();
/** What a test makes a step print on stdout, by resource name (else "{}", and for an apply step a result
 *  line no test reads: the component's outputs must serialize). */
const stdoutByName = new Map<string, string>();

/** An apply step's result line, as apply.sh prints it. */
const applyResult = (action: string, dockerRootDir: string) =>
    JSON.stringify({
        action,
        migrated: false,
        dropIns: { "10-docker-host.conf": "", "20-docker-host-data-disk.conf": "[Unit]\nRequiresMountsFor=/data" },
        facts: { serverVersion: "20.10.24", storageDriver: "overlay2", dockerRootDir, loggingDriver: "json-file", liveRestore: true },
    });

before(() => {
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                inputsByName.set(args.name, args.inputs);
                const stdout = stdoutByName.get(args.name) ?? (args.name.endsWith("-apply") ? applyResult("none", "/var/lib/docker") : "{}");
                return { id: `${args.name}-id`, state: { ...args.inputs, stdout, stderr: "" } };
            },
            call: () => ({}),
        },
        "docker-host",
        "test",
        false,
    );
});

// Passed to each component: sees every child as it is registered (props, options, the resource itself).
const capture: pulumi.ResourceTransformation = (args) => {
    registered.push({ type: args.type, name: args.name, resource: args.resource, props: args.props, opts: args.opts });
    return undefined;
};
const captured = { transformations: [capture] };

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const byName = (name: string) => registered.find((r) => r.name === name)!;
const registeredId = (name: string) => value((byName(name).resource as pulumi.CustomResource).id);
/** The plain value of an input the mock monitor may have wrapped as a secret. */
const unwrapped = <T>(input: unknown) => ((input as { value?: T }).value ?? input) as T;

describe("DockerHost (mocks)", () => {
    it("creates scripts → gate → data-disk → apply, parented to the component, each with the plan's inputs", async () => {
        const config: DockerHostConfig = {
            connection: { host: "10.0.0.5", user: "deploy", privateKey: KEY },
            dataDisk: { device: "/dev/vdb" },
            daemon: { registryMirrors: ["https://mirror.example.com"] },
        };
        const host = new DockerHost("order-1", { ...config, connection: { ...config.connection, privateKey: pulumi.secret(KEY) } }, captured);
        await value(host.daemonJson);
        await registeredId("order-1-apply");

        const mine = registered.filter((r) => r.name.startsWith("order-1"));
        assert.deepEqual(mine.map((r) => `${r.type} ${r.name}`), [
            "docker-host:index:DockerHost order-1",
            "command:remote:CopyToRemote order-1-scripts",
            "command:remote:Command order-1-gate",
            "command:remote:Command order-1-data-disk",
            "command:remote:Command order-1-apply",
        ]);
        const [, scripts, gate, disk, apply] = mine;
        for (const child of [scripts, gate, disk, apply]) assert.equal(child!.opts.parent, host);
        // Each step waits for the one before it, and runs only once that one succeeded (outcome.ts).
        assert.deepEqual(await dependsOnOf(gate!), [scripts!.resource]);
        assert.deepEqual(await dependsOnOf(disk!), [gate!.resource]);
        assert.deepEqual(await dependsOnOf(apply!), [disk!.resource]);
        // Replacing (e.g. a rotated key) must delete first, or the old apply's delete would undo the new one.
        for (const step of [gate, disk, apply]) assert.equal(step!.opts.deleteBeforeReplace, true);

        // Each step runs what the plan says, with the plan's stdin; the gate has no delete.
        for (const step of planConfig(config, { owner: "docker-host.test.order-1" })) {
            const inputs = inputsByName.get(`order-1-${step.name}`)!;
            assert.equal(inputs.create, step.create, step.name);
            assert.equal(inputs.delete, step.delete, step.name);
            assert.equal(inputs.stdin, step.stdin, step.name);
        }
    });

    it("keeps the private key secret and the daemon.json plain (so previews show a key-level diff), with no user value in a command", async () => {
        new DockerHost("secret-1", { connection: { host: "10.0.0.5", privateKey: pulumi.secret(KEY) }, daemon: { registryMirrors: ["https://mirror.example.com"] } }, captured);
        await registeredId("secret-1-apply");
        const apply = byName("secret-1-apply");
        assert.equal(await pulumi.isSecret(apply.props.connection as pulumi.Output<unknown>), true);
        assert.equal(await pulumi.isSecret(apply.props.stdin as pulumi.Output<unknown>), false);
        const inputs = inputsByName.get("secret-1-apply")!;
        assert.deepEqual(JSON.parse(inputs.stdin as string)["registry-mirrors"], ["https://mirror.example.com"]);
        const create = inputs.create as string;
        assert.ok(!create.includes("mirror.example.com") && !create.includes("10.0.0.5") && !create.includes(KEY));
    });

    it("exports the planned daemon.json and the docker URL, none of its outputs secret, and no property holding the connection", async () => {
        const host = new DockerHost("out-1", { connection: { host: "10.0.0.6", user: "deploy", port: 2222, privateKey: pulumi.secret(KEY) } }, captured);
        await registeredId("out-1-apply");
        assert.equal(await value(host.daemonJson), inputsByName.get("out-1-apply")!.stdin);
        assert.equal(await value(host.dockerHostUrl), "ssh://deploy@10.0.0.6:2222");
        const outputs: pulumi.Output<unknown>[] = [host.daemonJson, host.dockerHostUrl, host.dropIn, host.lastAction, host.facts];
        for (const output of outputs) assert.equal(await pulumi.isSecret(output), false);
        assert.deepEqual(Object.keys(host).filter((k) => /connection|key|certificate/i.test(k)), []);
        assert.deepEqual(registered.filter((r) => r.name.startsWith("out-1-")).map((r) => r.name), ["out-1-scripts", "out-1-gate", "out-1-apply"]);
    });

    it("reads lastAction, dropIn and facts from what its apply step printed", async () => {
        stdoutByName.set("result-1-apply", `docker-host[apply]: progress\n${applyResult("reload", "/srv/docker")}\n`);
        const host = new DockerHost("result-1", { connection: { host: "10.0.0.7", privateKey: KEY } }, captured);
        assert.equal(await value(host.lastAction), "reload");
        assert.equal((await value(host.facts)).dockerRootDir, "/srv/docker");
        assert.equal(await value(host.dropIn), "# 20-docker-host-data-disk.conf\n[Unit]\nRequiresMountsFor=/data\n");
    });

    it("keeps the TLS key secret: the tls step's stdin is secret, and no PEM reaches a command or daemon.json", async () => {
        const material = tlsCertificates();
        const version = tlsDigest(material);
        const keyLine = material.serverKeyPem.split(/\r?\n/)[1]!;
        const host = new DockerHost("tls-1", { connection: { host: "10.0.0.9", privateKey: KEY }, tlsCertificates: { ...material, serverKeyPem: pulumi.secret(material.serverKeyPem) } }, captured);
        await registeredId("tls-1-apply");
        assert.deepEqual(registered.filter((r) => r.name.startsWith("tls-1-")).map((r) => r.name), ["tls-1-scripts", "tls-1-gate", "tls-1-tls", "tls-1-apply"]);
        assert.equal(await pulumi.isSecret(byName("tls-1-tls").props.stdin as pulumi.Output<unknown>), true);
        // The material's version (a digest of the real PEMs) names the staged directory in the tls step's
        // command and in daemon.json, which stays plain; the plan is the one planConfig makes.
        const planned = planConfig({ connection: { host: "10.0.0.9", privateKey: KEY }, tlsCertificates: material }, { owner: "docker-host.test.tls-1" });
        const tls = inputsByName.get("tls-1-tls")!;
        assert.equal(tls.create, planned.find((s) => s.name === "tls")!.create);
        assert.match(tls.create as string, new RegExp(` version=${version}( |$)`));
        const apply = inputsByName.get("tls-1-apply")!;
        assert.equal(apply.stdin, planned.find((s) => s.name === "apply")!.stdin);
        assert.equal(await pulumi.isSecret(byName("tls-1-apply").props.stdin as pulumi.Output<unknown>), false);
        assert.ok(!(apply.create as string).includes(keyLine) && !(apply.stdin as string).includes(keyLine));
        assert.equal(JSON.parse(apply.stdin as string).tlskey, `/etc/docker/tls/${version}/server-key.pem`);
        assert.equal(await pulumi.isSecret(host.daemonJson), false);
        assert.equal(await value(host.daemonJson), apply.stdin);
    });

    it("replaces the steps only when the target changes, pins the host key, streams stderr, sends no env", async () => {
        // 127.0.0.1 on a closed port: the pre-step host-key check finds nothing there and leaves it to the steps.
        const connection = {
            host: "127.0.0.1",
            port: 1,
            user: "deploy",
            privateKey: pulumi.secret(KEY),
            hostKey: `127.0.0.1 ${HOST_KEY} root@web-4`,
            bastion: { host: "10.0.0.1", user: "jump", hostKey: HOST_KEY },
        };
        new DockerHost("pin-1", { connection, prune: {} }, captured);
        const children = ["pin-1-scripts", "pin-1-gate", "pin-1-apply", "pin-1-prune"];
        await Promise.all(children.map(registeredId));
        for (const name of children) {
            const inputs = inputsByName.get(name)!;
            assert.deepEqual(inputs.triggers, ["deploy@127.0.0.1:1", "via jump@10.0.0.1:22"], name);
            const conn = unwrapped<Record<string, unknown>>(inputs.connection);
            assert.equal(conn.hostKey, HOST_KEY, name); // normalised: no host names, no comment
            assert.deepEqual(conn.proxy, { host: "10.0.0.1", port: 22, user: "jump", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15, hostKey: HOST_KEY });
            assert.equal(conn.perDialTimeout, 15);
        }
        for (const name of children.slice(1)) {
            assert.equal(inputsByName.get(name)!.logging, "stderr", name);
            assert.equal(inputsByName.get(name)!.addPreviousOutputInEnv, false, name);
        }
        new DockerHost("pin-2", { connection: { host: "10.0.0.9", privateKey: pulumi.secret(KEY.replace("AAAA", "BBBB")) } }, captured);
        await registeredId("pin-2-apply");
        assert.deepEqual(inputsByName.get("pin-2-apply")!.triggers, ["root@10.0.0.9:22"]); // the key is no trigger
    });

    it("gives the docker provider's ssh the key, a known_hosts file with just the pinned keys, and the bastion", async () => {
        const connection = { host: "127.0.0.1", port: 1, privateKey: KEY, hostKey: HOST_KEY, bastion: { host: "10.0.0.1", port: 2222, user: "jump", hostKey: HOST_KEY } };
        const host = new DockerHost("prov-1", { connection }, captured);
        host.dockerProvider("prov-1-docker", ["-o", "ConnectTimeout=5"]);
        await registeredId("prov-1-docker");
        const inputs = inputsByName.get("prov-1-docker")!;
        assert.equal(inputs.host, "ssh://root@127.0.0.1:1");
        const opts = JSON.parse(inputs.sshOpts as string) as string[]; // provider config travels as JSON
        const option = (name: string) => opts.find((o) => o.startsWith(`${name}=`))?.slice(name.length + 1);
        const keyFile = opts[opts.indexOf("-i") + 1]!;
        assert.equal(readFileSync(keyFile, "utf8"), KEY);
        assert.equal(statSync(keyFile).mode & 0o077, 0);
        const knownHosts = option("UserKnownHostsFile")!;
        assert.equal(readFileSync(knownHosts, "utf8"), `[127.0.0.1]:1 ${HOST_KEY}\n[10.0.0.1]:2222 ${HOST_KEY}\n`);
        assert.equal(option("StrictHostKeyChecking"), "yes");
        assert.equal(option("BatchMode"), "yes");
        assert.equal(
            option("ProxyCommand"),
            `ssh -i ${keyFile} -p 2222 -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=${knownHosts} -W %h:%p jump@10.0.0.1`,
        );
        assert.deepEqual(opts.slice(-2), ["-o", "ConnectTimeout=5"]);
        assert.equal(await pulumi.isSecret(byName("prov-1-docker").props.sshOpts as pulumi.Output<unknown>), false);
        assert.deepEqual(await dependsOnOf(byName("prov-1-docker")), host.steps());
    });

    it("refuses bad settings before any resource is registered", () => {
        const before = registered.length;
        assert.throws(
            () => new DockerHost("bad-1", { connection: { host: "10.0.0.7", privateKey: pulumi.secret(KEY) }, daemon: { hosts: ["tcp://0.0.0.0:2375"] } }, captured),
            (err: unknown) => err instanceof DockerHostConfigError && /daemon\.hosts\[0\]/.test(err.message) && /"bad-1" \(10\.0\.0\.7\)/.test(err.message),
        );
        assert.equal(registered.length, before);
    });

    it("refuses every known problem of every part at once: settings, connection, TLS material", () => {
        const material = tlsCertificates();
        assert.throws(
            () =>
                new DockerHost(
                    "bad-2",
                    { connection: { host: "bad host", privateKey: KEY }, daemon: { logMaxSize: "10x" }, tlsCertificates: { ...material, caCertPem: material.serverCertPem } },
                    captured,
                ),
            (err: unknown) => {
                assert.ok(err instanceof DockerHostConfigError);
                assert.deepEqual(err.issues.map((i) => i.key), ["connection.host", "daemon.logMaxSize", "tlsCertificates.caCertPem", "tlsCertificates.serverCertPem"]);
                return true;
            },
        );
        assert.equal(registered.filter((r) => r.name.startsWith("bad-2")).length, 0);
    });

    it("waits for its dependsOn (the previous rollout batch) before its first child", async () => {
        const first = new DockerHost("batch-a", { connection: { host: "10.0.0.8", privateKey: KEY } }, captured);
        new DockerHost("batch-b", { connection: { host: "10.0.0.9", privateKey: KEY } }, { ...captured, dependsOn: [first] });
        assert.deepEqual(byName("batch-b-scripts").opts.dependsOn, [first]);
    });
});

describe("RegistryCache (mocks)", () => {
    const children = (cache: string) => registered.filter((r) => r.name === cache || r.name.startsWith(`${cache}-`)).map((r) => `${r.type} ${r.name}`);

    it("runs Distribution in proxy mode on the cache host, through a docker provider over SSH of its own", async () => {
        const connection = { host: "10.0.0.20", user: "deploy", privateKey: pulumi.secret(KEY) };
        const cache = new RegistryCache("cache-a", { connection, upstreamPassword: pulumi.secret("hub-token"), upstreamUsername: "me" }, captured);
        assert.equal(await value(cache.mirrorUrl), "http://10.0.0.20:5000");
        await registeredId("cache-a-image");
        assert.deepEqual(children("cache-a"), [
            "docker-host:index:RegistryCache cache-a",
            "pulumi:providers:docker cache-a-docker",
            "docker:index/remoteImage:RemoteImage cache-a-image",
            "docker:index/volume:Volume cache-a-storage",
            "docker:index/container:Container cache-a",
        ]);
        const provider = registered.find((r) => r.name === "cache-a-docker")!;
        assert.equal(inputsByName.get("cache-a-docker")?.host, "ssh://deploy@10.0.0.20:22");
        const container = registered.find((r) => r.name === "cache-a" && r.type === "docker:index/container:Container")!;
        await value((container.resource as pulumi.CustomResource).id);
        for (const child of [byName("cache-a-image"), byName("cache-a-storage"), container]) assert.equal(child.opts.provider, provider.resource);
        const inputs = inputsByName.get("cache-a")!;
        assert.deepEqual(inputs.ports, [{ internal: 5000, external: 5000 }]);
        assert.deepEqual(unwrapped<string[]>(inputs.envs), ["REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io", "REGISTRY_PROXY_USERNAME=me", "REGISTRY_PROXY_PASSWORD=hub-token", "REGISTRY_STORAGE_DELETE_ENABLED=true"]);
        assert.equal(await pulumi.isSecret(container.props.envs as pulumi.Output<unknown>), true);
        assert.deepEqual(inputs.volumes, [{ volumeName: "cache-a-storage", containerPath: "/var/lib/registry" }]);
        assert.equal(inputs.restart, "always");
        assert.equal(inputsByName.get("cache-a-image")?.name, "registry:2");
        assert.equal(byName("cache-a-storage").opts.retainOnDelete, true); // destroy keeps the cached blobs
        assert.equal(await pulumi.isSecret(cache.mirrorUrl), false);
    });

    it("takes another image and deletes the blobs on destroy when asked; brackets an IPv6 address", async () => {
        const cache = new RegistryCache("cache-b", { connection: { host: "fd00::20", privateKey: KEY }, port: 5001, image: "mirror.example.com/library/registry:2.8", deleteStorageOnDestroy: true }, captured);
        await registeredId("cache-b-image");
        assert.equal(inputsByName.get("cache-b-image")?.name, "mirror.example.com/library/registry:2.8");
        assert.equal(byName("cache-b-storage").opts.retainOnDelete, false);
        assert.equal(await value(cache.mirrorUrl), "http://[fd00::20]:5001");
    });

    it("uses the docker provider it is given (the host's dockerProvider(), as the stack program passes), after the host", async () => {
        const host = new DockerHost("cache-host-c", { connection: { host: "10.0.0.21", privateKey: KEY } }, captured);
        const provider = host.dockerProvider("cache-c-docker");
        new RegistryCache("cache-c", { connection: { host: "10.0.0.21", privateKey: KEY } }, { ...captured, dependsOn: [host], providers: [provider] });
        await registeredId("cache-c-image");
        assert.deepEqual(children("cache-c"), [
            "pulumi:providers:docker cache-c-docker", // the host's, parented to it
            "docker-host:index:RegistryCache cache-c",
            "docker:index/remoteImage:RemoteImage cache-c-image",
            "docker:index/volume:Volume cache-c-storage",
            "docker:index/container:Container cache-c",
        ]);
        assert.equal(byName("cache-c-docker").opts.parent, host);
        assert.equal(byName("cache-c-image").opts.provider, provider);
    });

    it("refuses a bad connection before any resource is registered", () => {
        assert.throws(
            () => new RegistryCache("cache-d", { connection: { host: "10.0.0.22", privateKey: "~/.ssh/id_ed25519" } }, captured),
            (err: unknown) => err instanceof DockerHostConfigError && /^RegistryCache "cache-d": 1 invalid setting;/.test(err.message) && /connection\.privateKey/.test(err.message),
        );
        assert.equal(registered.filter((r) => r.name.startsWith("cache-d")).length, 0);
    });
});
