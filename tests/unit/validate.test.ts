// The validator's entry point (validate.ts): a bad input per row with the exact key and message an operator
// sees, and every problem reported at once, naming the host and its address.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RunError } from "@pulumi/pulumi/errors";
import { RETIRED_SETTINGS } from "../../components/dockerHost/daemonSettings";
import { DockerHostConfigError, findConfigIssues, validateDockerHostConfig } from "../../components/dockerHost/validate";
import { tlsCertificates } from "./fixtures";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const host = (daemon: object, rest: object = {}) => ({ connection: { host: "10.0.0.5", privateKey: KEY }, daemon, ...rest });

// Each bad input with the exact key and message an operator sees.
const BAD_INPUTS: { name: string; config: unknown; key: string; message: string }[] = [
    { name: "bad size", config: host({ logMaxSize: "10x" }), key: "daemon.logMaxSize", message: '"10x" is not a size. Fix: use a whole number followed by k, m or g, e.g. "10m".' },
    { name: "wrong type", config: host({ maxConcurrentDownloads: "3" }), key: "daemon.maxConcurrentDownloads", message: 'expected a number, got "3". Fix: set it to a number.' },
    { name: "out of range", config: host({ maxConcurrentDownloads: 0 }), key: "daemon.maxConcurrentDownloads", message: "0 is out of range. Fix: use a whole number at least 1." },
    { name: "relative path", config: host({ dataRoot: "data/docker" }), key: "daemon.dataRoot", message: '"data/docker" is a relative path. Fix: use an absolute path such as "/data/docker".' },
    { name: "dot-dot path", config: host({ dataRoot: "/data/../etc" }), key: "daemon.dataRoot", message: '"/data/../etc" contains "." or ".." segments. Fix: write the path without them.' },
    { name: "shell metacharacters", config: host({ dataRoot: "/data/$(reboot)" }), key: "daemon.dataRoot", message: '"/data/$(reboot)" contains characters outside A-Z a-z 0-9 . _ @ + - /. Fix: use a plain path (no spaces, quotes, $ or backslashes).' },
    { name: "quote in path", config: host({ dataRoot: "/data/x' ; rm -rf / '" }), key: "daemon.dataRoot", message: `"/data/x' ; rm -rf / '" contains characters outside A-Z a-z 0-9 . _ @ + - /. Fix: use a plain path (no spaces, quotes, $ or backslashes).` },
    { name: "newline smuggled into a value", config: host({ extra: { "log-level": "info\nMOUNT_POINT=/" } }), key: "daemon.extra.log-level", message: "contains a control character (newline, tab, …). Fix: remove it." },
    { name: "mirror without scheme", config: host({ registryMirrors: ["mirror.example.com"] }), key: "daemon.registryMirrors[0]", message: '"mirror.example.com" is not a URL. Fix: use a URL such as "https://mirror.example.com".' },
    { name: "mirror with path", config: host({ registryMirrors: ["https://mirror.example.com/v2"] }), key: "daemon.registryMirrors[0]", message: '"https://mirror.example.com/v2" must not have a path, query or fragment. Fix: use a URL such as "https://mirror.example.com".' },
    { name: "mirror with ftp", config: host({ registryMirrors: ["ftp://mirror.example.com"] }), key: "daemon.registryMirrors[0]", message: '"ftp://mirror.example.com" must use http or https. Fix: use a URL such as "https://mirror.example.com".' },
    {
        name: "tcp off loopback without TLS",
        config: host({ hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"] }),
        key: "daemon.hosts[1]",
        message: '"tcp://0.0.0.0:2375" exposes the Docker API off loopback without TLS client verification: anyone who reaches it is root on the host. Fix: serve it with TLS client verification (tlsCertificates; port 2376), listen on 127.0.0.1, or set allowInsecureTcp: true if a firewall you trust guards it.',
    },
    { name: "no local socket", config: host({ hosts: ["tcp://127.0.0.1:2375"] }), key: "daemon.hosts", message: 'has no local socket, so the docker CLI on the host (and these scripts) could not reach dockerd. Fix: add "unix:///var/run/docker.sock".' },
    { name: "TLS by hand", config: host({ tlsVerify: true }), key: "daemon.tlsVerify", message: RETIRED_SETTINGS.tlsVerify! },
    { name: "log options on journald", config: host({ logDriver: "journald", logMaxSize: "10m" }), key: "daemon.logMaxSize", message: 'only applies to the json-file and local log drivers, not "journald". Fix: remove logMaxSize or use logDriver "json-file".' },
    { name: "typo in extra", config: host({ extra: { "live-restor": true } }), key: "daemon.extra.live-restor", message: 'is not a documented daemon.json key; dockerd would refuse to start. Did you mean "live-restore"? Fix: use a key from Docker\'s daemon.json reference.' },
    { name: "typed key in extra", config: host({ extra: { "live-restore": true } }), key: "daemon.extra.live-restore", message: 'has a typed setting. Fix: use daemon.liveRestore instead of extra["live-restore"].' },
    { name: "deprecated graph", config: host({ extra: { graph: "/x" } }), key: "daemon.extra.graph", message: "is deprecated and removed from dockerd. Fix: use daemon.dataRoot." },
    {
        name: "a key dockerd ignores",
        config: host({ extra: { "containerd-plugins-namespace": "plugins" } }),
        key: "daemon.extra.containerd-plugins-namespace",
        message:
            'would change nothing: dockerd takes the key but ignores its value: the field it fills reads containerd-plugin-namespace, a key dockerd refuses; only the --containerd-plugins-namespace flag sets it. Fix: remove extra["containerd-plugins-namespace"].',
    },
    { name: "storage driver not allowed", config: host({ storageDriver: "aufs" }), key: "daemon.storageDriver", message: '"aufs" is not allowed. Fix: use one of "overlay2", "btrfs", "zfs", "fuse-overlayfs".' },
    {
        name: "the containerd image store turned on",
        config: host({ features: { buildkit: true, "containerd-snapshotter": true } }),
        key: "daemon.features.containerd-snapshotter",
        message: 'true keeps images and layers in containerd\'s own root, outside data-root, which docker-host configures and moves for storage driver "overlay2". Fix: remove it (or set it to false): with storage-driver in daemon.json, Docker uses that driver.',
    },
    { name: "dns not an IP", config: host({ dns: ["8.8.8"] }), key: "daemon.dns[0]", message: '"8.8.8" is not an IP address. Fix: use e.g. "1.1.1.1".' },
    { name: "data-root off the data disk", config: host({ dataRoot: "/srv/docker" }, { dataDisk: { device: "/dev/vdb", mountPoint: "/data" } }), key: "daemon.dataRoot", message: '"/srv/docker" is not on the data disk mounted at "/data". Fix: put it under the mount point, e.g. "/data/docker", or leave it unset.' },
    { name: "device with shell", config: host({}, { dataDisk: { device: "vdb; rm -rf /" } }), key: "dataDisk.device", message: '"vdb; rm -rf /" is not a device path. Fix: use a path under /dev, e.g. "/dev/vdb" or "/dev/disk/by-id/nvme-…".' },
    { name: "unsupported filesystem", config: host({}, { dataDisk: { device: "/dev/vdb", filesystem: "btrfs" } }), key: "dataDisk.filesystem", message: '"btrfs" is not allowed. Fix: use one of "xfs", "ext4".' },
    { name: "mount over /var", config: host({}, { dataDisk: { device: "/dev/vdb", mountPoint: "/var" } }), key: "dataDisk.mountPoint", message: '"/var" is a system directory; mounting over it would hide the host\'s own files. Fix: use a dedicated directory such as "/data".' },
    { name: "host with shell", config: { connection: { host: "bad host;", privateKey: KEY } }, key: "connection.host", message: '"bad host;" is neither an IP address nor a host name. Fix: use e.g. "10.0.0.5" or "web-1.example.com".' },
    { name: "key path instead of key", config: { connection: { host: "h", privateKey: "~/.ssh/id_rsa" } }, key: "connection.privateKey", message: 'does not look like a private key (no "-----BEGIN ... PRIVATE KEY-----" line). Fix: pass the key\'s contents, not its path (config: privateKeyPath reads a file).' },
    { name: "port out of range", config: { connection: { host: "h", privateKey: KEY, port: 70000 } }, key: "connection.port", message: "70000 is out of range. Fix: use a whole number at most 65535." },
    { name: "host key path instead of key", config: { connection: { host: "h", privateKey: KEY, hostKey: "/etc/ssh/ssh_host_ed25519_key.pub" } }, key: "connection.hostKey", message: '"/etc/ssh/ssh_host_ed25519_key.pub" is not an OpenSSH public key line. Fix: use the host\'s "ssh-ed25519 AAAA…" line (/etc/ssh/ssh_host_ed25519_key.pub, or `npm run host-keys`).' },
    { name: "RSA host key", config: { connection: { host: "h", privateKey: KEY, hostKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" } }, key: "connection.hostKey", message: '"ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" is an RSA key; with it pinned, the command plugin insists on ssh-rsa (SHA-1) signatures, which OpenSSH 8.8+ refuses. Fix: pin the host\'s ed25519 key (/etc/ssh/ssh_host_ed25519_key.pub, or `npm run host-keys`).' },
    { name: "bastion host key truncated", config: { connection: { host: "h", privateKey: KEY, bastion: { host: "b", hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" } } }, key: "connection.bastion.hostKey", message: '"ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" is not a valid ssh-ed25519 key (its base64 part does not decode to one). Fix: copy the whole line again.' },
    { name: "bastion user", config: { connection: { host: "h", privateKey: KEY, bastion: { host: "b", user: "Jump Host" } } }, key: "connection.bastion.user", message: '"Jump Host" is not a valid user name. Fix: use a login name such as "root" or "jump".' },
    { name: "bastion key path", config: { connection: { host: "h", privateKey: KEY, bastion: { host: "b", privateKey: "~/.ssh/jump" } } }, key: "connection.bastion.privateKey", message: 'does not look like a private key (no "-----BEGIN ... PRIVATE KEY-----" line). Fix: pass the key\'s contents, not its path.' },
    { name: "bastion typo", config: { connection: { host: "h", privateKey: KEY, bastion: { host: "b", hostkey: "x" } } }, key: "connection.bastion.hostkey", message: 'unknown setting. Did you mean "hostKey"? Known here: host, port, user, privateKey, hostKey.' },
    { name: "prune schedule with shell", config: host({}, { prune: { schedule: "weekly; reboot" } }), key: "prune.schedule", message: '"weekly; reboot" is not a systemd calendar expression. Fix: use e.g. "weekly" or "Sun *-*-* 03:00".' },
    { name: "prune age in days", config: host({}, { prune: { olderThan: "7d" } }), key: "prune.olderThan", message: '"7d" is not a duration. Fix: use hours, minutes or seconds, e.g. "168h".' },
    { name: "TLS key that is not PEM", config: host({}, { tlsCertificates: { caCertPem: "-----BEGIN CERTIFICATE-----", serverCertPem: "-----BEGIN CERTIFICATE-----", serverKeyPem: "/etc/key.pem" } }), key: "tlsCertificates.serverKeyPem", message: "is not a PEM private key. Fix: pass the server key's PEM text (as a secret)." },
    { name: "TLS paths set twice", config: host({ tlsCaCertPath: "/etc/docker/ca.pem" }, { tlsCertificates: tlsCertificates() }), key: "daemon.tlsCaCertPath", message: RETIRED_SETTINGS.tlsCaCertPath! },
    { name: "address pool too wide", config: host({ defaultAddressPools: [{ base: "10.0.0.0/16", size: 8 }] }), key: "daemon.defaultAddressPools[0].size", message: "8 must be between the base's prefix (16) and 30. Fix: use e.g. 24." },
];

describe("findConfigIssues", () => {
    for (const c of BAD_INPUTS) {
        it(`refuses ${c.name}`, () => {
            assert.deepEqual(findConfigIssues(c.config), [{ key: c.key, message: c.message }]);
        });
    }

    it("suggests the nearest setting for a typo", () => {
        const [issue] = findConfigIssues(host({ maxConcurentDownloads: 3 }));
        assert.equal(issue?.key, "daemon.maxConcurentDownloads");
        assert.match(issue!.message, /^unknown setting\. Did you mean "maxConcurrentDownloads"\?/);
    });

    it("checks what passed the shape when something did not: a typo or a wrong type hides no other problem", () => {
        const issues = findConfigIssues({
            connection: { host: "bad host", port: "22", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n" },
            dataDisk: { device: "vdb" },
            prune: { schedule: 5, olderThan: "a week" },
            daemon: { maxConcurentDownloads: 3, logMaxSize: "10x", dns: 5, hosts: ["tcp://0.0.0.0:2375"] },
            allowInsecureTcp: "yes",
        });
        assert.deepEqual(
            issues.map((i) => i.key),
            [
                // The shape: types and unknown keys.
                "connection.port",
                "connection.host",
                "daemon.dns",
                "daemon.maxConcurentDownloads",
                "allowInsecureTcp",
                "prune.schedule",
                // The meaning of what passed (allowInsecureTcp left out is false, so the tcp listener is refused,
                // as it would be).
                "dataDisk.device",
                "prune.olderThan",
                "daemon.logMaxSize",
                "daemon.hosts[0]",
                "daemon.hosts",
            ],
        );
        // A value no configuration can hold is a shape problem, never a throw.
        assert.equal(findConfigIssues(host({ logMaxSize: "10x", f: () => 1 })).length, 1);
    });

    it("accepts a tcp listener off loopback when allowInsecureTcp is set", () => {
        assert.deepEqual(findConfigIssues(host({ hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2375"] }, { allowInsecureTcp: true })), []);
    });

    it("counts tlsCertificates as TLS verification for every tcp listener", () => {
        assert.deepEqual(findConfigIssues(host({ hosts: ["unix:///var/run/docker.sock", "tcp://0.0.0.0:2377"] }, { tlsCertificates: tlsCertificates() })), []);
    });

    it("accepts the seed's settings", () => {
        const seed = {
            dataRoot: "/data/docker",
            registryMirrors: ["https://mirror.example.com"],
            hosts: ["unix:///var/run/docker.sock", "tcp://127.0.0.1:2375"],
            dns: ["10.0.0.2", "8.8.8.8"],
            maxConcurrentDownloads: 10,
            maxConcurrentUploads: 5,
            logMaxSize: "10m",
            logMaxFiles: 3,
            liveRestore: true,
        };
        assert.deepEqual(findConfigIssues(host(seed, { dataDisk: { device: "/dev/vdb", filesystem: "xfs", mountPoint: "/data" } })), []);
    });
});

describe("validateDockerHostConfig", () => {
    it("reports every problem at once, naming the host and its address", () => {
        const bad = host({ logMaxSize: "10x", dns: ["nope"] });
        assert.throws(
            () => validateDockerHostConfig("web-1", bad),
            (err: unknown) => {
                assert.ok(err instanceof DockerHostConfigError);
                // A RunError: Pulumi prints its message alone, without a stack trace.
                assert.ok(RunError.isInstance(err));
                assert.equal(err.issues.length, 2);
                assert.equal(
                    err.message,
                    'DockerHost "web-1" (10.0.0.5): 2 invalid settings; nothing was changed on the host:\n' +
                        '  - daemon.logMaxSize: "10x" is not a size. Fix: use a whole number followed by k, m or g, e.g. "10m".\n' +
                        '  - daemon.dns[0]: "nope" is not an IP address. Fix: use e.g. "1.1.1.1".',
                );
                return true;
            },
        );
    });
});
