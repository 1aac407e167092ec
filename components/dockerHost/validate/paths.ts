// Where Docker's data may live: the system directories refused as data-root and as the data disk's mount
// point. A data-root shares its directory with whatever is there (dockerd creates and empties its own
// sub-directories, such as tmp, at every start); a mount hides what was there. The host script also checks
// the real live root and symlinks; this is the part that needs no host.
import { HOST_PATHS } from "../hostConstants";
import { trimSlash } from "../values";
import { isAtOrUnder } from "./common";

/** Docker's default data-root, the live root of a host docker-host has not moved yet. */
const DEFAULT_DATA_ROOT = HOST_PATHS.defaultDataRoot;

/** Directories that hold the host's own files; refused themselves (a dedicated directory below is fine). */
const SYSTEM_DIRECTORIES: readonly string[] = [
    "/", "/bin", "/boot", "/dev", "/etc", "/home", "/lib", "/lib64", "/media", "/mnt", "/opt", "/proc", "/root",
    "/run", "/sbin", "/srv", "/sys", "/tmp", "/usr", "/var", "/var/lib", "/var/log",
];

/** Trees where no Docker data belongs, at any depth, and what they are. */
const SYSTEM_TREES: readonly (readonly [tree: string, what: string])[] = [
    ["/proc", "the kernel's virtual filesystem, not storage"],
    ["/sys", "the kernel's virtual filesystem, not storage"],
    ["/dev", "the device nodes' filesystem, not storage"],
    ["/run", "a tmpfs, emptied at every boot"],
    ["/tmp", "the temporary files' directory, emptied at boot and by systemd-tmpfiles"],
    ["/boot", "the boot loader's and kernels' directory"],
    ["/etc", "the host's configuration directory"],
    ["/usr", "the host's installed software"],
    [HOST_PATHS.stateDir, "docker-host's own state, the backups of the host's original files among it"],
];

/** What the tree `p` is at or under is: "a tmpfs, …" or "under /run, a tmpfs, …". */
function inSystemTree(p: string): string | undefined {
    const tree = SYSTEM_TREES.find(([t]) => isAtOrUnder(p, t));
    return tree && (p === tree[0] ? tree[1] : `under ${tree[0]}, ${tree[1]}`);
}

/** Why `path` (plain and absolute) must not be Docker's data-root, or undefined when it may be. */
export function dataRootProblem(path: string): string | undefined {
    const p = trimSlash(path);
    const tree = inSystemTree(p);
    if (tree) return `${JSON.stringify(path)} is ${tree}; Docker's images, containers and volumes do not belong there. Fix: use a dedicated directory such as "/data/docker".`;
    if (SYSTEM_DIRECTORIES.includes(p)) {
        return `${JSON.stringify(path)} is a system directory; as data-root, Docker's files would mix with the host's own (dockerd creates and empties sub-directories such as tmp there). Fix: use a dedicated directory such as "/data/docker".`;
    }
    if (p !== DEFAULT_DATA_ROOT && isAtOrUnder(p, DEFAULT_DATA_ROOT)) {
        return `${JSON.stringify(path)} is inside Docker's default data-root ${DEFAULT_DATA_ROOT}, the live root until it is moved; moving into it would copy the root into itself. Fix: use a directory outside it, such as "/data/docker" (or ${DEFAULT_DATA_ROOT} itself).`;
    }
    return undefined;
}

/** Why the data disk must not be mounted at `path` (plain and absolute), or undefined when it may be. */
export function mountPointProblem(path: string): string | undefined {
    const p = trimSlash(path);
    if (SYSTEM_DIRECTORIES.includes(p)) {
        return `${JSON.stringify(path)} is a system directory; mounting over it would hide the host's own files. Fix: use a dedicated directory such as "/data".`;
    }
    const tree = inSystemTree(p);
    if (tree) return `${JSON.stringify(path)} is ${tree}; a data disk does not belong there. Fix: use a dedicated directory such as "/data".`;
    if (isAtOrUnder(p, DEFAULT_DATA_ROOT)) {
        return `${JSON.stringify(path)} is ${p === DEFAULT_DATA_ROOT ? "" : "inside "}Docker's default data-root ${DEFAULT_DATA_ROOT}; mounting the disk there would hide Docker's current images, containers and volumes. Fix: use a dedicated directory such as "/data".`;
    }
    return undefined;
}
