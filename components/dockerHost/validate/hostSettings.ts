// Checks of a host's settings outside daemon.json (the data disk, scheduled pruning, the TLS socket's address)
// and of the TLS material (the PEMs' shape, then tlsMaterial.ts on the real PEMs), after the schema checked
// their types.
import { DATA_DISK_DEFAULTS, HostSettings, Resolved, TlsCertificates } from "../args";
import { tlsMaterialIssues } from "../tlsMaterial";
import { AddIssue, checkAbsolutePath, describeValue, isDevicePath, isHostPort } from "./common";
import { mountPointProblem } from "./paths";

/** Checks dataDisk; returns where the disk will be mounted (undefined without a disk). */
export function dataDiskIssues(disk: HostSettings["dataDisk"], add: AddIssue): string | undefined {
    if (!disk) return undefined;
    if (!isDevicePath(disk.device)) {
        add("dataDisk.device", `${describeValue(disk.device)} is not a device path. Fix: use a path under /dev, e.g. "/dev/vdb" or "/dev/disk/by-id/nvme-…".`);
    }
    const mountPoint = disk.mountPoint ?? DATA_DISK_DEFAULTS.mountPoint;
    if (checkAbsolutePath(add, "dataDisk.mountPoint", mountPoint)) {
        const problem = mountPointProblem(mountPoint);
        if (problem) add("dataDisk.mountPoint", problem);
    }
    return mountPoint;
}

export function pruneIssues(prune: HostSettings["prune"], add: AddIssue): void {
    if (prune?.schedule !== undefined && !/^[A-Za-z0-9*:/,.~ -]+$/.test(prune.schedule)) {
        add("prune.schedule", `${describeValue(prune.schedule)} is not a systemd calendar expression. Fix: use e.g. "weekly" or "Sun *-*-* 03:00".`);
    }
    if (prune?.olderThan !== undefined && !/^([0-9]+[hms])+$/.test(prune.olderThan)) {
        add("prune.olderThan", `${describeValue(prune.olderThan)} is not a duration. Fix: use hours, minutes or seconds, e.g. "168h".`);
    }
    if (prune?.keepLabel !== undefined && !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(prune.keepLabel)) {
        add("prune.keepLabel", `${describeValue(prune.keepLabel)} is not a label key. Fix: use e.g. "docker-host.keep".`);
    }
}

/** Checks tlsListenAddress, which means something only with tlsCertificates. */
export function tlsListenAddressIssues(address: string | undefined, tls: boolean, add: AddIssue): void {
    if (address === undefined) return;
    if (!tls) add("tlsListenAddress", "has no effect without tlsCertificates. Fix: add tlsCertificates or remove it.");
    else if (!isHostPort(address)) add("tlsListenAddress", `${describeValue(address)} is not ip:port. Fix: use e.g. "0.0.0.0:2376".`);
}

/** What each PEM must start with, and the fix when it does not. */
const PEM_MARKERS = [
    ["caCertPem", /-----BEGIN CERTIFICATE-----/, "is not a PEM certificate. Fix: pass the CA certificate's PEM text."],
    ["serverCertPem", /-----BEGIN CERTIFICATE-----/, "is not a PEM certificate. Fix: pass the server certificate's PEM text."],
    ["serverKeyPem", /-----BEGIN [A-Z ]*PRIVATE KEY-----/, "is not a PEM private key. Fix: pass the server key's PEM text (as a secret)."],
] as const;

/**
 * Checks the TLS material: each value a PEM of the right kind, then (when all three are) what the PEMs
 * hold (tlsMaterialIssues): a key of the server certificate, a server certificate the CA signed, a CA that is
 * one, all valid `now`. Never quotes them.
 */
export function tlsCertificatesIssues(tls: Resolved<TlsCertificates>, add: AddIssue, now?: Date): void {
    const notPem = PEM_MARKERS.filter(([field, marker]) => !marker.test(tls[field]));
    notPem.forEach(([field, , message]) => add(`tlsCertificates.${field}`, message));
    if (notPem.length === 0) tlsMaterialIssues(tls, now).forEach((issue) => add(issue.key, issue.message));
}
