// Rollout strategies, the engine side: each batch's hosts are registered behind a gate that waits for the
// outcome of every host of the batch before (rollout.ts splits the batches). A host succeeded when every one of
// its resources did; under `pulumi up --continue-on-error` the engine reports a failed or skipped resource to
// the program, whose URN then rejects (Node SDK ≥ 3.270), and goes on with everything that does not depend on
// it. So a batch depends only on the hosts of the batch before that succeeded (a dependency on a failed one
// would make the engine skip it), and the gate itself holds it back until the batch before has finished.
//
// When more hosts failed than the failure budget allows, the gate rejects with RolloutStoppedError: the later
// batches are never registered, the program fails, and the engine, whose program failed, deletes nothing —
// the hosts not reached keep their configuration and their state. Without --continue-on-error the engine
// itself stops at the first failure, which is the budget-0 behaviour. In a preview nothing fails, every gate
// opens once the batch before is registered, and the dependencies are the same as in the update.
import * as pulumi from "@pulumi/pulumi";
import { RunError } from "@pulumi/pulumi/errors";
import { allSucceeded } from "./outcome";

/** The rollout went past its failure budget: the hosts after that batch were not started. */
export class RolloutStoppedError extends RunError {
    constructor(
        readonly failed: readonly string[],
        readonly failureBudget: number,
        readonly notStarted: readonly string[],
    ) {
        super(
            `the rollout stopped: ${failed.length} host${failed.length === 1 ? "" : "s"} failed (${failed.join(", ")}), more than docker-host:rollout.failureBudget (${failureBudget}) allows; ` +
                `not started, left as they were: ${notStarted.join(", ")}. Fix: repair what failed (the errors above name it) and run up again; ` +
                "to go on past more failed hosts, raise failureBudget.",
        );
        this.name = "RolloutStoppedError";
    }
}

/** A host of the rollout, as created. */
export interface RolledOutHost<H extends pulumi.Resource> {
    readonly name: string;
    readonly host: H;
    /** True once every resource of the host succeeded; false when one failed or was skipped. Never rejects. */
    readonly succeeded: Promise<boolean>;
}

/**
 * Creates the hosts batch after batch: `create` gets each entry and what the host must depend on (a promise
 * that resolves once the batch before has finished within the budget, to the hosts of earlier batches that
 * succeeded); `resourcesOf` names the resources whose outcome is the host's (e.g. DockerHost.steps()). Every
 * failed host gets an error diagnostic naming the budget used. Returns the hosts in stack order.
 */
export function rollOut<E extends { readonly name: string }, H extends pulumi.Resource>(
    batches: readonly (readonly E[])[],
    failureBudget: number,
    create: (entry: E, dependsOn: Promise<pulumi.Resource[]>) => H,
    resourcesOf: (host: H) => readonly pulumi.Resource[],
): RolledOutHost<H>[] {
    const all: RolledOutHost<H>[] = [];
    // What the next batch waits for: the hosts it depends on, and the names of the hosts failed so far.
    let previous: Promise<{ readonly dependOn: pulumi.Resource[]; readonly failed: readonly string[] }> = Promise.resolve({ dependOn: [], failed: [] });
    batches.forEach((batch, index) => {
        const gate = previous;
        const dependsOn = gate.then((g) => g.dependOn);
        const created = batch.map((entry) => {
            const host = create(entry, dependsOn);
            return { name: entry.name, host, succeeded: allSucceeded(resourcesOf(host)) };
        });
        all.push(...created);
        const notStarted = batches.slice(index + 1).flatMap((b) => b.map((e) => e.name));
        previous = gate.then(async ({ dependOn, failed }) => {
            const outcomes = await Promise.all(created.map((c) => c.succeeded));
            const failedNow = [...failed, ...created.filter((_, i) => !outcomes[i]).map((c) => c.name)];
            created.forEach((c, i) => {
                if (outcomes[i]) return;
                const used = `${failedNow.length} failed host${failedNow.length === 1 ? "" : "s"} against a failure budget of ${failureBudget}`;
                const next = notStarted.length === 0 ? "it was the last batch" : failedNow.length > failureBudget ? "the rollout stops here" : "the rollout goes on";
                void pulumi.log.error(`rollout: ${c.name} failed (${used}); ${next}.`, c.host);
            });
            if (failedNow.length > failureBudget && notStarted.length > 0) throw new RolloutStoppedError(failedNow, failureBudget, notStarted);
            const succeeded = created.filter((_, i) => outcomes[i]).map((c) => c.host);
            // A batch with no host left to wait for passes on what it waited for itself.
            return { dependOn: succeeded.length > 0 ? succeeded : dependOn, failed: failedNow };
        });
    });
    return all;
}
