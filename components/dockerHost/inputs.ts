// Component inputs checked exactly once: at construction when they hold no Output or Promise (the
// constructor then throws before anything is registered, naming every problem), else when they resolve
// (every step's input derives from the checked value, so no step runs on a refused one).
import * as pulumi from "@pulumi/pulumi";
import { Checked, ConfigIssue } from "./validate";

/** An input, checked once. */
export interface CheckedInput<T> {
    /** The problems found at construction (the caller throws them, all parts at once). */
    readonly issuesNow: readonly ConfigIssue[];
    /** The checked value; rejects with `refuse(issues)` when a value known only later is refused. */
    readonly value: pulumi.Output<T>;
}

/** Whether a value is known now: nothing in it is an Output or a Promise. */
export function isKnownNow(value: unknown): boolean {
    if (pulumi.Output.isInstance(value) || value instanceof Promise) return false;
    if (Array.isArray(value)) return value.every(isKnownNow);
    if (value && typeof value === "object") return Object.values(value).every(isKnownNow);
    return true;
}

export function checkOnce<T>(input: unknown, check: (value: unknown) => Checked<T>, refuse: (issues: readonly ConfigIssue[]) => Error): CheckedInput<T> {
    if (isKnownNow(input)) {
        const { value, issues } = check(input);
        return { issuesNow: issues, value: pulumi.output(value) as pulumi.Output<T> };
    }
    const value = (pulumi.output(input) as pulumi.Output<unknown>).apply((resolved) => {
        const result = check(resolved);
        if (result.value === undefined) throw refuse(result.issues);
        return result.value;
    });
    return { issuesNow: [], value: value as pulumi.Output<T> };
}
