// Resource outcomes under `pulumi up --continue-on-error`: the engine goes on past a failed resource, and the
// Node SDK (≥ 3.270) rejects the URN and outputs of one that failed or was skipped. A resource that depends on
// it cannot register then (the SDK needs the dependency's URN), and the SDK would report that rejection as an
// unhandled exception with a stack trace, as it would a component output or a stack output computed from it.
// These helpers turn a failure into an outcome the program decides on, and into one line for the operator.
import { inspect } from "node:util";
import * as pulumi from "@pulumi/pulumi";

/** Whether every resource succeeded: each URN resolves, or rejects for a failed or skipped resource. Never rejects. */
export function allSucceeded(resources: readonly pulumi.Resource[]): Promise<boolean> {
    return new Promise((resolve) => {
        pulumi.recover(pulumi.all(resources.map((r) => r.urn)).apply(() => true), () => false).apply(resolve);
    });
}

/**
 * Why a resource was not registered: something it must run after failed (that one's own error says why). The
 * SDK logs it once, on `resource` and without a stack; being unhandled, it fails the program, so the engine
 * deletes nothing that this run did not register.
 */
export class NotRunError extends pulumi.ResourceError {
    constructor(message: string, resource: pulumi.Resource) {
        super(message, resource, true);
        this.name = "NotRunError";
    }

    /** What util.inspect shows: the SDK inspects every unhandled error (for its trace span) even when it logs
     *  the message alone, and inspecting `resource` walks the component's outputs (tens of seconds, gigabytes). */
    [inspect.custom](): string {
        return `${this.name}: ${this.message}`;
    }
}

/**
 * A `dependsOn` for a resource that must run only after every one of `resources` succeeded: it resolves to
 * them, or rejects with a NotRunError saying `notRun` on `on` when one failed or was skipped. A failure that
 * already has its clean message (a NotRunError, a rollout stopped: any RunError or ResourceError) passes on as
 * it is, so a chain (step after step) reports once.
 */
export function afterSuccessOf(resources: readonly pulumi.Resource[], on: pulumi.Resource, notRun: () => string): Promise<pulumi.Resource[]> {
    return new Promise((resolve, reject) => {
        // The error stays out of the Output: an Output's value is lifted deeply, and the SDK's errors carry the
        // rejected promise they came from.
        let failure: unknown;
        const recordFailure = (err: unknown) => {
            failure = err;
            return false;
        };
        pulumi.recover(pulumi.all(resources.map((r) => r.urn)).apply(() => true), recordFailure).apply((succeeded) => {
            if (succeeded) resolve([...resources]);
            else reject(pulumi.RunError.isInstance(failure) || pulumi.ResourceError.isInstance(failure) ? failure : new NotRunError(notRun(), on));
        });
    });
}

/**
 * `output`, or `fallback` when it rejects because a resource it comes from failed or was skipped. A RunError
 * (the rollout stopped) still rejects: a stack output that waits for it keeps the program running until then,
 * so the SDK reports it as the program's failure, in its message alone.
 */
export function orWhenFailed<T>(output: pulumi.Output<T>, fallback: T): pulumi.Output<T> {
    return pulumi.recover(output, (err: unknown) => {
        if (pulumi.RunError.isInstance(err)) throw err;
        return fallback;
    });
}

/**
 * Leaves a failure of `resource` to the engine, which reports it in the resource's own words: every output of
 * a failed or skipped resource rejects, and a rejection nobody handles would add a stack trace and fail the
 * program (dropping the stack's outputs). What depends on the resource learns of the failure through
 * allSucceeded, afterSuccessOf or orWhenFailed.
 */
export function failureReportedByEngine(resource: pulumi.Resource): void {
    for (const value of Object.values(resource)) {
        if (pulumi.Output.isInstance(value)) pulumi.recover(value as pulumi.Output<unknown>, () => undefined);
    }
}
