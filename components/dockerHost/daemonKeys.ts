// dockerd's daemon.json keys on Linux: the JSON type of each, and the Engine release that introduced it when
// that is newer than 20.10 (Debian 12's docker.io is 20.10.24). The one list of documented keys: the
// validator accepts `daemon.extra` keys from it and type-checks their values, and the gate refuses a host
// whose dockerd is older than a key it will find in daemon.json (engineRequirements).
//
// Source: the dockerd reference of Engine 29.7 ("Daemon configuration file", docker/cli
// docs/reference/dockerd.md: the Linux example, the daemon.json keys named in the text, and the flags,
// whose names are the keys), with types and introducing releases from moby's daemon/config at each release
// tag (v20.10.24 … docker-v29.7.2). Keys of the 20.10 reference that later releases dropped are kept: they
// are valid on the Engine most hosts run; a newer dockerd names them in the apply step's
// `dockerd --validate` (Engine 23+) before anything changes.
import { DaemonSettings, SETTINGS } from "./daemonSettings";

/** JSON types dockerd decodes daemon.json values into (the Go field's type); another type stops it from
 *  starting ("json: cannot unmarshal …"). */
export const DAEMON_JSON_TYPES = {
    string: "a string",
    boolean: "true or false",
    integer: "a whole number",
    "string array": "a list of strings",
    "object of strings": "an object whose values are strings",
    "object of booleans": "an object whose values are true or false",
    object: "an object",
    "array of objects": "a list of objects",
} as const;
export type DaemonJsonType = keyof typeof DAEMON_JSON_TYPES;

/** An Engine release, major.minor.patch (e.g. "28.2.0"). */
export type EngineVersion = `${number}.${number}.${number}`;

/** One documented daemon.json key. */
export interface DaemonKeySpec {
    /** The JSON type of its value. */
    readonly type: DaemonJsonType;
    /** The Engine release that introduced the key.
     *  @default - Engine 20.10 has it */
    readonly since?: EngineVersion;
}

/** Every documented Linux daemon.json key, sorted. */
export const DAEMON_KEYS: Readonly<Record<string, DaemonKeySpec>> = {
    "allow-direct-routing": { type: "boolean", since: "28.2.0" },
    "allow-nondistributable-artifacts": { type: "string array" }, // deprecated in 28.0, ignored from 29.0
    "api-cors-header": { type: "string" }, // refused from 28.0 (removed)
    "authorization-plugins": { type: "string array" },
    bip: { type: "string" },
    bip6: { type: "string", since: "28.0.0" },
    bridge: { type: "string" },
    "bridge-accept-fwmark": { type: "string", since: "29.0.0" },
    builder: { type: "object" },
    "cdi-spec-dirs": { type: "string array", since: "25.0.0" },
    "cgroup-parent": { type: "string" },
    containerd: { type: "string" },
    "containerd-namespace": { type: "string" },
    "containerd-plugins-namespace": { type: "string" },
    "cpu-rt-period": { type: "integer" },
    "cpu-rt-runtime": { type: "integer" },
    "cri-containerd": { type: "boolean" },
    "data-root": { type: "string" },
    debug: { type: "boolean" },
    "default-address-pools": { type: "array of objects" },
    "default-cgroupns-mode": { type: "string" },
    "default-gateway": { type: "string" },
    "default-gateway-v6": { type: "string" },
    "default-ipc-mode": { type: "string" },
    "default-network-opts": { type: "object", since: "24.0.0" },
    "default-runtime": { type: "string" },
    "default-shm-size": { type: "string" }, // a size such as "64M"; dockerd refuses a bare number
    "default-ulimits": { type: "object" },
    dns: { type: "string array" },
    "dns-opts": { type: "string array" },
    "dns-search": { type: "string array" },
    "exec-opts": { type: "string array" },
    "exec-root": { type: "string" },
    experimental: { type: "boolean" },
    features: { type: "object of booleans" },
    "firewall-backend": { type: "string", since: "29.0.0" },
    "fixed-cidr": { type: "string" },
    "fixed-cidr-v6": { type: "string" },
    group: { type: "string" },
    "host-gateway-ip": { type: "string" },
    "host-gateway-ips": { type: "string array", since: "28.0.0" },
    hosts: { type: "string array" },
    icc: { type: "boolean" },
    init: { type: "boolean" },
    "init-path": { type: "string" },
    "insecure-registries": { type: "string array" },
    ip: { type: "string" },
    "ip-forward": { type: "boolean" },
    "ip-forward-no-drop": { type: "boolean", since: "28.0.0" },
    "ip-masq": { type: "boolean" },
    ip6tables: { type: "boolean" },
    iptables: { type: "boolean" },
    ipv6: { type: "boolean" },
    labels: { type: "string array" },
    "live-restore": { type: "boolean" },
    "log-driver": { type: "string" },
    "log-format": { type: "string", since: "25.0.0" },
    "log-level": { type: "string" },
    "log-opts": { type: "object of strings" }, // even max-file is a string here
    "max-concurrent-downloads": { type: "integer" },
    "max-concurrent-uploads": { type: "integer" },
    "max-download-attempts": { type: "integer" },
    "metrics-addr": { type: "string" },
    mtu: { type: "integer" },
    "network-control-plane-mtu": { type: "integer" },
    "no-new-privileges": { type: "boolean" },
    "node-generic-resources": { type: "string array" },
    "oom-score-adjust": { type: "integer" }, // refused from 25.0 (removed)
    pidfile: { type: "string" },
    proxies: { type: "object of strings", since: "23.0.0" },
    "raw-logs": { type: "boolean" },
    "registry-mirrors": { type: "string array" },
    rootless: { type: "boolean" },
    runtimes: { type: "object" },
    "seccomp-profile": { type: "string" },
    "selinux-enabled": { type: "boolean" },
    "shutdown-timeout": { type: "integer" },
    "storage-driver": { type: "string" },
    "storage-opts": { type: "string array" },
    "swarm-default-advertise-addr": { type: "string" },
    tls: { type: "boolean" },
    tlscacert: { type: "string" },
    tlscert: { type: "string" },
    tlskey: { type: "string" },
    tlsverify: { type: "boolean" },
    "userland-proxy": { type: "boolean" },
    "userland-proxy-path": { type: "string" },
    "userns-remap": { type: "string" },
};

