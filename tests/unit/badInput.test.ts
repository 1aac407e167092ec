// Bad inputs, one row each: the input, the key an operator is pointed at and the message (exact, or a
// pattern for the long ones), grouped by key; then property tests (fast-check): no input makes the
// validators throw anything but their documented errors, and whatever they accept is safe to plan.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { DockerHostConfig } from "../../components/dockerHost/args";
import { DAEMON_KEYS, DOCUMENTED_DAEMON_KEYS } from "../../components/dockerHost/daemonKeys";
import { RETIRED_SETTINGS } from "../../components/dockerHost/daemonSettings";
import { planConfig } from "../../components/dockerHost/steps";
import { generateCa, issueServerCertificate } from "../../components/tls/certificates";
import { tlsCertificates } from "./fixtures";
import { DockerHostConfigError, findConfigIssues, machineKey, parseListener, validateDockerHostConfig } from "../../components/dockerHost/validate";
import { RawStackConfig, readStackConfig, StackConfigError } from "../../components/stackConfig";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
const CERT = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
/** Real material: the validator checks what the PEMs hold. */
const CERTS = tlsCertificates();
const FOREIGN = issueServerCertificate(generateCa("foreign CA"), { ipAddresses: ["10.0.0.5"] });
/** An OpenSSH key body whose header names the cipher aes256-ctr (a key with a passphrase). */
const ENCRYPTED_OPENSSH = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAACmFlczI1Ni1jdHIAAAAAAAAAAA==\n-----END OPENSSH PRIVATE KEY-----\n";
const LOCAL = "unix:///var/run/docker.sock";

const conn = (patch: object = {}) => ({ host: "10.0.0.5", privateKey: KEY, ...patch });
const host = (rest: object = {}, connection: object = {}) => ({ connection: conn(connection), ...rest });
const daemon = (d: object, rest: object = {}) => host({ daemon: d, ...rest });
const extra = (e: object) => daemon({ extra: e });
const disk = (d: object) => host({ dataDisk: { device: "/dev/vdb", ...d } });
const bastion = (b: object) => host({}, { bastion: { host: "10.0.0.1", ...b } });

interface HostRow {
    /** What the row tries. */
    readonly name: string;
    /** The DockerHost configuration (findConfigIssues' input). */
    readonly config: unknown;
    /** The key the one issue names. */
    readonly key: string;
    /** Its message: the exact text, or a pattern. */
    readonly message: string | RegExp;
}

interface StackRow {
    /** What the row tries. */
    readonly name: string;
    /** The raw stack configuration (readStackConfig's input). */
    readonly raw: RawStackConfig;
    /** The key one of the issues names. */
    readonly key: string;
    /** Its message: the exact text, or a pattern. */
    readonly message: string | RegExp;
}

const r = (name: string, config: unknown, key: string, message: string | RegExp): HostRow => ({ name, config, key, message });

// Messages that repeat across rows.
const notAddress = (v: string, ex = '"10.0.0.5" or "web-1.example.com"') => `${v} is neither an IP address nor a host name. Fix: use e.g. ${ex}.`;
const notUser = (v: string, ex = '"root" or "deploy"') => `${v} is not a valid user name. Fix: use a login name such as ${ex}.`;
const typeMsg = (what: string, got: string) => `expected ${what}, got ${got}. Fix: set it to ${what}.`;
const range = (got: string, bound: string) => `${got} is out of range. Fix: use a whole number ${bound}.`;
const noKey = (hint: string) => `does not look like a private key (no "-----BEGIN ... PRIVATE KEY-----" line). Fix: pass the key's contents, not its path${hint}.`;
const KEY_HINT = " (config: privateKeyPath reads a file)";
const offLoopback = (h: string, byName = false) =>
    `"${h}" exposes the Docker API off loopback without TLS client verification: anyone who reaches it is root on the host${byName ? ' (a name other than "localhost" counts as off loopback: it may resolve to any address)' : ""}. Fix: serve it with TLS client verification (tlsCertificates; port 2376), listen on 127.0.0.1, or set allowInsecureTcp: true if a firewall you trust guards it.`;
const notListener = (h: string) => `${JSON.stringify(h)} is not a listener. Fix: use "unix:///var/run/docker.sock", "fd://" or "tcp://127.0.0.1:2375".`;
const extraType = (type: string, got: string, fix: string) => `dockerd expects ${type}, got ${got}. Fix: ${fix}.`;
const FIX = {
    string: 'write it as a JSON string, in quotes (e.g. "64M" for a size)',
    boolean: "write true or false, without quotes",
    integer: "write a whole number, without quotes",
    stringArray: 'write a list of strings, e.g. ["a", "b"]',
    objectOfStrings: 'write an object whose values are strings, numbers in quotes too (e.g. {"max-file": "3"})',
    object: "write an object, as in Docker's daemon.json reference",
};
const undocumented = (hint?: string) => `is not a documented daemon.json key; dockerd would refuse to start.${hint ? ` Did you mean "${hint}"?` : ""} Fix: use a key from Docker's daemon.json reference.`;
const typed = (setting: string, key: string) => `has a typed setting. Fix: use daemon.${setting} instead of extra["${key}"].`;
const tlsKey = (key: string) => `is set by tlsCertificates, TLS's one way in. Fix: remove extra["${key}"] and set tlsCertificates ({caCertPem, serverCertPem, serverKeyPem}; npm run tls makes them).`;
const retired = (setting: string) => RETIRED_SETTINGS[setting]!;

/** Directories refused as they are, and the trees refused at any depth (validate/paths.ts). */
const SYSTEM_DIRECTORIES = ["/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root", "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log"];
const TREES = ["/proc", "/sys", "/dev", "/run", "/tmp", "/boot", "/etc", "/usr", "/var/lib/docker-host"];
const isTree = (p: string) => TREES.some((t) => p === t || p.startsWith(`${t}/`));
const esc = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");

