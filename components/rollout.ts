// Rollout strategies, the pure side: which hosts change together. Hosts are split into batches in stack order;
// a batch starts only after every host of the previous batch applied and verified its change (the engine side
// is rolloutGate.ts), so one bad setting never takes a whole environment down.
//
// docker-host:rollout.batches is a host count, a percentage of the stack's hosts, or a list of them, canary
// first: [1, 5, "25%"] changes one host, then five, then a quarter of the stack at a time; the last entry
// repeats for the remaining hosts (as Ansible's `serial`). A percentage is of the stack's host count, rounded
// down, at least 1 (as Ansible's): "50%" of 3 hosts is 1 host, so [1, "50%"] on 3 hosts changes one host at a
// time and never more than asked for.
import { describeValue } from "./dockerHost/validate/common";

/** One entry of docker-host:rollout.batches: a host count (≥ 1), or a percentage of the stack's hosts ("25%"). */
export type BatchSize = number | `${number}%`;

/** docker-host:rollout, resolved. */
export interface RolloutStrategy {
    /** Batch sizes in order, canary first; the last one repeats for the remaining hosts.
     *  @default [1] - one host at a time */
    readonly batches: readonly BatchSize[];
    /** How many hosts may fail before the rollout stops: the batch after the one where failures exceed it
     *  never starts. Needs `pulumi up --continue-on-error` to go past a failure at all (npm start passes it).
     *  @default 0 - the first failed host stops the rollout */
    readonly failureBudget: number;
}

export const ROLLOUT_DEFAULTS: RolloutStrategy = { batches: [1], failureBudget: 0 };

const PERCENTAGE = /^([0-9]{1,3}(?:\.[0-9]+)?)%$/;

/** Why `value` is not a batch size, as "<what is wrong>. Fix: …"; undefined when it is one. */
export function batchSizeProblem(value: unknown): string | undefined {
    if (typeof value === "number") {
        return Number.isInteger(value) && value >= 1 ? undefined : `${describeValue(value)} is not a whole number ≥ 1. Fix: e.g. 1 (one host at a time), or a percentage such as "25%".`;
    }
    if (typeof value === "string") {
        const match = PERCENTAGE.exec(value);
        if (!match) {
            const hint = /^[0-9]+$/.test(value) ? ` Fix: write ${value} without quotes for ${value} hosts, or "${value}%" for a share of the stack's hosts.` : ' Fix: a host count such as 5, or a percentage such as "25%".';
            return `${JSON.stringify(value)} is neither a host count nor a percentage.${hint}`;
        }
        const percent = Number(match[1]);
        return percent > 0 && percent <= 100 ? undefined : `${JSON.stringify(value)} is not a percentage from above 0 to 100. Fix: e.g. "25%".`;
    }
    return `expected a host count or a percentage, got ${describeValue(value)}. Fix: e.g. 1, or "25%".`;
}

/** The hosts one entry stands for in a stack of `hostCount` hosts: a percentage rounded down, at least 1. */
export function batchSizeOf(entry: BatchSize, hostCount: number): number {
    if (typeof entry === "number") return entry;
    const percent = Number(entry.slice(0, -1));
    // The epsilon keeps a share that is whole on paper whole in floating point (e.g. 29% of 100).
    return Math.max(1, Math.floor((percent * hostCount) / 100 + 1e-9));
}

/**
 * The sizes of the batches of a stack of `hostCount` hosts: the entries in order, the last one repeated
 * until every host has a batch; the last batch holds what remains. Entries beyond the hosts are unused.
 */
export function batchSizes(hostCount: number, batches: readonly BatchSize[] | number): number[] {
    const entries = typeof batches === "number" ? [batches] : batches;
    const problem = entries.length === 0 ? "lists no batch" : entries.map(batchSizeProblem).find((p) => p !== undefined);
    if (problem) throw new Error(`rollout batches: ${problem}`);
    const sizes: number[] = [];
    for (let placed = 0, i = 0; placed < hostCount; i++) {
        const size = Math.min(batchSizeOf(entries[Math.min(i, entries.length - 1)]!, hostCount), hostCount - placed);
        sizes.push(size);
        placed += size;
    }
    return sizes;
}

/** Splits items into consecutive batches (order kept): a batch size for every batch (see batchSizes), or
 *  one size for all. */
export function rolloutBatches<T>(items: readonly T[], batches: readonly BatchSize[] | number): T[][] {
    let start = 0;
    return batchSizes(items.length, batches).map((size) => items.slice(start, (start += size)));
}

/** How a rollout message shows a batch list: [1, 5, "25%"]. */
export function formatBatches(batches: readonly BatchSize[]): string {
    return `[${batches.map((b) => JSON.stringify(b)).join(", ")}]`;
}