/** The documented keys, sorted (the "did you mean" candidates for `daemon.extra`). */
export const DOCUMENTED_DAEMON_KEYS: readonly string[] = Object.keys(DAEMON_KEYS);

/** The spec of a documented key; undefined for anything else (including "constructor" and the like). */
export function daemonKeySpec(key: string): DaemonKeySpec | undefined {
    return Object.hasOwn(DAEMON_KEYS, key) ? DAEMON_KEYS[key] : undefined;
}

/** A daemon.json key that needs an Engine newer than 20.10. */
export interface EngineRequirement {
    /** The daemon.json key. */
    readonly key: string;
    /** The Engine release that introduced it. */
    readonly since: EngineVersion;
}

/**
 * The keys of the daemon.json these settings render to that need an Engine newer than 20.10, sorted by key.
 * Pass the effective settings (effectiveDaemonSettings), so defaults and TLS keys count too.
 */
export function engineRequirements(settings: DaemonSettings): EngineRequirement[] {
    const keys = new Set(Object.keys(settings.extra ?? {}));
    for (const s of SETTINGS) {
        if (s.setting !== "extra" && settings[s.setting] !== undefined) keys.add(s.daemonKey);
    }
    return [...keys].sort().flatMap((key) => {
        const since = daemonKeySpec(key)?.since;
        return since ? [{ key, since }] : [];
    });
}

/**
 * The gate's ENGINE_REQUIREMENTS value: "key@version" words separated by one space ("" when none), e.g.
 * "allow-direct-routing@28.2.0 firewall-backend@29.0.0". gate.sh reads exactly this shape and refuses
 * anything else; throws if a word would not match it.
 */
export function formatEngineRequirements(requirements: readonly EngineRequirement[]): string {
    return requirements
        .map(({ key, since }) => {
            const word = `${key}@${since}`;
            if (!/^[a-z0-9][a-z0-9-]*@[0-9]+\.[0-9]+\.[0-9]+$/.test(word)) throw new Error(`engine requirement ${JSON.stringify(word)} is not key@major.minor.patch`);
            return word;
        })
        .join(" ");
}
