// Rollout batches (rollout.ts): counts, percentages of the stack's hosts (rounded down, at least 1), a list
// whose last entry repeats, more entries than hosts; and the gate (rolloutGate.ts) under Pulumi's mocks: the
// batches' dependencies, and a failed host's outcome as the SDK reports it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { describe, it } from "node:test";
import fc from "fast-check";
import { batchSizeOf, batchSizeProblem, batchSizes, BatchSize, rolloutBatches } from "../../components/rollout";
import type { MockRun } from "./rolloutMockRun";

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

describe("rollout batches", () => {
    it("splits by a count, the last batch holding what remains", () => {
        assert.deepEqual(rolloutBatches(hosts(5), 2), [["h1", "h2"], ["h3", "h4"], ["h5"]]);
        assert.deepEqual(rolloutBatches(hosts(5), [2]), [["h1", "h2"], ["h3", "h4"], ["h5"]]);
        assert.deepEqual(rolloutBatches(hosts(3), 1), [["h1"], ["h2"], ["h3"]]);
        assert.deepEqual(rolloutBatches(hosts(3), 10), [["h1", "h2", "h3"]]);
    });

    it("takes a percentage of the stack's hosts, rounded down, at least 1", () => {
        assert.deepEqual(batchSizes(8, ["25%"]), [2, 2, 2, 2]);
        assert.deepEqual(batchSizes(10, ["25%"]), [2, 2, 2, 2, 2], "2.5 hosts round down to 2");
        assert.deepEqual(batchSizes(3, ["10%"]), [1, 1, 1], "0.3 hosts is still one host");
        assert.deepEqual(batchSizes(4, ["100%"]), [4]);
        assert.deepEqual(batchSizes(100, ["29%"]), [29, 29, 29, 13], "29% of 100 is 29 despite floating point");
        assert.deepEqual(batchSizes(8, ["12.5%"]), [1, 1, 1, 1, 1, 1, 1, 1]);
        assert.equal(batchSizeOf("33%", 3), 1);
        assert.equal(batchSizeOf("34%", 3), 1);
        assert.equal(batchSizeOf("67%", 3), 2);
    });

    it("[1, \"50%\"] on 3 hosts applies host 1 alone first, then never more than half", () => {
        assert.deepEqual(rolloutBatches(hosts(3), [1, "50%"]), [["h1"], ["h2"], ["h3"]]);
        assert.deepEqual(rolloutBatches(hosts(4), [1, "50%"]), [["h1"], ["h2", "h3"], ["h4"]]);
    });

    it("repeats the last entry for the remaining hosts, canary first", () => {
        assert.deepEqual(batchSizes(20, [1, 5, "25%"]), [1, 5, 5, 5, 4]);
        assert.deepEqual(batchSizes(7, [1, 2]), [1, 2, 2, 2]);
    });

    it("leaves entries beyond the hosts unused, and an empty stack without batches", () => {
        assert.deepEqual(rolloutBatches(hosts(2), [1, 5, "25%", 3]), [["h1"], ["h2"]]);
        assert.deepEqual(rolloutBatches(hosts(1), [1, 1, 1]), [["h1"]]);
        assert.deepEqual(rolloutBatches([], [1, "50%"]), []);
    });

    it("refuses what the stack config would refuse", () => {
        assert.throws(() => batchSizes(3, 0), /rollout batches: 0 is not a whole number ≥ 1/);
        assert.throws(() => batchSizes(3, []), /rollout batches: lists no batch/);
        assert.throws(() => batchSizes(3, ["0%" as BatchSize]), /"0%" is not a percentage from above 0 to 100/);
        for (const good of [1, 7, "1%", "25%", "100%", "12.5%"]) assert.equal(batchSizeProblem(good), undefined, String(good));
        for (const bad of [0, -1, 1.5, NaN, Infinity, "0%", "101%", "25", "%", "25 %", "-5%", "1e2%", null, true, [1], {}]) assert.ok(batchSizeProblem(bad), JSON.stringify(bad));
    });

    it("places every host exactly once, in order, no batch larger than its entry allows (property)", () => {
        const entry: fc.Arbitrary<BatchSize> = fc.oneof(fc.integer({ min: 1, max: 30 }), fc.integer({ min: 1, max: 100 }).map((p): BatchSize => `${p}%`));
        fc.assert(
            fc.property(fc.integer({ min: 0, max: 60 }), fc.array(entry, { minLength: 1, maxLength: 5 }), (n, entries) => {
                const batches = rolloutBatches(hosts(n), entries);
                assert.deepEqual(batches.flat(), hosts(n));
                batches.forEach((b, i) => {
                    assert.ok(b.length >= 1);
                    assert.ok(b.length <= batchSizeOf(entries[Math.min(i, entries.length - 1)]!, n));
                });
                if (n > 0) assert.equal(batches[0]!.length, Math.min(n, batchSizeOf(entries[0]!, n)), "the canary batch is the first entry");
            }),
        );
    });
});

