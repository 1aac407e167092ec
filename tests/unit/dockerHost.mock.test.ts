// Wiring of the DockerHost component under pulumi.runtime.setMocks: which resources, in which order, with
// which inputs, and what stays secret. Host behaviour is proven on sandbox hosts (tests/host), not here.
import assert from "node:assert/strict";
import { readFileSync, statSync } from "node:fs";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { DockerHost, DockerHostConfigError, RegistryCache } from "../../components";
import { tlsDigest } from "../../components/dockerHost/tlsMaterial";
import { generateCa, issueServerCertificate } from "../../components/tls/certificates";

interface Registered {
    type: string;
    name: string;
    resource: pulumi.Resource;
    props: Record<string, unknown>;
    opts: pulumi.CustomResourceOptions;
}
const registered: Registered[] = [];
const inputsByName = new Map<string, Record<string, unknown>>();

const APPLY_STDOUT = JSON.stringify({
    action: "restart",
    migrated: false,
    dropIns: { "10-docker-host.conf": "", "20-docker-host-data-disk.conf": "[Unit]\nRequiresMountsFor=/data" },
    facts: { serverVersion: "20.10.24", storageDriver: "overlay2", dockerRootDir: "/data/docker", loggingDriver: "json-file", liveRestore: true },
});

before(() => {
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                inputsByName.set(args.name, args.inputs);
                const stdout = args.name.endsWith("-apply") ? APPLY_STDOUT : "{}";
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

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));

