// Checks of a host's settings outside daemon.json: the data disk, scheduled pruning and the TLS material
// (after the schema checked their types).
import { DockerHostConfig } from "../args";
import { DEFAULT_MOUNT_POINT } from "../daemonSettings";
import { AddIssue, checkAbsolutePath, describeValue, isDevicePath, isHostPort } from "./common";
import { mountPointProblem } from "./paths";

/** Checks dataDisk; returns where the disk will be mounted (undefined without a disk). */
export function dataDiskIssues(disk: DockerHostConfig["dataDisk"], add: AddIssue): string | undefined {
    if (!disk) return undefined;
    if (!isDevicePath(disk.device)) {
        add("dataDisk.device", `${describeValue(disk.device)} is not a device path. Fix: use a path under /dev, e.g. "/dev/vdb" or "/dev/disk/by-id/nvme-…".`);
    }
    const mountPoint = disk.mountPoint ?? DEFAULT_MOUNT_POINT;
    if (checkAbsolutePath(add, "dataDisk.mountPoint", mountPoint)) {
        const problem = mountPointProblem(mountPoint);
        if (problem) add("dataDisk.mountPoint", problem);
    }
    return mountPoint;
}

export function pruneIssues(prune: DockerHostConfig["prune"], add: AddIssue): void {
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

/** Checks tlsCertificates and tlsListenAddress, and that daemon.tls* do not set the same thing twice. */
export function tlsIssues(config: Pick<DockerHostConfig, "tlsCertificates" | "tlsListenAddress" | "daemon">, add: AddIssue): void {
    const tls = config.tlsCertificates;
    if (tls) {
        if (!/-----BEGIN CERTIFICATE-----/.test(tls.caCertPem)) add("tlsCertificates.caCertPem", "is not a PEM certificate. Fix: pass the CA certificate's PEM text.");
        if (!/-----BEGIN CERTIFICATE-----/.test(tls.serverCertPem)) add("tlsCertificates.serverCertPem", "is not a PEM certificate. Fix: pass the server certificate's PEM text.");
        if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(tls.serverKeyPem)) add("tlsCertificates.serverKeyPem", "is not a PEM private key. Fix: pass the server key's PEM text (as a secret).");
        for (const k of ["tls", "tlsVerify", "tlsCaCertPath", "tlsCertPath", "tlsKeyPath"] as const) {
            if (config.daemon?.[k] !== undefined) add(`daemon.${k}`, `is set by tlsCertificates. Fix: remove daemon.${k}.`);
        }
    }
    if (config.tlsListenAddress !== undefined) {
        if (!tls) add("tlsListenAddress", "has no effect without tlsCertificates. Fix: add tlsCertificates or remove it.");
        else if (!isHostPort(config.tlsListenAddress)) add("tlsListenAddress", `${describeValue(config.tlsListenAddress)} is not ip:port. Fix: use e.g. "0.0.0.0:2376".`);
    }
}