const HOST_ROWS: Record<string, HostRow[]> = {
    "(top level)": [
        r("no connection", {}, "connection", typeMsg("a mapping", "nothing")),
        r("connection is a string", { connection: "root@10.0.0.5" }, "connection", typeMsg("a mapping", '"root@10.0.0.5"')),
        r("connection is a list", { connection: [] }, "connection", typeMsg("a mapping", "a list")),
        r("the whole config is a number", 5, "", typeMsg("a mapping", "5")),
        r("the whole config is null", null, "", typeMsg("a mapping", "null")),
        r("typo of dataDisk", host({ dataDsk: {} }), "dataDsk", /^unknown setting\. Did you mean "dataDisk"\? Known here: connection, dataDisk, daemon, /),
        r("typo of lockTimeoutSeconds", host({ lockTimeoutSecs: 5 }), "lockTimeoutSecs", /^unknown setting\. Did you mean "lockTimeoutSeconds"\?/),
        r("unknown key without a near one", host({ wibble: true }), "wibble", /^unknown setting\. Known here: connection, /),
        r("connection typo", { connection: { ...conn(), hots: "x" } }, "connection.hots", /^unknown setting\. Did you mean "host"\? Known here: host, port, user, privateKey, hostKey, bastion\.$/),
    ],
    "connection.host": [
        r("missing", { connection: { privateKey: KEY } }, "connection.host", typeMsg("a string", "nothing")),
        r("empty", host({}, { host: "" }), "connection.host", notAddress('""')),
        r("shell", host({}, { host: "bad host;" }), "connection.host", notAddress('"bad host;"')),
        r("command substitution", host({}, { host: "$(reboot)" }), "connection.host", notAddress('"$(reboot)"')),
        r("leading dash", host({}, { host: "-web" }), "connection.host", notAddress('"-web"')),
        r("trailing dash", host({}, { host: "web-" }), "connection.host", notAddress('"web-"')),
        r("underscore", host({}, { host: "web_1" }), "connection.host", notAddress('"web_1"')),
        r("empty label", host({}, { host: "a..b" }), "connection.host", notAddress('"a..b"')),
        r("trailing dot", host({}, { host: "web-1.example.com." }), "connection.host", notAddress('"web-1.example.com."')),
        r("three-part IPv4 shorthand", host({}, { host: "10.0.0" }), "connection.host", notAddress('"10.0.0"')),
        r("octet over 255", host({}, { host: "999.1.1.1" }), "connection.host", notAddress('"999.1.1.1"')),
        r("bare number (an IPv4 address to a resolver)", host({}, { host: "123" }), "connection.host", notAddress('"123"')),
        r("IPv6 in brackets", host({}, { host: "[fd00::5]" }), "connection.host", notAddress('"[fd00::5]"')),
        r("user@host", host({}, { host: "root@10.0.0.5" }), "connection.host", notAddress('"root@10.0.0.5"')),
        r("host:port", host({}, { host: "10.0.0.5:22" }), "connection.host", notAddress('"10.0.0.5:22"')),
        r("label of 64 characters", host({}, { host: `${"a".repeat(64)}.example.com` }), "connection.host", /^"a{64}\.example\.com" is neither an IP address nor a host name\./),
        r("non-ASCII", host({}, { host: "wéb.example.com" }), "connection.host", notAddress('"wéb.example.com"')),
        r("number", host({}, { host: 10 }), "connection.host", typeMsg("a string", "10")),
        r("null", host({}, { host: null }), "connection.host", typeMsg("a string", "null")),
        r("NaN", host({}, { host: NaN }), "connection.host", typeMsg("a string", "NaN")),
        r("list", host({}, { host: ["10.0.0.5"] }), "connection.host", typeMsg("a string", "a list")),
    ],
    "connection.port": [
        r("zero", host({}, { port: 0 }), "connection.port", range("0", "at least 1")),
        r("negative", host({}, { port: -22 }), "connection.port", range("-22", "at least 1")),
        r("65536", host({}, { port: 65536 }), "connection.port", range("65536", "at most 65535")),
        r("70000", host({}, { port: 70000 }), "connection.port", range("70000", "at most 65535")),
        r("huge", host({}, { port: 2 ** 60 }), "connection.port", range("1152921504606847000", "at most 65535")),
        r("fraction", host({}, { port: 22.5 }), "connection.port", typeMsg("a whole number", "22.5")),
        r("string", host({}, { port: "22" }), "connection.port", typeMsg("a number", '"22"')),
        r("NaN", host({}, { port: NaN }), "connection.port", typeMsg("a number", "NaN")),
        r("Infinity", host({}, { port: Infinity }), "connection.port", typeMsg("a number", "Infinity")),
        r("-Infinity", host({}, { port: -Infinity }), "connection.port", typeMsg("a number", "-Infinity")),
        r("boolean", host({}, { port: true }), "connection.port", typeMsg("a number", "true")),
        r("null", host({}, { port: null }), "connection.port", typeMsg("a number", "null")),
    ],
    "connection.user": [
        r("upper case", host({}, { user: "Root" }), "connection.user", notUser('"Root"')),
        r("empty", host({}, { user: "" }), "connection.user", notUser('""')),
        r("space", host({}, { user: "deploy user" }), "connection.user", notUser('"deploy user"')),
        r("semicolon", host({}, { user: "root;reboot" }), "connection.user", notUser('"root;reboot"')),
        r("leading dash (an ssh option)", host({}, { user: "-oProxyCommand=x" }), "connection.user", notUser('"-oProxyCommand=x"')),
        r("leading digit", host({}, { user: "1deploy" }), "connection.user", notUser('"1deploy"')),
        r("33 characters", host({}, { user: "a".repeat(33) }), "connection.user", notUser(`"${"a".repeat(33)}"`)),
        r("non-ASCII", host({}, { user: "dépl" }), "connection.user", notUser('"dépl"')),
        r("at sign", host({}, { user: "root@host" }), "connection.user", notUser('"root@host"')),
        r("number", host({}, { user: 0 }), "connection.user", typeMsg("a string", "0")),
    ],
    "connection.privateKey": [
        r("missing", { connection: { host: "10.0.0.5" } }, "connection.privateKey", typeMsg("a string", "nothing")),
        r("a path", host({}, { privateKey: "/home/me/.ssh/id_ed25519" }), "connection.privateKey", noKey(KEY_HINT)),
        r("a home-relative path", host({}, { privateKey: "~/.ssh/id_rsa" }), "connection.privateKey", noKey(KEY_HINT)),
        r("empty", host({}, { privateKey: "" }), "connection.privateKey", noKey(KEY_HINT)),
        r("the public key", host({}, { privateKey: `${HOST_KEY} me@laptop` }), "connection.privateKey", `is a public key line, not a private key. Fix: pass the key's contents, not its path${KEY_HINT}.`),
        r("a PuTTY key", host({}, { privateKey: "PuTTY-User-Key-File-3: ssh-ed25519\nEncryption: none\n" }), "connection.privateKey", `is a PuTTY key (.ppk), which SSH here cannot read. Fix: pass the key's contents, not its path${KEY_HINT}.`),
        r("cut short", host({}, { privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA" }), "connection.privateKey", 'has no "-----END OPENSSH PRIVATE KEY-----" line after its BEGIN line: it was cut short. Fix: copy the whole key.'),
        r("END of another kind", host({}, { privateKey: "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----" }), "connection.privateKey", /^has no "-----END RSA PRIVATE KEY-----" line after its BEGIN line/),
        r("PKCS#8 encrypted", host({}, { privateKey: "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----" }), "connection.privateKey", /^is encrypted with a passphrase, which no step can enter\. Fix: use a key without a passphrase/),
        r("legacy PEM encrypted", host({}, { privateKey: "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAAAA\n-----END RSA PRIVATE KEY-----" }), "connection.privateKey", /^is encrypted with a passphrase/),
        r("OpenSSH encrypted", host({}, { privateKey: ENCRYPTED_OPENSSH }), "connection.privateKey", /^is encrypted with a passphrase/),
        r("number", host({}, { privateKey: 1 }), "connection.privateKey", typeMsg("a string", "1")),
    ],
    "connection.hostKey": [
        r("a path", host({}, { hostKey: "/etc/ssh/ssh_host_ed25519_key.pub" }), "connection.hostKey", /^"\/etc\/ssh\/ssh_host_ed25519_key\.pub" is not an OpenSSH public key line\. Fix: /),
        r("RSA", host({}, { hostKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" }), "connection.hostKey", /is an RSA key; with it pinned, the command plugin insists on ssh-rsa/),
        r("truncated", host({}, { hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAA" }), "connection.hostKey", /is not a valid ssh-ed25519 key \(its base64 part does not decode to one\)/),
        r("DSA", host({}, { hostKey: "ssh-dss AAAAB3NzaC1kc3M" }), "connection.hostKey", /has key type "ssh-dss"\. Fix: pin one of ssh-ed25519, /),
        r("empty", host({}, { hostKey: "" }), "connection.hostKey", /^"" is not an OpenSSH public key line/),
        r("number", host({}, { hostKey: 5 }), "connection.hostKey", typeMsg("a string", "5")),
    ],
    "connection.bastion": [
        r("a string", host({}, { bastion: "10.0.0.1" }), "connection.bastion", typeMsg("a mapping", '"10.0.0.1"')),
        r("typo", bastion({ hostkey: "x" }), "connection.bastion.hostkey", 'unknown setting. Did you mean "hostKey"? Known here: host, port, user, privateKey, hostKey.'),
        r("no host", host({}, { bastion: { user: "jump" } }), "connection.bastion.host", typeMsg("a string", "nothing")),
        r("host with a space", bastion({ host: "jump host" }), "connection.bastion.host", notAddress('"jump host"', '"10.0.0.1" or "bastion.example.com"')),
        r("host shorthand IPv4", bastion({ host: "10.0.1" }), "connection.bastion.host", notAddress('"10.0.1"', '"10.0.0.1" or "bastion.example.com"')),
        r("host with a ProxyCommand", bastion({ host: "x -oProxyCommand=sh" }), "connection.bastion.host", notAddress('"x -oProxyCommand=sh"', '"10.0.0.1" or "bastion.example.com"')),
        r("host number", bastion({ host: 10 }), "connection.bastion.host", typeMsg("a string", "10")),
        r("port zero", bastion({ port: 0 }), "connection.bastion.port", range("0", "at least 1")),
        r("port 70000", bastion({ port: 70000 }), "connection.bastion.port", range("70000", "at most 65535")),
        r("port NaN", bastion({ port: NaN }), "connection.bastion.port", typeMsg("a number", "NaN")),
        r("port string", bastion({ port: "22" }), "connection.bastion.port", typeMsg("a number", '"22"')),
        r("user with a space", bastion({ user: "Jump Host" }), "connection.bastion.user", notUser('"Jump Host"', '"root" or "jump"')),
        r("user with a semicolon", bastion({ user: "jump;id" }), "connection.bastion.user", notUser('"jump;id"', '"root" or "jump"')),
        r("user empty", bastion({ user: "" }), "connection.bastion.user", notUser('""', '"root" or "jump"')),
        r("user leading dash", bastion({ user: "-J" }), "connection.bastion.user", notUser('"-J"', '"root" or "jump"')),
        r("key path", bastion({ privateKey: "~/.ssh/jump" }), "connection.bastion.privateKey", noKey("")),
        r("key public", bastion({ privateKey: HOST_KEY }), "connection.bastion.privateKey", "is a public key line, not a private key. Fix: pass the key's contents, not its path."),
        r("key cut short", bastion({ privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n" }), "connection.bastion.privateKey", /cut short/),
        r("key encrypted", bastion({ privateKey: ENCRYPTED_OPENSSH }), "connection.bastion.privateKey", /^is encrypted with a passphrase/),
        r("host key RSA", bastion({ hostKey: "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ" }), "connection.bastion.hostKey", /is an RSA key/),
    ],
    "dataDisk": [
        r("a string", host({ dataDisk: "/dev/vdb" }), "dataDisk", typeMsg("a mapping", '"/dev/vdb"')),
        r("typo", disk({ filesytem: "xfs" }), "dataDisk.filesytem", 'unknown setting. Did you mean "filesystem"? Known here: device, filesystem, mountPoint.'),
        r("no device", host({ dataDisk: { mountPoint: "/data" } }), "dataDisk.device", typeMsg("a string", "nothing")),
        r("device with shell", disk({ device: "vdb; rm -rf /" }), "dataDisk.device", '"vdb; rm -rf /" is not a device path. Fix: use a path under /dev, e.g. "/dev/vdb" or "/dev/disk/by-id/nvme-…".'),
        r("device outside /dev", disk({ device: "/mnt/disk.img" }), "dataDisk.device", /^"\/mnt\/disk\.img" is not a device path\./),
        r("device name only", disk({ device: "sdb" }), "dataDisk.device", /^"sdb" is not a device path\./),
        r("device with a space", disk({ device: "/dev/sd b" }), "dataDisk.device", /^"\/dev\/sd b" is not a device path\./),
        r("device leaving /dev by ..", disk({ device: "/dev/../etc/passwd" }), "dataDisk.device", /^"\/dev\/\.\.\/etc\/passwd" is not a device path\./),
        r("device /dev itself", disk({ device: "/dev/" }), "dataDisk.device", /^"\/dev\/" is not a device path\./),
        r("filesystem btrfs", disk({ filesystem: "btrfs" }), "dataDisk.filesystem", '"btrfs" is not allowed. Fix: use one of "xfs", "ext4".'),
        r("filesystem upper case", disk({ filesystem: "XFS" }), "dataDisk.filesystem", '"XFS" is not allowed. Fix: use one of "xfs", "ext4".'),
        r("mount point relative", disk({ mountPoint: "data" }), "dataDisk.mountPoint", '"data" is a relative path. Fix: use an absolute path such as "/data/docker".'),
        r("mount point with ..", disk({ mountPoint: "/data/../etc" }), "dataDisk.mountPoint", '"/data/../etc" contains "." or ".." segments. Fix: write the path without them.'),
        r("mount point with a space", disk({ mountPoint: "/data disk" }), "dataDisk.mountPoint", /^"\/data disk" contains characters outside A-Z a-z 0-9/),
        ...SYSTEM_DIRECTORIES.map((p) =>
            r(`mount point ${p}`, disk({ mountPoint: p }), "dataDisk.mountPoint", `"${p}" is a system directory; mounting over it would hide the host's own files. Fix: use a dedicated directory such as "/data".`),
        ),
        ...["/run/data", "/tmp/disk", "/proc/x", "/sys/x", "/boot/data", "/etc/docker", "/usr/local/data", "/var/lib/docker-host", "/var/lib/docker-host/data"].map((p) =>
            r(`mount point ${p}`, disk({ mountPoint: p }), "dataDisk.mountPoint", new RegExp(`^"${esc(p)}" is (under /[a-z/-]+, )?.*; a data disk does not belong there\\. Fix: use a dedicated directory such as "/data"\\.$`)),
        ),
        r("mount point /var/lib/docker", disk({ mountPoint: "/var/lib/docker" }), "dataDisk.mountPoint", `"/var/lib/docker" is Docker's default data-root /var/lib/docker; mounting the disk there would hide Docker's current images, containers and volumes. Fix: use a dedicated directory such as "/data".`),
        r("mount point inside /var/lib/docker", disk({ mountPoint: "/var/lib/docker/disk" }), "dataDisk.mountPoint", /^"\/var\/lib\/docker\/disk" is inside Docker's default data-root \/var\/lib\/docker; mounting the disk there would hide/),
    ],
    "daemon.dataRoot": [
        r("relative", daemon({ dataRoot: "data/docker" }), "daemon.dataRoot", '"data/docker" is a relative path. Fix: use an absolute path such as "/data/docker".'),
        r("dot-dot", daemon({ dataRoot: "/data/../etc" }), "daemon.dataRoot", '"/data/../etc" contains "." or ".." segments. Fix: write the path without them.'),
        r("dot", daemon({ dataRoot: "/data/./docker" }), "daemon.dataRoot", '"/data/./docker" contains "." or ".." segments. Fix: write the path without them.'),
        r("command substitution", daemon({ dataRoot: "/data/$(reboot)" }), "daemon.dataRoot", '"/data/$(reboot)" contains characters outside A-Z a-z 0-9 . _ @ + - /. Fix: use a plain path (no spaces, quotes, $ or backslashes).'),
        r("quote", daemon({ dataRoot: "/data/x' ; rm -rf / '" }), "daemon.dataRoot", `"/data/x' ; rm -rf / '" contains characters outside A-Z a-z 0-9 . _ @ + - /. Fix: use a plain path (no spaces, quotes, $ or backslashes).`),
        r("double slash", daemon({ dataRoot: "/data//docker" }), "daemon.dataRoot", /^"\/data\/\/docker" contains characters outside/),
        r("backslash", daemon({ dataRoot: "/data\\docker" }), "daemon.dataRoot", /contains characters outside/),
        r("number", daemon({ dataRoot: 1 }), "daemon.dataRoot", typeMsg("a string", "1")),
        ...SYSTEM_DIRECTORIES.map((p) =>
            r(
                `system directory ${p}`,
                daemon({ dataRoot: p }),
                "daemon.dataRoot",
                isTree(p)
                    ? new RegExp(`^"${esc(p)}" is [^;]+; Docker's images, containers and volumes do not belong there\\. Fix: use a dedicated directory such as "/data/docker"\\.$`)
                    : `"${p}" is a system directory; as data-root, Docker's files would mix with the host's own (dockerd creates and empties sub-directories such as tmp there). Fix: use a dedicated directory such as "/data/docker".`,
            ),
        ),
        ...["/run/docker", "/tmp/docker", "/proc/docker", "/sys/docker", "/dev/docker", "/boot/docker", "/etc/docker", "/usr/local/docker", "/var/lib/docker-host", "/var/lib/docker-host/root"].map((p) =>
            r(`inside a system tree: ${p}`, daemon({ dataRoot: p }), "daemon.dataRoot", new RegExp(`^"${esc(p)}" is (under /[a-z/-]+, )?[^;]+; Docker's images, containers and volumes do not belong there\\.`)),
        ),
        r("trailing slash on a system directory", daemon({ dataRoot: "/var/" }), "daemon.dataRoot", /^"\/var\/" is a system directory/),
        r("inside the default root", daemon({ dataRoot: "/var/lib/docker/new" }), "daemon.dataRoot", `"/var/lib/docker/new" is inside Docker's default data-root /var/lib/docker, the live root until it is moved; moving into it would copy the root into itself. Fix: use a directory outside it, such as "/data/docker" (or /var/lib/docker itself).`),
        r("deep inside the default root", daemon({ dataRoot: "/var/lib/docker/volumes/x" }), "daemon.dataRoot", /is inside Docker's default data-root \/var\/lib\/docker/),
        r("off the data disk", daemon({ dataRoot: "/srv/docker" }, { dataDisk: { device: "/dev/vdb", mountPoint: "/data" } }), "daemon.dataRoot", '"/srv/docker" is not on the data disk mounted at "/data". Fix: put it under the mount point, e.g. "/data/docker", or leave it unset.'),
        r("a sibling of the mount point", daemon({ dataRoot: "/data2/docker" }, { dataDisk: { device: "/dev/vdb" } }), "daemon.dataRoot", /^"\/data2\/docker" is not on the data disk mounted at "\/data"/),
    ],
    "daemon (typed settings)": [
        r("not a mapping", host({ daemon: "debug" }), "daemon", typeMsg("a mapping", '"debug"')),
        r("typo", daemon({ maxConcurentDownloads: 3 }), "daemon.maxConcurentDownloads", /^unknown setting\. Did you mean "maxConcurrentDownloads"\?/),
        r("kebab-case key", daemon({ "log-driver": "json-file" }), "daemon.log-driver", /^unknown setting\. Did you mean "logDriver"\?/),
        r("storage driver aufs", daemon({ storageDriver: "aufs" }), "daemon.storageDriver", '"aufs" is not allowed. Fix: use one of "overlay2", "btrfs", "zfs", "fuse-overlayfs".'),
        r("storage driver vfs", daemon({ storageDriver: "vfs" }), "daemon.storageDriver", /^"vfs" is not allowed\./),
        r("storage driver devicemapper", daemon({ storageDriver: "devicemapper" }), "daemon.storageDriver", /^"devicemapper" is not allowed\./),
        r("storage driver number", daemon({ storageDriver: 2 }), "daemon.storageDriver", /^2 is not allowed\./),
        r("mirror without scheme", daemon({ registryMirrors: ["mirror.example.com"] }), "daemon.registryMirrors[0]", '"mirror.example.com" is not a URL. Fix: use a URL such as "https://mirror.example.com".'),
        r("mirror with path", daemon({ registryMirrors: ["https://mirror.example.com/v2"] }), "daemon.registryMirrors[0]", '"https://mirror.example.com/v2" must not have a path, query or fragment. Fix: use a URL such as "https://mirror.example.com".'),
        r("mirror with query", daemon({ registryMirrors: ["https://mirror.example.com?x=1"] }), "daemon.registryMirrors[0]", /must not have a path, query or fragment/),
        r("mirror over ftp", daemon({ registryMirrors: ["ftp://mirror.example.com"] }), "daemon.registryMirrors[0]", '"ftp://mirror.example.com" must use http or https. Fix: use a URL such as "https://mirror.example.com".'),
        r("mirror with credentials", daemon({ registryMirrors: ["https://u:p@mirror.example.com"] }), "daemon.registryMirrors[0]", /must not carry credentials \(use docker login on the host\)\./),
        r("second mirror bad", daemon({ registryMirrors: ["https://ok.example.com", "nope"] }), "daemon.registryMirrors[1]", /^"nope" is not a URL\./),
        r("mirrors as a string", daemon({ registryMirrors: "https://mirror.example.com" }), "daemon.registryMirrors", typeMsg("a list", '"https://mirror.example.com"')),
        r("mirror a number", daemon({ registryMirrors: [5] }), "daemon.registryMirrors[0]", typeMsg("a string", "5")),
        r("insecure registry with scheme", daemon({ insecureRegistries: ["http://registry.local:5000"] }), "daemon.insecureRegistries[0]", '"http://registry.local:5000" is not host[:port] or a CIDR. Fix: use e.g. "registry.local:5000" or "10.0.0.0/8" (no scheme).'),
        r("insecure registry port too big", daemon({ insecureRegistries: ["registry.local:99999"] }), "daemon.insecureRegistries[0]", /is not host\[:port\] or a CIDR/),
        r("insecure registry CIDR /33", daemon({ insecureRegistries: ["10.0.0.0/33"] }), "daemon.insecureRegistries[0]", /^"10\.0\.0\.0\/33" is not host\[:port\] or a CIDR/),
        r("insecure registry IPv6 without port", daemon({ insecureRegistries: ["[fd00::5]"] }), "daemon.insecureRegistries[0]", /^"\[fd00::5\]" is not host\[:port\] or a CIDR/),
        r("insecure registry with a space", daemon({ insecureRegistries: ["a b"] }), "daemon.insecureRegistries[0]", /^"a b" is not host\[:port\] or a CIDR/),
        r("dns not an IP", daemon({ dns: ["8.8.8"] }), "daemon.dns[0]", '"8.8.8" is not an IP address. Fix: use e.g. "1.1.1.1".'),
        r("dns a name", daemon({ dns: ["dns.google"] }), "daemon.dns[0]", '"dns.google" is not an IP address. Fix: use e.g. "1.1.1.1".'),
        r("dns with port", daemon({ dns: ["1.1.1.1:53"] }), "daemon.dns[0]", /^"1\.1\.1\.1:53" is not an IP address\./),
        r("dns search with a space", daemon({ dnsSearch: ["corp example"] }), "daemon.dnsSearch[0]", '"corp example" is not a domain name. Fix: use e.g. "corp.example.com".'),
        r("dns search leading dash", daemon({ dnsSearch: ["-corp.example"] }), "daemon.dnsSearch[0]", /^"-corp\.example" is not a domain name\./),
        r("dns option upper case", daemon({ dnsOptions: ["NDOTS:2"] }), "daemon.dnsOptions[0]", '"NDOTS:2" is not a resolv.conf option. Fix: use e.g. "ndots:2" or "rotate".'),
        r("dns option with =", daemon({ dnsOptions: ["ndots=2"] }), "daemon.dnsOptions[0]", /^"ndots=2" is not a resolv\.conf option\./),
        r("downloads zero", daemon({ maxConcurrentDownloads: 0 }), "daemon.maxConcurrentDownloads", range("0", "at least 1")),
        r("downloads 65", daemon({ maxConcurrentDownloads: 65 }), "daemon.maxConcurrentDownloads", range("65", "at most 64")),
        r("downloads string", daemon({ maxConcurrentDownloads: "3" }), "daemon.maxConcurrentDownloads", typeMsg("a number", '"3"')),
        r("downloads fraction", daemon({ maxConcurrentDownloads: 2.5 }), "daemon.maxConcurrentDownloads", typeMsg("a whole number", "2.5")),
        r("downloads NaN", daemon({ maxConcurrentDownloads: NaN }), "daemon.maxConcurrentDownloads", typeMsg("a number", "NaN")),
        r("uploads zero", daemon({ maxConcurrentUploads: 0 }), "daemon.maxConcurrentUploads", range("0", "at least 1")),
        r("uploads 100", daemon({ maxConcurrentUploads: 100 }), "daemon.maxConcurrentUploads", range("100", "at most 64")),
        r("log driver unknown", daemon({ logDriver: "syslogd" }), "daemon.logDriver", /^"syslogd" is not allowed\. Fix: use one of "json-file", "local", /),
        r("log size unit", daemon({ logMaxSize: "10x" }), "daemon.logMaxSize", '"10x" is not a size. Fix: use a whole number followed by k, m or g, e.g. "10m".'),
        r("log size without unit", daemon({ logMaxSize: "10" }), "daemon.logMaxSize", /^"10" is not a size\./),
        r("log size zero", daemon({ logMaxSize: "0m" }), "daemon.logMaxSize", /^"0m" is not a size\./),
        r("log size mb", daemon({ logMaxSize: "10mb" }), "daemon.logMaxSize", /^"10mb" is not a size\./),
        r("log size number", daemon({ logMaxSize: 10 }), "daemon.logMaxSize", typeMsg("a string", "10")),
        r("log files zero", daemon({ logMaxFiles: 0 }), "daemon.logMaxFiles", range("0", "at least 1")),
        r("log files 101", daemon({ logMaxFiles: 101 }), "daemon.logMaxFiles", range("101", "at most 100")),
        r("log size on journald", daemon({ logDriver: "journald", logMaxSize: "10m" }), "daemon.logMaxSize", 'only applies to the json-file and local log drivers, not "journald". Fix: remove logMaxSize or use logDriver "json-file".'),
        r("log files on syslog", daemon({ logDriver: "syslog", logMaxFiles: 3 }), "daemon.logMaxFiles", /^only applies to the json-file and local log drivers, not "syslog"\./),
        r("log compress on none", daemon({ logDriver: "none", logCompress: true }), "daemon.logCompress", /^only applies to the json-file and local log drivers, not "none"\./),
        r("live restore as a string", daemon({ liveRestore: "yes" }), "daemon.liveRestore", typeMsg("true or false", '"yes"')),
        r("debug as a number", daemon({ debug: 1 }), "daemon.debug", typeMsg("true or false", "1")),
        r("address pool base not CIDR", daemon({ defaultAddressPools: [{ base: "10.200.0.0", size: 24 }] }), "daemon.defaultAddressPools[0].base", '"10.200.0.0" is not a CIDR. Fix: use e.g. "10.200.0.0/16".'),
        r("address pool too wide", daemon({ defaultAddressPools: [{ base: "10.0.0.0/16", size: 8 }] }), "daemon.defaultAddressPools[0].size", "8 must be between the base's prefix (16) and 30. Fix: use e.g. 24."),
        r("address pool too narrow", daemon({ defaultAddressPools: [{ base: "10.0.0.0/16", size: 31 }] }), "daemon.defaultAddressPools[0].size", /^31 must be between the base's prefix \(16\) and 30\./),
        r("address pool typo", daemon({ defaultAddressPools: [{ base: "10.0.0.0/16", size: 24, sise: 1 }] }), "daemon.defaultAddressPools[0].sise", 'unknown setting. Did you mean "size"? Known here: base, size.'),
        r("address pool size as string", daemon({ defaultAddressPools: [{ base: "10.0.0.0/16", size: "24" }] }), "daemon.defaultAddressPools[0].size", typeMsg("a number", '"24"')),
        r("userns remap with two colons", daemon({ usernsRemap: "a:b:c" }), "daemon.usernsRemap", '"a:b:c" is not "default" or user[:group]. Fix: use "default" or e.g. "dockremap:dockremap".'),
        r("userns remap upper case", daemon({ usernsRemap: "Dock" }), "daemon.usernsRemap", /^"Dock" is not "default" or user\[:group\]\./),
        r("shutdown timeout negative", daemon({ shutdownTimeoutSeconds: -1 }), "daemon.shutdownTimeoutSeconds", range("-1", "at least 0")),
        r("shutdown timeout 3601", daemon({ shutdownTimeoutSeconds: 3601 }), "daemon.shutdownTimeoutSeconds", range("3601", "at most 3600")),
        r("feature name", daemon({ features: { Build_Kit: true } }), "daemon.features.Build_Kit", 'is not a feature name. Fix: use lower-case names such as "buildkit".'),
        r("feature value", daemon({ features: { buildkit: "yes" } }), "daemon.features.buildkit", typeMsg("true or false", '"yes"')),
        r("metrics address a name", daemon({ metricsAddress: "localhost:9323" }), "daemon.metricsAddress", '"localhost:9323" is not ip:port. Fix: use e.g. "127.0.0.1:9323".'),
        r("metrics address without port", daemon({ metricsAddress: "127.0.0.1" }), "daemon.metricsAddress", /^"127\.0\.0\.1" is not ip:port\./),
        r("metrics address IPv6 without brackets", daemon({ metricsAddress: "::1:9323" }), "daemon.metricsAddress", /^"::1:9323" is not ip:port\./),
        r("label without =", daemon({ labels: ["env"] }), "daemon.labels[0]", '"env" is not key=value. Fix: use e.g. "env=prod".'),
        r("label with two =", daemon({ labels: ["a=b=c"] }), "daemon.labels[0]", /^"a=b=c" is not key=value\./),
        r("tlsVerify, TLS set by hand", daemon({ tlsVerify: true }), "daemon.tlsVerify", retired("tlsVerify")),
        r("tls, TLS set by hand", daemon({ tls: true }), "daemon.tls", retired("tls")),
        r("tlsKeyPath, TLS set by hand", daemon({ tlsKeyPath: "/etc/docker/key.pem" }), "daemon.tlsKeyPath", retired("tlsKeyPath")),
        r("tlsCaCertPath, with the message pointing to tlsCertificates", daemon({ tlsCaCertPath: "/etc/docker/ca.pem" }), "daemon.tlsCaCertPath", /^is not a daemon setting: TLS is configured with tlsCertificates, .* Fix: remove daemon\.tlsCaCertPath and set tlsCertificates /),
        r("newline in a label", daemon({ labels: ["env=a\nb"] }), "daemon.labels[0]", "contains a control character (newline, tab, …). Fix: remove it."),
    ],
    "daemon.hosts": [
        r("tcp on every address", daemon({ hosts: [LOCAL, "tcp://0.0.0.0:2375"] }), "daemon.hosts[1]", offLoopback("tcp://0.0.0.0:2375")),
        r("tcp with no address", daemon({ hosts: [LOCAL, "tcp://:2375"] }), "daemon.hosts[1]", offLoopback("tcp://:2375")),
        r("tcp on a LAN address", daemon({ hosts: [LOCAL, "tcp://10.0.0.5:2375"] }), "daemon.hosts[1]", offLoopback("tcp://10.0.0.5:2375")),
        r("tcp on every IPv6 address", daemon({ hosts: [LOCAL, "tcp://[::]:2375"] }), "daemon.hosts[1]", offLoopback("tcp://[::]:2375")),
        r("tcp on link-local IPv6", daemon({ hosts: [LOCAL, "tcp://[fe80::1]:2375"] }), "daemon.hosts[1]", offLoopback("tcp://[fe80::1]:2375")),
        r("a name that starts like loopback", daemon({ hosts: [LOCAL, "tcp://127.evil.example:2375"] }), "daemon.hosts[1]", offLoopback("tcp://127.evil.example:2375", true)),
        r("a name under localhost", daemon({ hosts: [LOCAL, "tcp://localhost.evil.example:2375"] }), "daemon.hosts[1]", offLoopback("tcp://localhost.evil.example:2375", true)),
        r("a wildcard-DNS name for 127.0.0.1", daemon({ hosts: [LOCAL, "tcp://127.0.0.1.nip.io:2375"] }), "daemon.hosts[1]", offLoopback("tcp://127.0.0.1.nip.io:2375", true)),
        r("LOCALHOST in capitals", daemon({ hosts: [LOCAL, "tcp://LOCALHOST:2375"] }), "daemon.hosts[1]", offLoopback("tcp://LOCALHOST:2375", true)),
        r("another host's name", daemon({ hosts: [LOCAL, "tcp://docker.example.com:2375"] }), "daemon.hosts[1]", offLoopback("tcp://docker.example.com:2375", true)),
        r("IPv4 shorthand", daemon({ hosts: [LOCAL, "tcp://127.1:2375"] }), "daemon.hosts[1]", notListener("tcp://127.1:2375")),
        r("IPv6 that is not one", daemon({ hosts: [LOCAL, "tcp://[:::1]:2375"] }), "daemon.hosts[1]", notListener("tcp://[:::1]:2375")),
        r("port too big", daemon({ hosts: [LOCAL, "tcp://127.0.0.1:99999"] }), "daemon.hosts[1]", notListener("tcp://127.0.0.1:99999")),
        r("port zero", daemon({ hosts: [LOCAL, "tcp://127.0.0.1:0"] }), "daemon.hosts[1]", notListener("tcp://127.0.0.1:0")),
        r("no port", daemon({ hosts: [LOCAL, "tcp://127.0.0.1"] }), "daemon.hosts[1]", notListener("tcp://127.0.0.1")),
        r("http scheme", daemon({ hosts: [LOCAL, "http://127.0.0.1:2375"] }), "daemon.hosts[1]", notListener("http://127.0.0.1:2375")),
        r("unix relative", daemon({ hosts: ["unix://docker.sock"] }), "daemon.hosts[0]", notListener("unix://docker.sock")),
        r("unix with $", daemon({ hosts: ["unix:///run/$(id).sock", LOCAL] }), "daemon.hosts[0]", notListener("unix:///run/$(id).sock")),
        r("bare path", daemon({ hosts: ["/var/run/docker.sock", LOCAL] }), "daemon.hosts[0]", notListener("/var/run/docker.sock")),
        r("empty list", daemon({ hosts: [] }), "daemon.hosts", 'is empty: dockerd would listen nowhere and nothing could reach it. Fix: list at least "unix:///var/run/docker.sock", or leave hosts unset.'),
        r("no local socket", daemon({ hosts: ["tcp://127.0.0.1:2375"] }), "daemon.hosts", 'has no local socket, so the docker CLI on the host (and these scripts) could not reach dockerd. Fix: add "unix:///var/run/docker.sock".'),
        r("as a string", daemon({ hosts: LOCAL }), "daemon.hosts", typeMsg("a list", `"${LOCAL}"`)),
    ],
    "daemon.extra": [
        r("typo of live-restore", extra({ "live-restor": true }), "daemon.extra.live-restor", undocumented("live-restore")),
        r("typo of log-level", extra({ "log-levle": "info" }), "daemon.extra.log-levle", undocumented("log-level")),
        r("singular exec-opt", extra({ "exec-opt": ["x"] }), "daemon.extra.exec-opt", undocumented("exec-opts")),
        r("camelCase key", extra({ logLevel: "info" }), "daemon.extra.logLevel", undocumented("log-level")),
        r("nothing near", extra({ wibble: 1 }), "daemon.extra.wibble", undocumented()),
        r("an Object.prototype name", extra({ constructor: "x" }), "daemon.extra.constructor", undocumented()),
        r("a Windows-only key", extra({ "hyperv-isolation": true }), "daemon.extra.hyperv-isolation", /^is not a documented daemon\.json key; dockerd would refuse to start\./),
        r("removed graph", extra({ graph: "/x" }), "daemon.extra.graph", "is deprecated and removed from dockerd. Fix: use daemon.dataRoot."),
        r("typed data-root", extra({ "data-root": "/data/docker" }), "daemon.extra.data-root", typed("dataRoot", "data-root")),
        r("typed live-restore", extra({ "live-restore": true }), "daemon.extra.live-restore", typed("liveRestore", "live-restore")),
        r("typed hosts", extra({ hosts: [LOCAL] }), "daemon.extra.hosts", typed("hosts", "hosts")),
        r("typed log-opts", extra({ "log-opts": { tag: "x" } }), "daemon.extra.log-opts", 'has typed settings. Fix: use daemon.logMaxSize, daemon.logMaxFiles or daemon.logCompress instead of extra["log-opts"].'),
        r("typed registry-mirrors", extra({ "registry-mirrors": [] }), "daemon.extra.registry-mirrors", typed("registryMirrors", "registry-mirrors")),
        r("typed storage-driver", extra({ "storage-driver": "overlay2" }), "daemon.extra.storage-driver", typed("storageDriver", "storage-driver")),
        r("TLS's tlsverify", extra({ tlsverify: true }), "daemon.extra.tlsverify", tlsKey("tlsverify")),
        r("TLS's tlscacert", extra({ tlscacert: "/etc/docker/ca.pem" }), "daemon.extra.tlscacert", tlsKey("tlscacert")),
        r("typed metrics-addr", extra({ "metrics-addr": "127.0.0.1:9323" }), "daemon.extra.metrics-addr", typed("metricsAddress", "metrics-addr")),
        r("newline in a value", extra({ "log-level": "info\nMOUNT_POINT=/" }), "daemon.extra.log-level", "contains a control character (newline, tab, …). Fix: remove it."),
        r("tab in a nested value", extra({ proxies: { "no-proxy": "a\tb" } }), "daemon.extra.proxies.no-proxy", "contains a control character (newline, tab, …). Fix: remove it."),
        // The JSON type of each documented key.
        r("mtu as a string", extra({ mtu: "1500" }), "daemon.extra.mtu", extraType("a whole number", '"1500"', FIX.integer)),
        r("mtu as a fraction", extra({ mtu: 1500.5 }), "daemon.extra.mtu", extraType("a whole number", "1500.5", FIX.integer)),
        r("mtu NaN", extra({ mtu: NaN }), "daemon.extra.mtu", extraType("a whole number", "NaN", FIX.integer)),
        r("mtu Infinity", extra({ mtu: Infinity }), "daemon.extra.mtu", extraType("a whole number", "Infinity", FIX.integer)),
        r("network-control-plane-mtu as boolean", extra({ "network-control-plane-mtu": true }), "daemon.extra.network-control-plane-mtu", extraType("a whole number", "true", FIX.integer)),
        r("cpu-rt-period as a string", extra({ "cpu-rt-period": "1000" }), "daemon.extra.cpu-rt-period", extraType("a whole number", '"1000"', FIX.integer)),
        r("cpu-rt-runtime as null", extra({ "cpu-rt-runtime": null }), "daemon.extra.cpu-rt-runtime", extraType("a whole number", "null", FIX.integer)),
        r("max-download-attempts as a list", extra({ "max-download-attempts": [5] }), "daemon.extra.max-download-attempts", extraType("a whole number", "a list", FIX.integer)),
        r("oom-score-adjust as a string", extra({ "oom-score-adjust": "-500" }), "daemon.extra.oom-score-adjust", extraType("a whole number", '"-500"', FIX.integer)),
        r("log-level as a number", extra({ "log-level": 3 }), "daemon.extra.log-level", extraType("a string", "3", FIX.string)),
        r("log-format as boolean", extra({ "log-format": true }), "daemon.extra.log-format", extraType("a string", "true", FIX.string)),
        r("default-shm-size in bytes", extra({ "default-shm-size": 67108864 }), "daemon.extra.default-shm-size", extraType("a string", "67108864", FIX.string)),
        r("bip as an object", extra({ bip: { ip: "x" } }), "daemon.extra.bip", extraType("a string", "an object", FIX.string)),
        r("seccomp-profile as boolean", extra({ "seccomp-profile": false }), "daemon.extra.seccomp-profile", extraType("a string", "false", FIX.string)),
        r("exec-root as a list", extra({ "exec-root": ["/run/docker"] }), "daemon.extra.exec-root", extraType("a string", "a list", FIX.string)),
        r("cgroup-parent as a number", extra({ "cgroup-parent": 1 }), "daemon.extra.cgroup-parent", extraType("a string", "1", FIX.string)),
        r("default-runtime as null", extra({ "default-runtime": null }), "daemon.extra.default-runtime", extraType("a string", "null", FIX.string)),
        r("firewall-backend as boolean", extra({ "firewall-backend": true }), "daemon.extra.firewall-backend", extraType("a string", "true", FIX.string)),
        r("icc as a string", extra({ icc: "false" }), "daemon.extra.icc", extraType("true or false", '"false"', FIX.boolean)),
        r("ipv6 as a number", extra({ ipv6: 1 }), "daemon.extra.ipv6", extraType("true or false", "1", FIX.boolean)),
        r("iptables as null", extra({ iptables: null }), "daemon.extra.iptables", extraType("true or false", "null", FIX.boolean)),
        r("experimental as yes", extra({ experimental: "yes" }), "daemon.extra.experimental", extraType("true or false", '"yes"', FIX.boolean)),
        r("userland-proxy as 0", extra({ "userland-proxy": 0 }), "daemon.extra.userland-proxy", extraType("true or false", "0", FIX.boolean)),
        r("no-new-privileges as a list", extra({ "no-new-privileges": [true] }), "daemon.extra.no-new-privileges", extraType("true or false", "a list", FIX.boolean)),
        r("allow-direct-routing as a string", extra({ "allow-direct-routing": "true" }), "daemon.extra.allow-direct-routing", extraType("true or false", '"true"', FIX.boolean)),
        r("selinux-enabled as a number", extra({ "selinux-enabled": 1 }), "daemon.extra.selinux-enabled", extraType("true or false", "1", FIX.boolean)),
        r("exec-opts as one string", extra({ "exec-opts": "native.cgroupdriver=systemd" }), "daemon.extra.exec-opts", extraType("a list of strings", '"native.cgroupdriver=systemd"', FIX.stringArray)),
        r("storage-opts with a number", extra({ "storage-opts": ["overlay2.size=10G", 1] }), "daemon.extra.storage-opts[1]", `dockerd expects a string here (storage-opts is a list of strings), got 1. Fix: ${FIX.stringArray}.`),
        r("authorization-plugins as an object", extra({ "authorization-plugins": {} }), "daemon.extra.authorization-plugins", extraType("a list of strings", "an object", FIX.stringArray)),
        r("node-generic-resources as a string", extra({ "node-generic-resources": "gpu=1" }), "daemon.extra.node-generic-resources", extraType("a list of strings", '"gpu=1"', FIX.stringArray)),
        r("cdi-spec-dirs as a string", extra({ "cdi-spec-dirs": "/etc/cdi" }), "daemon.extra.cdi-spec-dirs", extraType("a list of strings", '"/etc/cdi"', FIX.stringArray)),
        r("host-gateway-ips as a string", extra({ "host-gateway-ips": "192.0.2.1" }), "daemon.extra.host-gateway-ips", extraType("a list of strings", '"192.0.2.1"', FIX.stringArray)),
        r("allow-nondistributable-artifacts with null", extra({ "allow-nondistributable-artifacts": [null] }), "daemon.extra.allow-nondistributable-artifacts[0]", /^dockerd expects a string here \(allow-nondistributable-artifacts is a list of strings\), got null\./),
        r("default-ulimits as a string", extra({ "default-ulimits": "nofile=1024:2048" }), "daemon.extra.default-ulimits", extraType("an object", '"nofile=1024:2048"', FIX.object)),
        r("runtimes as a list", extra({ runtimes: ["crun"] }), "daemon.extra.runtimes", extraType("an object", "a list", FIX.object)),
        r("builder as a string", extra({ builder: "gc" }), "daemon.extra.builder", extraType("an object", '"gc"', FIX.object)),
        r("default-network-opts as null", extra({ "default-network-opts": null }), "daemon.extra.default-network-opts", extraType("an object", "null", FIX.object)),
        r("proxies as a URL", extra({ proxies: "http://proxy:3128" }), "daemon.extra.proxies", extraType("an object whose values are strings", '"http://proxy:3128"', FIX.objectOfStrings)),
        r("proxies with a number", extra({ proxies: { "http-proxy": 3128 } }), "daemon.extra.proxies.http-proxy", `dockerd expects a string here (proxies is an object whose values are strings), got 3128. Fix: ${FIX.objectOfStrings}.`),
        r("proxies with a list", extra({ proxies: { "no-proxy": ["a", "b"] } }), "daemon.extra.proxies.no-proxy", /^dockerd expects a string here \(proxies is an object whose values are strings\), got a list\./),
    ],
    "prune": [
        r("not a mapping", host({ prune: true }), "prune", typeMsg("a mapping", "true")),
        r("typo", host({ prune: { shedule: "weekly" } }), "prune.shedule", /^unknown setting\. Did you mean "schedule"\? Known here: schedule, randomizedDelaySeconds, olderThan, keepLabel, volumes\.$/),
        r("schedule with shell", host({ prune: { schedule: "weekly; reboot" } }), "prune.schedule", '"weekly; reboot" is not a systemd calendar expression. Fix: use e.g. "weekly" or "Sun *-*-* 03:00".'),
        r("schedule with $", host({ prune: { schedule: "$(reboot)" } }), "prune.schedule", /^"\$\(reboot\)" is not a systemd calendar expression\./),
        r("schedule empty", host({ prune: { schedule: "" } }), "prune.schedule", /^"" is not a systemd calendar expression\./),
        r("age in days", host({ prune: { olderThan: "7d" } }), "prune.olderThan", '"7d" is not a duration. Fix: use hours, minutes or seconds, e.g. "168h".'),
        r("age without unit", host({ prune: { olderThan: "168" } }), "prune.olderThan", /^"168" is not a duration\./),
        r("keep label with a space", host({ prune: { keepLabel: "keep me" } }), "prune.keepLabel", '"keep me" is not a label key. Fix: use e.g. "docker-host.keep".'),
        r("keep label leading dash", host({ prune: { keepLabel: "-keep" } }), "prune.keepLabel", /^"-keep" is not a label key\./),
        r("delay negative", host({ prune: { randomizedDelaySeconds: -1 } }), "prune.randomizedDelaySeconds", range("-1", "at least 0")),
        r("delay over a day", host({ prune: { randomizedDelaySeconds: 86401 } }), "prune.randomizedDelaySeconds", range("86401", "at most 86400")),
        r("volumes as a string", host({ prune: { volumes: "yes" } }), "prune.volumes", typeMsg("true or false", '"yes"')),
    ],
    "tlsCertificates and tlsListenAddress": [
        r("CA not PEM", host({ tlsCertificates: { ...CERTS, caCertPem: "/etc/docker/ca.pem" } }), "tlsCertificates.caCertPem", "is not a PEM certificate. Fix: pass the CA certificate's PEM text."),
        r("server certificate not PEM", host({ tlsCertificates: { ...CERTS, serverCertPem: "cert" } }), "tlsCertificates.serverCertPem", "is not a PEM certificate. Fix: pass the server certificate's PEM text."),
        r("server key not PEM", host({ tlsCertificates: { ...CERTS, serverKeyPem: "/etc/key.pem" } }), "tlsCertificates.serverKeyPem", "is not a PEM private key. Fix: pass the server key's PEM text (as a secret)."),
        r("server key missing", host({ tlsCertificates: { caCertPem: CERT, serverCertPem: CERT } }), "tlsCertificates.serverKeyPem", typeMsg("a string", "nothing")),
        r("typo", host({ tlsCertificates: { ...CERTS, caCertPm: CERT } }), "tlsCertificates.caCertPm", /^unknown setting\. Did you mean "caCertPem"\?/),
        r("daemon.tls as well", host({ tlsCertificates: CERTS, daemon: { tls: false } }), "daemon.tls", retired("tls")),
        r("daemon.tlsCaCertPath as well", host({ tlsCertificates: CERTS, daemon: { tlsCaCertPath: "/etc/docker/ca.pem" } }), "daemon.tlsCaCertPath", retired("tlsCaCertPath")),
        r("a key of another certificate", host({ tlsCertificates: { ...CERTS, serverKeyPem: FOREIGN.keyPem } }), "tlsCertificates.serverKeyPem", /^does not belong to the server certificate /),
        r("a server certificate of another CA", host({ tlsCertificates: { ...CERTS, serverCertPem: FOREIGN.certPem, serverKeyPem: FOREIGN.keyPem } }), "tlsCertificates.serverCertPem", /^is not signed by the CA in caCertPem; /),
        r("PEMs that do not parse", host({ tlsCertificates: { ...CERTS, caCertPem: CERT } }), "tlsCertificates.caCertPem", /^is not a readable X\.509 certificate\./),
        r("listen address without certificates", host({ tlsListenAddress: "0.0.0.0:2376" }), "tlsListenAddress", "has no effect without tlsCertificates. Fix: add tlsCertificates or remove it."),
        r("listen address without port", host({ tlsCertificates: CERTS, tlsListenAddress: "0.0.0.0" }), "tlsListenAddress", '"0.0.0.0" is not ip:port. Fix: use e.g. "0.0.0.0:2376".'),
        r("listen address a name", host({ tlsCertificates: CERTS, tlsListenAddress: "docker.example.com:2376" }), "tlsListenAddress", /^"docker\.example\.com:2376" is not ip:port\./),
        r("listen address IPv6 unbracketed", host({ tlsCertificates: CERTS, tlsListenAddress: ":::2376" }), "tlsListenAddress", /^":::2376" is not ip:port\./),
        r("listen address port 0", host({ tlsCertificates: CERTS, tlsListenAddress: "0.0.0.0:0" }), "tlsListenAddress", /^"0\.0\.0\.0:0" is not ip:port\./),
    ],
    "timeouts and switches": [
        r("allowInsecureTcp as a string", host({ allowInsecureTcp: "yes" }), "allowInsecureTcp", typeMsg("true or false", '"yes"')),
        r("detectDrift as a string", host({ detectDrift: "true" }), "detectDrift", typeMsg("true or false", '"true"')),
        r("ready timeout 4", host({ dockerReadyTimeoutSeconds: 4 }), "dockerReadyTimeoutSeconds", range("4", "at least 5")),
        r("ready timeout 3601", host({ dockerReadyTimeoutSeconds: 3601 }), "dockerReadyTimeoutSeconds", range("3601", "at most 3600")),
        r("ready timeout NaN", host({ dockerReadyTimeoutSeconds: NaN }), "dockerReadyTimeoutSeconds", typeMsg("a number", "NaN")),
        r("lock timeout negative", host({ lockTimeoutSeconds: -1 }), "lockTimeoutSeconds", range("-1", "at least 0")),
        r("lock timeout over a day", host({ lockTimeoutSeconds: 86401 }), "lockTimeoutSeconds", range("86401", "at most 86400")),
        r("lock timeout fraction", host({ lockTimeoutSeconds: 1.5 }), "lockTimeoutSeconds", typeMsg("a whole number", "1.5")),
        r("lock timeout string", host({ lockTimeoutSeconds: "600" }), "lockTimeoutSeconds", typeMsg("a number", '"600"')),
        r("lock timeout Infinity", host({ lockTimeoutSeconds: Infinity }), "lockTimeoutSeconds", typeMsg("a number", "Infinity")),
    ],
};

// Stack configuration (docker-host:*), through readStackConfig.
const FILES: Record<string, string> = { "/keys/web": KEY, "/keys/web.pub": HOST_KEY };
const readFile = (path: string) => {
    const content = FILES[path];
    if (content === undefined) throw Object.assign(new Error("nope"), { code: "ENOENT" });
    return content;
};
const s = (name: string, raw: RawStackConfig, key: string, message: string | RegExp): StackRow => ({ name, raw, key, message });
const stack = (hosts: unknown[], rest: Omit<RawStackConfig, "hosts"> = {}): RawStackConfig => ({ privateKey: KEY, hosts, ...rest });
const two = (a: object, b: object) => stack([{ name: "a", ...a }, { name: "b", ...b }]);
const cache = (registryCache: unknown, hosts: unknown[] = [{ name: "cache-1", host: "10.0.0.20" }, { name: "web-1", host: "10.0.0.5" }]) => stack(hosts, { registryCache });
const sameMachine = (b: string, a: string) => new RegExp(`^${esc(b)} is the same machine as docker-host:hosts\\[0\\] \\(a\\), ${esc(a)}; two entries for one machine would change its Docker in turn and undo each other, whatever their users\\. Fix: keep one entry per machine`);

const STACK_ROWS: Record<string, StackRow[]> = {
    "docker-host:hosts": [
        s("missing", { privateKey: KEY }, "docker-host:hosts", "lists no hosts. Fix: add at least one entry with a name and a host address."),
        s("empty", stack([]), "docker-host:hosts", "lists no hosts. Fix: add at least one entry with a name and a host address."),
        s("a mapping", { privateKey: KEY, hosts: { name: "a" } }, "docker-host:hosts", /^lists no hosts\./),
        s("an entry that is a string", stack(["10.0.0.5"]), "docker-host:hosts[0]", 'expected a mapping, got "10.0.0.5". Fix: write it as key: value lines.'),
        s("an entry that is null", stack([null]), "docker-host:hosts[0]", "expected a mapping, got null. Fix: write it as key: value lines."),
        s("no name", stack([{ host: "10.0.0.5" }]), "docker-host:hosts[0].name", 'nothing is not a host name. Fix: lower-case letters, digits and dashes, e.g. "web-1".'),
        s("name with capitals", stack([{ name: "Web-1", host: "10.0.0.5" }]), "docker-host:hosts[0].name", '"Web-1" is not a host name. Fix: lower-case letters, digits and dashes, e.g. "web-1".'),
        s("name a number", stack([{ name: 1, host: "10.0.0.5" }]), "docker-host:hosts[0].name", /^1 is not a host name\./),
        s("name twice", two({ host: "10.0.0.5" }, { name: "a", host: "10.0.0.6" }), "docker-host:hosts[1].name", '"a" is listed twice. Fix: give every host its own name.'),
        s("typo of port", stack([{ name: "a", host: "10.0.0.5", prot: 22 }]), "docker-host:hosts[0] (a).prot", /^unknown setting\. Did you mean "port"\?/),
        s("a host's own bad address", stack([{ name: "a", host: "bad host" }]), "docker-host:hosts[0] (a).host", notAddress('"bad host"')),
    ],
    "same machine twice": [
        s("names differing in case", two({ host: "Web-1.example.com" }, { host: "web-1.example.com" }), "docker-host:hosts[1] (b).host", sameMachine('"web-1.example.com" port 22', '"Web-1.example.com" port 22')),
        s("port 22 spelled out", two({ host: "10.0.0.5" }, { host: "10.0.0.5", port: 22 }), "docker-host:hosts[1] (b).host", sameMachine('"10.0.0.5" port 22', '"10.0.0.5" port 22')),
        s("another user", two({ host: "10.0.0.5", user: "root" }, { host: "10.0.0.5", user: "deploy" }), "docker-host:hosts[1] (b).host", sameMachine('"10.0.0.5" port 22', '"10.0.0.5" port 22')),
        s("IPv6 spelled two ways", two({ host: "fd00::5" }, { host: "FD00:0:0:0:0:0:0:5" }), "docker-host:hosts[1] (b).host", sameMachine('"FD00:0:0:0:0:0:0:5" port 22', '"fd00::5" port 22')),
        s("IPv4 and its IPv4-mapped IPv6 form", two({ host: "10.0.0.5" }, { host: "::ffff:10.0.0.5" }), "docker-host:hosts[1] (b).host", sameMachine('"::ffff:10.0.0.5" port 22', '"10.0.0.5" port 22')),
        s("loopback spelled two ways", two({ host: "::1" }, { host: "0:0::1" }), "docker-host:hosts[1] (b).host", sameMachine('"0:0::1" port 22', '"::1" port 22')),
        s("the same other port", two({ host: "10.0.0.5", port: 2222 }, { host: "10.0.0.5", port: 2222 }), "docker-host:hosts[1] (b).host", sameMachine('"10.0.0.5" port 2222', '"10.0.0.5" port 2222')),
        s("through the same bastion", two({ host: "10.0.0.5", bastion: { host: "jump" } }, { host: "10.0.0.5", bastion: { host: "JUMP", port: 22 } }), "docker-host:hosts[1] (b).host", sameMachine('"10.0.0.5" port 22 via "JUMP" port 22', '"10.0.0.5" port 22 via "jump" port 22')),
        s("a port from the defaults", { ...two({ host: "10.0.0.5" }, { host: "10.0.0.5", port: 2222 }), defaults: { port: 2222 } }, "docker-host:hosts[1] (b).host", sameMachine('"10.0.0.5" port 2222', '"10.0.0.5" port 2222')),
    ],
    "docker-host:defaults, rollout and keys": [
        s("defaults not a mapping", { ...stack([{ name: "a", host: "h" }]), defaults: "root" }, "docker-host:defaults", 'expected a mapping, got "root". Fix: write it as key: value lines.'),
        s("defaults with a name", { ...stack([{ name: "a", host: "h" }]), defaults: { name: "x" } }, "docker-host:defaults.name", /^unknown setting\./),
        s("defaults with a bad daemon value", { ...stack([{ name: "a", host: "h" }]), defaults: { daemon: { logMaxSize: "1x" } } }, "docker-host:defaults.daemon.logMaxSize", /^"1x" is not a size\./),
        s("batch size zero", { ...stack([{ name: "a", host: "h" }]), rollout: { batchSize: 0 } }, "docker-host:rollout.batchSize", "0 is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time)."),
        s("batch size NaN", { ...stack([{ name: "a", host: "h" }]), rollout: { batchSize: NaN } }, "docker-host:rollout.batchSize", "NaN is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time)."),
        s("batch size string", { ...stack([{ name: "a", host: "h" }]), rollout: { batchSize: "2" } }, "docker-host:rollout.batchSize", '"2" is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time).'),
        s("rollout typo", { ...stack([{ name: "a", host: "h" }]), rollout: { batchSise: 2 } }, "docker-host:rollout.batchSise", /^unknown setting\. Did you mean "batchSize"\?/),
        s("no key at all", { hosts: [{ name: "a", host: "h" }] }, "docker-host:hosts[0] (a).privateKeyPath", /^no SSH key: neither privateKeyPath nor the secret docker-host:privateKey is set\./),
        s("key path relative", { hosts: [{ name: "a", host: "h", privateKeyPath: "keys/web" }] }, "docker-host:hosts[0] (a).privateKeyPath", '"keys/web" is not an absolute path. Fix: e.g. "/home/me/.ssh/id_ed25519".'),
        s("key path unreadable", { hosts: [{ name: "a", host: "h", privateKeyPath: "/keys/missing" }] }, "docker-host:hosts[0] (a).privateKeyPath", /^cannot read \/keys\/missing \(ENOENT\)\./),
        s("key path naming the public key", { hosts: [{ name: "a", host: "h", privateKeyPath: "/keys/web.pub" }] }, "docker-host:hosts[0] (a).privateKeyPath", "the file /keys/web.pub is a public key line, not a private key. Fix: point privateKeyPath at the private key's own file (not the .pub beside it)."),
        s("the secret key a public key", { privateKey: HOST_KEY, hosts: [{ name: "a", host: "h" }] }, "docker-host:privateKey", "is a public key line, not a private key. Fix: store the key's contents, not its path: `pulumi config set --secret docker-host:privateKey < ~/.ssh/id_ed25519` (or set privateKeyPath to the file)."),
        s("the secret key a path, for two hosts: once", { privateKey: "~/.ssh/id_ed25519", hosts: [{ name: "a", host: "h" }, { name: "b", host: "i" }] }, "docker-host:privateKey", /^does not look like a private key \(no "-----BEGIN \.\.\. PRIVATE KEY-----" line\)\. Fix: store the key's contents/),
        s("a port from the defaults", { ...stack([{ name: "a", host: "h" }]), defaults: { port: "22" } }, "docker-host:defaults.port", typeMsg("a number", '"22"')),
        s("a bastion's own bad address", stack([{ name: "a", host: "h", bastion: { host: "bad host" } }]), "docker-host:hosts[0] (a).bastion.host", /^"bad host" is neither an IP address nor a host name\./),
        s("host key twice", stack([{ name: "a", host: "h", hostKey: HOST_KEY, hostKeyPath: "/keys/web.pub" }]), "docker-host:hosts[0] (a).hostKeyPath", "is set together with hostKey. Fix: keep one of the two."),
        s("host key path relative", stack([{ name: "a", host: "h", hostKeyPath: "web.pub" }]), "docker-host:hosts[0] (a).hostKeyPath", /^"web\.pub" is not an absolute path\./),
    ],
    "docker-host:registryCache": [
        s("not a mapping", cache("cache-1"), "docker-host:registryCache", 'expected a mapping, got "cache-1". Fix: write it as key: value lines.'),
        s("typo", cache({ host: "cache-1", prot: 5000 }), "docker-host:registryCache.prot", /^unknown setting\. Did you mean "port"\?/),
        s("no host", cache({ port: 5000 }), "docker-host:registryCache.host", "expected the name of one of the stack's hosts, got nothing. Fix: name a host from docker-host:hosts, e.g. host: web-1."),
        s("host a number", cache({ host: 1 }), "docker-host:registryCache.host", /^expected the name of one of the stack's hosts, got 1\./),
        s("host an object without a prototype, on the SSH port", cache({ host: Object.create(null), port: 22 }), "docker-host:registryCache.port", /^22 is the SSH port of an object; /),
        s("host not in the stack", cache({ host: "nope" }), "docker-host:registryCache.host", '"nope" is not one of the stack\'s hosts. Fix: name a host from docker-host:hosts.'),
        s("host given as its address", cache({ host: "10.0.0.20" }), "docker-host:registryCache.host", /^"10\.0\.0\.20" is not one of the stack's hosts\./),
        s("port a word", cache({ host: "cache-1", port: "abc" }), "docker-host:registryCache.port", '"abc" is not a port. Fix: use a whole number from 1 to 65535, e.g. 5000.'),
        s("port a numeric string", cache({ host: "cache-1", port: "5000" }), "docker-host:registryCache.port", /^"5000" is not a port\./),
        s("port zero", cache({ host: "cache-1", port: 0 }), "docker-host:registryCache.port", /^0 is not a port\./),
        s("port 70000", cache({ host: "cache-1", port: 70000 }), "docker-host:registryCache.port", /^70000 is not a port\./),
        s("port NaN", cache({ host: "cache-1", port: NaN }), "docker-host:registryCache.port", /^NaN is not a port\./),
        s("port fraction", cache({ host: "cache-1", port: 5000.5 }), "docker-host:registryCache.port", /^5000\.5 is not a port\./),
        s("port the cache host's SSH port", cache({ host: "cache-1", port: 22 }), "docker-host:registryCache.port", "22 is the SSH port of cache-1; the cache could not listen on it. Fix: use another port, e.g. 5000."),
        s("port the SSH port set on the host", cache({ host: "cache-1", port: 2222 }, [{ name: "cache-1", host: "10.0.0.20", port: 2222 }]), "docker-host:registryCache.port", /^2222 is the SSH port of cache-1;/),
        s("upstream over ftp", cache({ host: "cache-1", upstreamUrl: "ftp://registry.example.com" }), "docker-host:registryCache.upstreamUrl", '"ftp://registry.example.com" is not a registry URL. Fix: e.g. "https://registry-1.docker.io".'),
        s("upstream with a path", cache({ host: "cache-1", upstreamUrl: "https://registry.example.com/v2" }), "docker-host:registryCache.upstreamUrl", /is not a registry URL/),
        s("upstream a number", cache({ host: "cache-1", upstreamUrl: 5 }), "docker-host:registryCache.upstreamUrl", /^5 is not a registry URL/),
        s("upstream port too big", cache({ host: "cache-1", upstreamUrl: "https://registry.example.com:99999" }), "docker-host:registryCache.upstreamUrl", /is not a registry URL/),
        s("image with a space", cache({ host: "cache-1", image: "Registry 2" }), "docker-host:registryCache.image", '"Registry 2" is not an image reference. Fix: e.g. "registry:2" or "mirror.example.com/library/registry:2".'),
        s("image a list", cache({ host: "cache-1", image: ["registry:2"] }), "docker-host:registryCache.image", /^a list is not an image reference\./),
        s("delete flag a string", cache({ host: "cache-1", deleteStorageOnDestroy: "no" }), "docker-host:registryCache.deleteStorageOnDestroy", '"no" is not true or false. Fix: true deletes the cached blobs on destroy; leave it out to keep them.'),
        s("cache host with a zoned IPv6 address", cache({ host: "cache-1" }, [{ name: "cache-1", host: "fe80::1%eth0" }, { name: "web-1", host: "10.0.0.5" }]), "docker-host:registryCache.host", /^the address of cache-1, "fe80::1%eth0", cannot be written in a mirror URL \(http:\/\/\[fe80::1%eth0\]:5000\)\. Fix: give that host an IPv4 address or a DNS name\.$/),
    ],
};

function matches(actual: string, expected: string | RegExp): boolean {
    return typeof expected === "string" ? actual === expected : expected.test(actual);
}

describe("bad inputs", () => {
    const rows = Object.values(HOST_ROWS).flat().length + Object.values(STACK_ROWS).flat().length;
    it(`has at least 250 rows (${rows})`, () => assert.ok(rows >= 250, String(rows)));

    for (const [group, cases] of Object.entries(HOST_ROWS)) {
        describe(group, () => {
            for (const c of cases) {
                it(`refuses ${c.name}`, () => {
                    const issues = findConfigIssues(c.config);
                    assert.equal(issues.length, 1, JSON.stringify(issues, null, 1));
                    assert.equal(issues[0]!.key, c.key);
                    assert.ok(matches(issues[0]!.message, c.message), `${issues[0]!.message}\n  does not match\n${String(c.message)}`);
                    assert.throws(() => validateDockerHostConfig("web-1", c.config), (err: unknown) => err instanceof DockerHostConfigError && err.message.includes(`  - ${c.key}: `));
                });
            }
        });
    }

    for (const [group, cases] of Object.entries(STACK_ROWS)) {
        describe(group, () => {
            for (const c of cases) {
                it(`refuses ${c.name}`, () => {
                    assert.throws(
                        () => readStackConfig(c.raw, readFile),
                        (err: unknown) => {
                            assert.ok(err instanceof StackConfigError, String(err));
                            const found = err.issues.filter((i) => i.key === c.key);
                            assert.ok(found.some((i) => matches(i.message, c.message)), `no ${c.key} matching ${String(c.message)} in\n${err.message}`);
                            // Once: a value every host shares is reported where it is written, not per host.
                            const forSome = err.issues.filter((i) => i.key.startsWith(`${c.key} (for `));
                            assert.equal(found.length + forSome.length, 1, `${c.key} more than once in\n${err.message}`);
                            return true;
                        },
                    );
                });
            }
        });
    }

    it("every message ends a sentence, and names a fix or the known keys", () => {
        const all = Object.values(HOST_ROWS).flat().flatMap((c) => findConfigIssues(c.config));
        for (const issue of all) {
            assert.match(issue.message, /\.$/, issue.message);
            assert.match(issue.message, /Fix: |Known here: /, issue.message);
        }
    });
});

describe("accepted near misses", () => {
    const ok = (config: unknown) => assert.deepEqual(findConfigIssues(config), []);
    it("loopback listeners: 127.0.0.0/8, ::1, its IPv4-mapped form, and localhost", () => {
        for (const h of ["tcp://127.0.0.1:2375", "tcp://127.1.2.3:2375", "tcp://[::1]:2375", "tcp://[0:0:0:0:0:0:0:1]:2375", "tcp://[::ffff:127.0.0.1]:2375", "tcp://localhost:2375"]) {
            ok(daemon({ hosts: [LOCAL, h] }));
            assert.deepEqual(parseListener(h), { kind: "tcp", loopback: true, name: false });
        }
    });
    it("data-roots and mount points below system directories that hold nothing of the host", () => {
        ok(daemon({ dataRoot: "/var/lib/docker" }));
        ok(daemon({ dataRoot: "/var/lib/docker/" }));
        ok(daemon({ dataRoot: "/srv/docker" }));
        ok(daemon({ dataRoot: "/home/docker" }));
        ok(daemon({ dataRoot: "/var/lib/containers-docker" }));
        ok(daemon({ dataRoot: "/var/lib/docker-data" }));
        ok(disk({ mountPoint: "/mnt/ssd" }));
        ok(disk({ mountPoint: "/srv/ssd", filesystem: "ext4" }));
    });
    it("every documented key with a value of its type, including Engine 28 and 29 keys", () => {
        ok(extra({ "allow-direct-routing": true, "firewall-backend": "nftables", "bridge-accept-fwmark": "0x1/0x1", bip6: "fd00::1/64", "host-gateway-ips": ["192.0.2.1"] }));
        ok(extra({ mtu: 1450, "log-level": "warn", "exec-opts": ["native.cgroupdriver=systemd"], "default-ulimits": { nofile: { Name: "nofile", Soft: 1024, Hard: 2048 } }, proxies: { "http-proxy": "http://proxy:3128" } }));
    });
    it("an insecure registry on an IPv6 address with a port, and IPv6 metrics and TLS addresses", () => {
        ok(daemon({ insecureRegistries: ["[fd00::5]:5000"], metricsAddress: "[::1]:9323" }));
        ok(host({ tlsCertificates: CERTS, tlsListenAddress: "[::]:2376" }));
    });
    it("the same address behind different bastions, and on different ports", () => {
        readStackConfig(two({ host: "10.0.0.5", bastion: { host: "jump-a" } }, { host: "10.0.0.5", bastion: { host: "jump-b" } }), readFile);
        readStackConfig(two({ host: "10.0.0.5", port: 22 }, { host: "10.0.0.5", port: 2222 }), readFile);
    });
});

// --- Properties --------------------------------------------------------------------------------------

/** A configuration that passes, touching every part a mutation may break. */
const VALID: DockerHostConfig = {
    connection: { host: "10.0.0.5", port: 22, user: "deploy", privateKey: KEY, hostKey: HOST_KEY, bastion: { host: "10.0.0.1", user: "jump" } },
    dataDisk: { device: "/dev/vdb", filesystem: "xfs", mountPoint: "/data" },
    daemon: {
        dataRoot: "/data/docker",
        registryMirrors: ["https://mirror.example.com"],
        insecureRegistries: ["registry.local:5000"],
        hosts: [LOCAL, "tcp://127.0.0.1:2375"],
        dns: ["10.0.0.2"],
        logMaxSize: "10m",
        labels: ["env=prod"],
        features: { buildkit: true },
        extra: { "log-level": "info", mtu: 1450 },
    },
    prune: { schedule: "weekly", olderThan: "24h" },
    lockTimeoutSeconds: 600,
};

/** Where a mutation lands: existing keys, list items, and keys that do not exist yet. */
const PATHS: readonly (readonly (string | number)[])[] = [
    [], ["connection"], ["connection", "host"], ["connection", "port"], ["connection", "user"], ["connection", "privateKey"], ["connection", "hostKey"],
    ["connection", "bastion"], ["connection", "bastion", "host"], ["connection", "bastion", "port"], ["connection", "bastion", "user"], ["connection", "bastion", "privateKey"],
    ["dataDisk"], ["dataDisk", "device"], ["dataDisk", "mountPoint"], ["dataDisk", "filesystem"],
    ["daemon"], ["daemon", "dataRoot"], ["daemon", "hosts"], ["daemon", "hosts", 1], ["daemon", "registryMirrors", 0], ["daemon", "insecureRegistries", 0], ["daemon", "dns", 0],
    ["daemon", "logMaxSize"], ["daemon", "logDriver"], ["daemon", "labels", 0], ["daemon", "features"], ["daemon", "usernsRemap"], ["daemon", "defaultAddressPools"],
    ["daemon", "tlsVerify"], ["daemon", "tlsCaCertPath"], ["daemon", "extra"], ["daemon", "extra", "log-level"], ["daemon", "extra", "mtu"], ["daemon", "extra", "exec-opts"],
    ["daemon", "extra", "proxies"], ["daemon", "extra", "default-ulimits"], ["daemon", "extra", "runtimes"],
    ["prune"], ["prune", "schedule"], ["prune", "olderThan"], ["prune", "keepLabel"], ["tlsCertificates"], ["tlsListenAddress"],
    ["allowInsecureTcp"], ["dockerReadyTimeoutSeconds"], ["lockTimeoutSeconds"], ["detectDrift"],
];

/** Values that are known to be tricky, next to random JSON. */
const NASTY = fc.constantFrom<unknown>(
    NaN, Infinity, -Infinity, -0, 0, 1.5, 2 ** 53, -1, 65536, null, undefined, true, "", " ", "\n", "a\u0000b", "x\ny=1", "$(reboot)", "' ; rm -rf / '",
    "/", "/etc", "/var/lib/docker/x", "/data/docker", "/dev/vdb", "tcp://0.0.0.0:2375", "tcp://127.evil.example:2375", "unix:///var/run/docker.sock",
    "https://mirror.example.com", "10.0.0.5", "::1", "fe80::1%eth0", "constructor", "__proto__", "toString", [], {}, [null], { constructor: 1 }, ["a", 1],
);
const VALUE = fc.oneof(fc.jsonValue(), NASTY, fc.string({ unit: "binary", maxLength: 40 }), fc.dictionary(fc.constantFrom(...DOCUMENTED_DAEMON_KEYS, "x", "graph"), fc.jsonValue()));
const MUTATION = fc.tuple(fc.constantFrom(...PATHS), fc.oneof(fc.constant<string | undefined>(undefined), fc.constantFrom(...DOCUMENTED_DAEMON_KEYS), fc.string({ maxLength: 8 })), VALUE);

/** A deep copy of value with `value` set at path (created as needed; undefined deletes the key). A key that
 *  is no array index (say "length") turns an array into an object with its entries: an array cannot hold it. */
function setAt(root: unknown, path: readonly (string | number)[], value: unknown): unknown {
    if (path.length === 0) return value;
    const [head, ...rest] = path;
    const index = typeof head === "number" || /^(0|[1-9]\d*)$/.test(String(head));
    const container = (Array.isArray(root) && index ? [...(root as unknown[])] : root && typeof root === "object" ? { ...(root as object) } : {}) as Record<string | number, unknown>;
    const next = setAt(container[head!], rest, value);
    if (next === undefined) delete container[head!];
    else Object.defineProperty(container, head!, { value: next, enumerable: true, writable: true, configurable: true });
    return container;
}

const CONTROL = /[\u0000-\u001f\u007f]/;
/** lib.sh's require_safe_path. */
const SCRIPT_SAFE_PATH = (p: string) => /^\/[A-Za-z0-9._@+/-]*$/.test(p) && !p.includes("/../") && !p.endsWith("/..");

/** What the host scripts assume of a plan; throws when the plan breaks it. */
function assertSafePlan(config: DockerHostConfig): void {
    const steps = planConfig(config);
    for (const step of steps) {
        if (step.name === "apply") {
            const json = JSON.parse(step.stdin!) as Record<string, unknown>;
            const strings: string[] = [];
            const walk = (v: unknown): void => {
                if (typeof v === "string") strings.push(v);
                else if (Array.isArray(v)) v.forEach(walk);
                else if (v && typeof v === "object") for (const [k, x] of Object.entries(v)) (strings.push(k), walk(x));
            };
            walk(json);
            for (const text of strings) assert.ok(!CONTROL.test(text), `control character in daemon.json: ${JSON.stringify(text)}`);
            if (typeof json["data-root"] === "string") assert.ok(SCRIPT_SAFE_PATH(json["data-root"]), `data-root ${json["data-root"]}`);
            for (const h of (json.hosts as string[] | undefined) ?? []) assert.ok(parseListener(h), `listener ${h}`);
            for (const key of Object.keys(json)) assert.ok(Object.hasOwn(DAEMON_KEYS, key), `undocumented key ${key}`);
        } else if (step.name === "tls") {
            assert.equal(step.stdin, undefined, "the plan holds no TLS material");
        } else {
            for (const line of step.stdin!.split("\n").filter(Boolean)) {
                assert.match(line, /^[A-Z_]+=[^\u0000-\u001f\u007f]*$/, line);
                const [k, v] = [line.slice(0, line.indexOf("=")), line.slice(line.indexOf("=") + 1)];
                if (k === "MOUNT_POINT" || k === "DEVICE") assert.ok(SCRIPT_SAFE_PATH(v), line);
                if (k === "ENGINE_REQUIREMENTS") assert.match(v, /^([a-z0-9][a-z0-9-]*@[0-9]+\.[0-9]+\.[0-9]+( |$))*$/, line);
            }
        }
    }
}

/** Values near the edge of what each key accepts (many pass, many just fail), to test what passes. */
const pathLike = fc.oneof(
    fc.constantFrom("/", "/data", "/data/", "/data/docker", "/data/docker/", "/srv/ssd", "/var/lib/docker", "/var/lib/docker/x", "/var/lib/docker-host/x", "/tmp/x", "/mnt/ssd", "/home/docker", "/data/a b", "/data/$x", "/data/../x", "data"),
    fc.stringMatching(/^\/[a-z0-9._@+\/-]{0,16}$/),
);
const hostLike = fc.oneof(fc.ipV4(), fc.ipV6(), fc.domain(), fc.constantFrom("localhost", "127.evil.example", "10.0.0", "123", "fe80::1%eth0", "web_1", ""));
const listenerLike = fc.oneof(
    fc.constantFrom(LOCAL, "fd://", "unix:///run/x.sock", "tcp://0.0.0.0:2375", "tcp://:2375", "tcp://localhost:2375", "tcp://127.1:2375"),
    fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6().map((a) => `[${a}]`), fc.domain()), fc.integer({ min: 0, max: 70000 })).map(([h, p]) => `tcp://${h}:${p}`),
);
const anyJsonType = fc.oneof(fc.string({ maxLength: 12 }), fc.boolean(), fc.integer({ min: -3, max: 3000 }), fc.double(), fc.array(fc.string({ maxLength: 6 }), { maxLength: 3 }), fc.dictionary(fc.string({ maxLength: 6 }), fc.oneof(fc.string({ maxLength: 6 }), fc.boolean())));
const PLAUSIBLE: readonly (readonly [readonly (string | number)[], fc.Arbitrary<unknown>])[] = [
    [["connection", "host"], hostLike],
    [["connection", "port"], fc.integer({ min: -1, max: 70000 })],
    [["connection", "user"], fc.stringMatching(/^[a-zA-Z0-9_.@-]{0,10}$/)],
    [["connection", "bastion"], fc.option(fc.record({ host: hostLike, port: fc.integer({ min: 0, max: 70000 }) }, { requiredKeys: ["host"] }), { nil: undefined })],
    [["dataDisk"], fc.option(fc.record({ device: fc.constantFrom("/dev/vdb", "/dev/disk/by-id/x", "/dev/../etc", "vdb"), mountPoint: pathLike }, { requiredKeys: ["device"] }), { nil: undefined })],
    [["daemon", "dataRoot"], fc.option(pathLike, { nil: undefined })],
    [["daemon", "hosts"], fc.option(fc.array(listenerLike, { maxLength: 3 }), { nil: undefined })],
    [["daemon", "registryMirrors"], fc.array(fc.oneof(fc.webUrl(), fc.constantFrom("http://[fd00::5]:5000", "mirror.example.com")), { maxLength: 2 })],
    [["daemon", "insecureRegistries"], fc.array(fc.oneof(hostLike, fc.constantFrom("[fd00::5]:5000", "10.0.0.0/8", "r:99999")), { maxLength: 2 })],
    [["daemon", "dns"], fc.array(hostLike, { maxLength: 2 })],
    [["daemon", "logMaxSize"], fc.stringMatching(/^[0-9]{0,3}[kmgx]?$/)],
    [["daemon", "labels"], fc.array(fc.string({ maxLength: 10 }), { maxLength: 2 })],
    [["daemon", "metricsAddress"], fc.oneof(fc.constantFrom("127.0.0.1:9323", "[::1]:9323", "localhost:9323"), fc.string({ maxLength: 10 }))],
    [["daemon", "extra"], fc.dictionary(fc.constantFrom(...DOCUMENTED_DAEMON_KEYS), anyJsonType, { maxKeys: 3 })],
    [["prune"], fc.option(fc.record({ schedule: fc.string({ maxLength: 12 }), olderThan: fc.stringMatching(/^[0-9]{0,3}[hmsd]?$/), keepLabel: fc.string({ maxLength: 8 }) }, { requiredKeys: [] }), { nil: undefined })],
    [["tlsCertificates"], fc.option(fc.constant(CERTS), { nil: undefined })],
    [["tlsListenAddress"], fc.option(fc.oneof(fc.constantFrom("0.0.0.0:2376", "[::]:2376"), fc.string({ maxLength: 10 })), { nil: undefined })],
    [["lockTimeoutSeconds"], fc.option(fc.integer({ min: -1, max: 90000 }), { nil: undefined })],
    [["dockerReadyTimeoutSeconds"], fc.option(fc.integer({ min: 0, max: 4000 }), { nil: undefined })],
];
const PLAUSIBLE_MUTATION = fc.constantFrom(...PLAUSIBLE).chain(([path, value]) => value.map((v) => [path, v] as const));

describe("properties", () => {
    it("the valid base configuration passes and plans", () => {
        assert.deepEqual(findConfigIssues(VALID), []);
        assertSafePlan(VALID);
    });

    it("a random value at a random path never makes the validator throw; whatever passes plans safely", () => {
        fc.assert(
            fc.property(fc.array(MUTATION, { minLength: 1, maxLength: 3 }), (mutations) => {
                let config: unknown = VALID;
                for (const [path, leaf, value] of mutations) config = setAt(config, leaf === undefined ? path : [...path, leaf], value);
                const issues = findConfigIssues(config);
                assert.ok(Array.isArray(issues));
                for (const i of issues) assert.ok(typeof i.key === "string" && typeof i.message === "string" && i.message.length > 0);
                try {
                    validateDockerHostConfig("web-1", config);
                } catch (err) {
                    assert.ok(err instanceof DockerHostConfigError, String(err));
                    assert.ok(issues.length > 0);
                    return;
                }
                assert.equal(issues.length, 0);
                assertSafePlan(config as DockerHostConfig);
            }),
            { numRuns: 600 },
        );
    });

    it("a plausible value at any key: whatever passes plans safely (loopback, paths, control characters, keys)", () => {
        let accepted = 0;
        fc.assert(
            fc.property(fc.array(PLAUSIBLE_MUTATION, { minLength: 1, maxLength: 4 }), (mutations) => {
                let config: unknown = VALID;
                for (const [path, value] of mutations) config = setAt(config, path, value);
                if (findConfigIssues(config).length > 0) return;
                accepted++;
                assertSafePlan(config as DockerHostConfig);
            }),
            { numRuns: 600 },
        );
        assert.ok(accepted > 100, `only ${accepted} of 600 plausible configurations passed; the property tests too little`);
    });

    it("a random stack configuration is refused with StackConfigError only; what it accepts validates, plans, and names each machine once", () => {
        const base: RawStackConfig = {
            privateKey: KEY,
            defaults: { user: "deploy", daemon: { logMaxSize: "20m" } },
            registryCache: { host: "cache-1" },
            rollout: { batchSize: 2 },
            hosts: [
                { name: "cache-1", host: "10.0.0.20" },
                { name: "web-1", host: "10.0.0.5", dataDisk: { device: "/dev/vdb" } },
                { name: "web-2", host: "fd00::6", bastion: { host: "jump" } },
            ],
        };
        // Mostly values a stack file could hold at each key (addresses that may coincide, ports, entries),
        // some random JSON anywhere.
        const address = fc.oneof(fc.constantFrom("10.0.0.5", "10.0.0.20", "FD00::6", "fd00:0::6", "web.example.com", "WEB.example.com", "::ffff:10.0.0.5", "fe80::1%eth0"), hostLike);
        const port = fc.oneof(fc.constantFrom(22, 2222, 5000), fc.integer({ min: -1, max: 70000 }));
        const entry = fc.record({ name: fc.constantFrom("web-3", "web-1", "cache-1"), host: address, port }, { requiredKeys: ["name", "host"] });
        const stackMutations: readonly (readonly [readonly (string | number)[], fc.Arbitrary<unknown>])[] = [
            [["hosts", 0], entry], [["hosts", 3], entry], [["hosts", 4], entry],
            [["hosts", 0, "host"], address], [["hosts", 1, "host"], address], [["hosts", 2, "host"], address],
            [["hosts", 1, "port"], port], [["hosts", 2, "name"], fc.constantFrom("web-1", "web-9", "Web")],
            [["hosts", 1, "bastion"], fc.option(fc.record({ host: address, port }, { requiredKeys: ["host"] }), { nil: undefined })],
            [["hosts", 1, "daemon"], fc.record({ extra: fc.dictionary(fc.constantFrom(...DOCUMENTED_DAEMON_KEYS), anyJsonType, { maxKeys: 2 }), dataRoot: pathLike }, { requiredKeys: [] })],
            [["hosts", 1, "lockTimeoutSeconds"], fc.integer({ min: -1, max: 90000 })],
            [["defaults", "port"], fc.option(port, { nil: undefined })],
            [["defaults", "bastion"], fc.option(fc.record({ host: address }), { nil: undefined })],
            [["registryCache"], fc.option(fc.record({ host: fc.constantFrom("cache-1", "web-1", "web-2", "nope"), port }, { requiredKeys: ["host"] }), { nil: undefined })],
            [["registryCache", "port"], port],
            [["registryCache", "upstreamUrl"], fc.oneof(fc.webUrl(), fc.constantFrom("https://registry.example.com:5000"))],
            [["rollout", "batchSize"], fc.integer({ min: -1, max: 5 })],
        ];
        const anyPath: fc.Arbitrary<readonly (string | number)[]> = fc.constantFrom(["hosts"], ["hosts", 0], ["defaults"], ["defaults", "daemon"], ["registryCache", "host"], ["rollout"], ["hosts", 2, "bastion"]);
        const mutation = fc.oneof(
            { weight: 4, arbitrary: fc.constantFrom(...stackMutations).chain(([path, value]) => value.map((v) => [path, v] as const)) },
            { weight: 1, arbitrary: fc.tuple(anyPath, VALUE) },
        );
        let accepted = 0;
        fc.assert(
            fc.property(fc.array(mutation, { minLength: 1, maxLength: 3 }), (mutations) => {
                let raw: unknown = base;
                for (const [path, value] of mutations) raw = setAt(raw, path, value);
                let result;
                try {
                    result = readStackConfig(raw as RawStackConfig, readFile);
                } catch (err) {
                    assert.ok(err instanceof StackConfigError, String(err));
                    return;
                }
                const machines = new Set<string>();
                for (const h of result.hosts) {
                    assert.deepEqual(findConfigIssues(h.config), []);
                    assertSafePlan(h.config);
                    const key = machineKey(h.config.connection);
                    assert.ok(!machines.has(key), `two entries reach ${key}`);
                    machines.add(key);
                }
                if (result.registryCache) assert.doesNotThrow(() => new URL(result.registryCache!.mirrorUrl));
                accepted++;
            }),
            { numRuns: 500 },
        );
        assert.ok(accepted > 50, `only ${accepted} of 500 stack configurations passed; the property tests too little`);
    });
});