describe("DockerHost (mocks)", () => {
    it("creates gate → data-disk → apply, parented to the component, in that order", async () => {
        const host = new DockerHost("web-1", {
            connection: { host: "10.0.0.5", user: "deploy", privateKey: pulumi.secret(KEY) },
            dataDisk: { device: "/dev/vdb" },
            daemon: { registryMirrors: ["https://mirror.example.com"] },
        }, captured);
        const facts = await value(host.facts);
        assert.equal(facts.dockerRootDir, "/data/docker");

        const mine = registered.filter((r) => r.name.startsWith("web-1"));
        assert.deepEqual(mine.map((r) => `${r.type} ${r.name}`), [
            "docker-host:index:DockerHost web-1",
            "command:remote:CopyToRemote web-1-scripts",
            "command:remote:Command web-1-gate",
            "command:remote:Command web-1-data-disk",
            "command:remote:Command web-1-apply",
        ]);
        const [, scripts, gate, disk, apply] = mine;
        for (const child of [scripts, gate, disk, apply]) assert.equal(child!.opts.parent, host);
        assert.deepEqual(gate!.opts.dependsOn, [scripts!.resource]);
        assert.deepEqual(disk!.opts.dependsOn, [gate!.resource]);
        assert.deepEqual(apply!.opts.dependsOn, [disk!.resource]);
        // Replacing (e.g. a rotated key) must delete first, or the old apply's delete would undo the new one.
        for (const step of [gate, disk, apply]) assert.equal(step!.opts.deleteBeforeReplace, true);
    });

    it("keeps the private key secret and the daemon.json plain (so previews show a key-level diff)", async () => {
        const apply = registered.find((r) => r.name === "web-1-apply")!;
        assert.equal(await pulumi.isSecret(apply.props.connection as pulumi.Output<unknown>), true);
        assert.equal(await pulumi.isSecret(apply.props.stdin as pulumi.Output<unknown>), false);
        const stdin = inputsByName.get("web-1-apply")!.stdin as string;
        assert.deepEqual(JSON.parse(stdin)["registry-mirrors"], ["https://mirror.example.com"]);
        const create = inputsByName.get("web-1-apply")!.create as string;
        assert.ok(!create.includes("mirror.example.com") && !create.includes("10.0.0.5") && !create.includes(KEY));
    });

    it("exports the rendered daemon.json, the drop-ins and the docker info facts", async () => {
        const host = new DockerHost("web-2", { connection: { host: "10.0.0.6", privateKey: KEY } }, captured);
        assert.equal(JSON.parse(await value(host.daemonJson))["storage-driver"], "overlay2");
        assert.equal(await value(host.lastAction), "restart");
        assert.match(await value(host.dropIn), /RequiresMountsFor=\/data/);
        assert.deepEqual(registered.filter((r) => r.name.startsWith("web-2-")).map((r) => r.name), ["web-2-scripts", "web-2-gate", "web-2-apply"]);
    });

    it("keeps the TLS key secret: the tls step's stdin is secret, and no PEM reaches a command or daemon.json", async () => {
        const ca = generateCa("mock CA");
        const server = issueServerCertificate(ca, { ipAddresses: ["10.0.0.9"] });
        const certs = { caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: pulumi.secret(server.keyPem) };
        const version = tlsDigest({ caCertPem: ca.certPem, serverCertPem: server.certPem, serverKeyPem: server.keyPem });
        const keyLine = server.keyPem.split(/\r?\n/)[1]!;
        const host = new DockerHost("tls-1", { connection: { host: "10.0.0.9", privateKey: KEY }, tlsCertificates: certs }, captured);
        await value(host.facts);
        assert.deepEqual(registered.filter((r) => r.name.startsWith("tls-1-")).map((r) => r.name), ["tls-1-scripts", "tls-1-gate", "tls-1-tls", "tls-1-apply"]);
        const tls = registered.find((r) => r.name === "tls-1-tls")!;
        assert.equal(await pulumi.isSecret(tls.props.stdin as pulumi.Output<unknown>), true);
        // The material's version (a digest of the real PEMs, not of the plan's placeholders) names the staged
        // directory in the tls step's command and in daemon.json, which stays plain.
        assert.match(inputsByName.get("tls-1-tls")!.create as string, new RegExp(` version=${version}( |$)`));
        const apply = inputsByName.get("tls-1-apply")!;
        assert.equal(await pulumi.isSecret(registered.find((r) => r.name === "tls-1-apply")!.props.stdin as pulumi.Output<unknown>), false);
        assert.doesNotMatch(apply.create as string, / tls=/);
        assert.ok(!(apply.create as string).includes(keyLine) && !(apply.stdin as string).includes(keyLine));
        assert.deepEqual(JSON.parse(apply.stdin as string).hosts, ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2376"]);
        assert.equal(JSON.parse(apply.stdin as string).tlsverify, true);
        assert.equal(JSON.parse(apply.stdin as string).tlskey, `/etc/docker/tls/${version}/server-key.pem`);
        assert.equal(await pulumi.isSecret(host.daemonJson), false);
        assert.equal(await value(host.daemonJson), apply.stdin);
    });

    it("RegistryCache runs Distribution in proxy mode on its host through a docker provider over SSH", async () => {
        const host = new DockerHost("cache-1", { connection: { host: "10.0.0.20", user: "deploy", privateKey: KEY } }, captured);
        const cache = new RegistryCache("cache", { host, address: "10.0.0.20", upstreamPassword: pulumi.secret("hub-token"), upstreamUsername: "me" }, captured);
        assert.equal(await value(cache.mirrorUrl), "http://10.0.0.20:5000");
        const byName = (n: string) => registered.find((r) => r.name === n && r.type !== "docker-host:index:RegistryCache")!;
        assert.deepEqual(
            registered.filter((r) => r.name === "cache" || r.name.startsWith("cache-") && !r.name.startsWith("cache-1")).map((r) => `${r.type} ${r.name}`),
            [
                "docker-host:index:RegistryCache cache",
                "pulumi:providers:docker cache-docker",
                "docker:index/remoteImage:RemoteImage cache-image",
                "docker:index/volume:Volume cache-storage",
                "docker:index/container:Container cache",
            ],
        );
        await value((byName("cache").resource as pulumi.CustomResource).id); // registered, with its provider
        assert.equal(inputsByName.get("cache-docker")?.host, "ssh://deploy@10.0.0.20:22");
        for (const child of ["cache-image", "cache-storage", "cache"]) assert.equal(byName(child).opts.provider, byName("cache-docker").resource);
        const container = inputsByName.get("cache")!;
        assert.deepEqual(container.ports, [{ internal: 5000, external: 5000 }]);
        const envs = ((container.envs as { value?: string[] }).value ?? container.envs) as string[]; // secret: wrapped by the mock monitor
        assert.deepEqual(envs, ["REGISTRY_PROXY_REMOTEURL=https://registry-1.docker.io", "REGISTRY_PROXY_USERNAME=me", "REGISTRY_PROXY_PASSWORD=hub-token", "REGISTRY_STORAGE_DELETE_ENABLED=true"]);
        assert.equal(await pulumi.isSecret(byName("cache").props.envs as pulumi.Output<unknown>), true);
        assert.deepEqual(container.volumes, [{ volumeName: "cache-storage", containerPath: "/var/lib/registry" }]);
        assert.equal(container.restart, "always");
        assert.equal(inputsByName.get("cache-image")?.name, "registry:2");
        assert.equal(byName("cache-storage").opts.retainOnDelete, true); // destroy keeps the cached blobs

        // Another image (a mirror's copy, or one already on the host), and the blobs deleted on destroy.
        new RegistryCache("cache2", { host, address: "10.0.0.20", image: "mirror.example.com/library/registry:2.8", deleteStorageOnDestroy: true }, captured);
        await value((byName("cache2").resource as pulumi.CustomResource).id);
        assert.equal(inputsByName.get("cache2-image")?.name, "mirror.example.com/library/registry:2.8");
        assert.equal(byName("cache2-storage").opts.retainOnDelete, false);
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
        new DockerHost("web-4", { connection, prune: {} }, captured);
        const children = ["web-4-scripts", "web-4-gate", "web-4-apply", "web-4-prune"];
        await Promise.all(children.map((n) => value((registered.find((r) => r.name === n)!.resource as pulumi.CustomResource).id)));
        for (const name of children) {
            const inputs = inputsByName.get(name)!;
            assert.deepEqual(inputs.triggers, ["deploy@127.0.0.1:1", "via jump@10.0.0.1:22"], name);
            const conn = ((inputs.connection as { value?: unknown }).value ?? inputs.connection) as Record<string, unknown>;
            assert.equal(conn.hostKey, HOST_KEY, name); // normalised: no host names, no comment
            assert.deepEqual(conn.proxy, { host: "10.0.0.1", port: 22, user: "jump", privateKey: KEY, dialErrorLimit: 10, perDialTimeout: 15, hostKey: HOST_KEY });
            assert.equal(conn.perDialTimeout, 15);
        }
        for (const name of children.slice(1)) {
            assert.equal(inputsByName.get(name)!.logging, "stderr", name);
            assert.equal(inputsByName.get(name)!.addPreviousOutputInEnv, false, name);
        }
        const rotated = new DockerHost("web-5", { connection: { host: "10.0.0.9", privateKey: pulumi.secret(KEY.replace("AAAA", "BBBB")) } }, captured);
        await value(rotated.facts);
        assert.deepEqual(inputsByName.get("web-5-apply")!.triggers, ["root@10.0.0.9:22"]); // the key is no trigger
    });

    it("gives the docker provider's ssh the key, a known_hosts file with just the pinned keys, and the bastion", async () => {
        const connection = { host: "127.0.0.1", port: 1, privateKey: KEY, hostKey: HOST_KEY, bastion: { host: "10.0.0.1", port: 2222, user: "jump", hostKey: HOST_KEY } };
        const host = new DockerHost("web-6", { connection }, captured);
        host.dockerProvider("web-6-docker", ["-o", "ConnectTimeout=5"]);
        await value(host.facts);
        await new Promise((resolve) => setTimeout(resolve, 50));
        const inputs = inputsByName.get("web-6-docker")!;
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
        assert.equal(await pulumi.isSecret(registered.find((r) => r.name === "web-6-docker")!.props.sshOpts as pulumi.Output<unknown>), false);
    });

    it("refuses bad settings before any resource is registered", async () => {
        const before = registered.length;
        assert.throws(
            () => new DockerHost("web-3", { connection: { host: "10.0.0.7", privateKey: pulumi.secret(KEY) }, daemon: { hosts: ["tcp://0.0.0.0:2375"] } }, captured),
            (err: unknown) => err instanceof DockerHostConfigError && /daemon\.hosts\[0\]/.test(err.message) && /web-3/.test(err.message),
        );
        assert.equal(registered.length, before);
    });

    it("waits for its dependsOn (the previous rollout batch) before its first child", async () => {
        const first = new DockerHost("batch-a", { connection: { host: "10.0.0.8", privateKey: KEY } }, captured);
        new DockerHost("batch-b", { connection: { host: "10.0.0.9", privateKey: KEY } }, { ...captured, dependsOn: [first] });
        const upload = registered.find((r) => r.name === "batch-b-scripts")!;
        assert.deepEqual(upload.opts.dependsOn, [first]);
    });
});
