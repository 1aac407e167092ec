// Runs one rollout under pulumi.runtime.setMocks and prints what happened as JSON (for rollout.test.ts, which
// runs it in its own process). Argument: {count, batches, failureBudget, failing: resource names the mocked
// engine fails}. Each host is a component with two chained steps, `<name>-gate` and `<name>-apply`.
import * as pulumi from "@pulumi/pulumi";
import { BatchSize, rolloutBatches } from "../../components/rollout";
import { rollOut } from "../../components/rolloutGate";

export interface MockRun {
    /** Per host: its outcome and the hosts it depended on, or the error that kept it from registering. */
    readonly hosts: Record<string, { succeeded?: boolean; dependsOn?: string[]; stopped?: string }>;
    /** Resource names in the order the mocked engine saw them. */
    readonly registered: string[];
    /** Error diagnostics, as "<resource name>: <message>". */
    readonly logged: string[];
}

/** A step: a custom resource of a type only the mocks know. */
class Step extends pulumi.CustomResource {
    constructor(name: string, opts: pulumi.CustomResourceOptions) {
        super("test:index:Step", name, {}, opts);
    }
}

interface Scenario {
    readonly count: number;
    readonly batches: BatchSize[];
    readonly failureBudget: number;
    readonly failing: string[];
}

async function main(scenario: Scenario): Promise<MockRun> {
    // A failed resource's URN and outputs reject; in a real program the SDK reports what nobody handled.
    process.on("unhandledRejection", () => undefined);
    const registered: string[] = [];
    const logged: string[] = [];
    pulumi.runtime.setMocks(
        {
            newResource: (args) => {
                registered.push(args.name);
                if (scenario.failing.includes(args.name)) throw new Error(`${args.name} failed`);
                return { id: `${args.name}-id`, state: {} };
            },
            call: () => ({}),
        },
        "docker-host",
        "test",
        false,
    );
    const names = new Map<pulumi.Resource, string>();
    const errorLog = pulumi.log.error;
    pulumi.log.error = async (message, resource) => void logged.push(`${resource ? names.get(resource) : "-"}: ${message}`);
    const stepsOf = new Map<pulumi.Resource, pulumi.Resource[]>();
    const dependsOnOf = new Map<string, Promise<pulumi.Resource[]>>();
    const entries = Array.from({ length: scenario.count }, (_, i) => ({ name: `h-${i + 1}` }));
    const result = rollOut(rolloutBatches(entries, scenario.batches), scenario.failureBudget, ({ name }, dependsOn) => {
        const host = new pulumi.ComponentResource("test:index:Host", name, {}, { dependsOn });
        const gate = new Step(`${name}-gate`, { parent: host, dependsOn });
        const apply = new Step(`${name}-apply`, { parent: host, dependsOn: [gate] });
        names.set(host, name);
        stepsOf.set(host, [gate, apply]);
        dependsOnOf.set(name, dependsOn);
        return host;
    }, (host) => stepsOf.get(host)!);
    const hosts: MockRun["hosts"] = {};
    for (const { name, succeeded } of result) {
        try {
            const dependsOn = (await dependsOnOf.get(name)!).map((r) => names.get(r)!);
            hosts[name] = { succeeded: await succeeded, dependsOn };
        } catch (err) {
            hosts[name] = { stopped: (err as Error).message };
        }
    }
    await new Promise((resolve) => setTimeout(resolve, 200)); // anything still to register would show now
    pulumi.log.error = errorLog;
    return { hosts, registered, logged };
}

if (require.main === module) {
    main(JSON.parse(process.argv[2]!) as Scenario).then(
        (run) => console.log(JSON.stringify(run)),
        (err: unknown) => {
            console.error(err);
            process.exit(1);
        },
    );
}
