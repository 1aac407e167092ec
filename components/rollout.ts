// Rolling changes across hosts: hosts are split into batches; a batch starts only after every host of the
// previous batch applied and verified its change, so one bad setting never takes a whole environment down.

/** Splits items into consecutive batches of at most `batchSize` (order kept). */
export function rolloutBatches<T>(items: readonly T[], batchSize: number): T[][] {
    if (!Number.isInteger(batchSize) || batchSize < 1) {
        throw new Error(`rollout.batchSize must be a whole number ≥ 1, got ${JSON.stringify(batchSize)}`);
    }
    const batches: T[][] = [];
    for (let i = 0; i < items.length; i += batchSize) batches.push(items.slice(i, i + batchSize));
    return batches;
}