describe("the rollout gate under Pulumi's mocks", () => {
    /** Runs rolloutMockRun.ts in its own process: a failed resource's rejections are unhandled by design
     *  (the Pulumi program reports them), which node's test runner would take for this test's failure. */
    const run = (scenario: object): MockRun => {
        const res = spawnSync(process.execPath, ["--import", "tsx", join(__dirname, "rolloutMockRun.ts"), JSON.stringify(scenario)], { encoding: "utf8" });
        assert.equal(res.status, 0, res.stderr);
        return JSON.parse(res.stdout.trim().split("\n").pop()!) as MockRun;
    };

    it("opens each batch after the batch before registered, depending on its hosts", () => {
        const { hosts, registered } = run({ count: 3, batches: [1, "50%"], failureBudget: 0, failing: [] });
        assert.deepEqual(hosts, {
            "h-1": { succeeded: true, dependsOn: [] },
            "h-2": { succeeded: true, dependsOn: ["h-1"] },
            "h-3": { succeeded: true, dependsOn: ["h-2"] },
        });
        assert.ok(registered.indexOf("h-1-apply") < registered.indexOf("h-2-gate"), registered.join(" "));
        assert.ok(registered.indexOf("h-2-apply") < registered.indexOf("h-3-gate"), registered.join(" "));
    });

    it("stops after a failed host with a budget of 0: the later batches never register", () => {
        const { hosts, registered, logged } = run({ count: 3, batches: [1], failureBudget: 0, failing: ["h-1-gate"] });
        assert.equal(hosts["h-1"]?.succeeded, false);
        for (const name of ["h-2", "h-3"]) {
            assert.equal(hosts[name]?.stopped, "the rollout stopped: 1 host failed (h-1), more than docker-host:rollout.failureBudget (0) allows; not started, left as they were: h-2, h-3. Fix: repair what failed (the errors above name it) and run up again; to go on past more failed hosts, raise failureBudget.");
        }
        assert.deepEqual(registered, ["h-1", "h-1-gate"]);
        assert.deepEqual(logged, ["h-1: rollout: h-1 failed (1 failed host against a failure budget of 0); the rollout stops here."]);
    });

    it("goes on within the budget, depending only on hosts that succeeded, and stops past it", () => {
        const { hosts, logged } = run({ count: 4, batches: [1], failureBudget: 1, failing: ["h-1-apply", "h-3-gate"] });
        assert.deepEqual(hosts["h-1"], { succeeded: false, dependsOn: [] });
        assert.deepEqual(hosts["h-2"], { succeeded: true, dependsOn: [] }, "the failed host is no dependency");
        assert.deepEqual(hosts["h-3"], { succeeded: false, dependsOn: ["h-2"] });
        assert.match(hosts["h-4"]?.stopped ?? "", /^the rollout stopped: 2 hosts failed \(h-1, h-3\), more than docker-host:rollout\.failureBudget \(1\) allows; not started, left as they were: h-4\./);
        assert.deepEqual(logged, [
            "h-1: rollout: h-1 failed (1 failed host against a failure budget of 1); the rollout goes on.",
            "h-3: rollout: h-3 failed (2 failed hosts against a failure budget of 1); the rollout stops here.",
        ]);
    });

    it("reports a failure in the last batch without stopping anything", () => {
        const { hosts, logged } = run({ count: 2, batches: [1], failureBudget: 0, failing: ["h-2-apply"] });
        assert.deepEqual(hosts["h-2"], { succeeded: false, dependsOn: ["h-1"] });
        assert.deepEqual(logged, ["h-2: rollout: h-2 failed (1 failed host against a failure budget of 0); it was the last batch."]);
    });
});
