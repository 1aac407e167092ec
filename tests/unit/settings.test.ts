// "Adding a setting" (README): a typed daemon setting is declared once, as a field of DaemonSettings
// (args.ts), and has one row in the settings table (daemonSettings.ts: its daemon.json key, value shape and
// README line). The compiler refuses a field without a row or a row without a field (the rows are keyed by
// keyof DaemonSettings), a validator shape that differs from the field (validate/schema.ts) and a sample
// value missing in fixtures.ts (EVERY_SETTING); this test finds each setting everywhere else it must be: the validator, the renderer,
// the README table and the Pulumi schema.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderDaemonJson } from "../../components/dockerHost/daemonJson";
import { SETTING_NAMES, settingRows } from "../../components/dockerHost/daemonSettings";
import { findConfigIssues } from "../../components/dockerHost/validate";
import { knownKeysAt } from "../../components/dockerHost/validate/schema";
import { EVERY_SETTING as SAMPLE, KEY } from "./fixtures";

const README = readFileSync(join(__dirname, "../../README.md"), "utf8");
const SCHEMA = JSON.parse(readFileSync(join(__dirname, "../../schema.json"), "utf8")) as { types: Record<string, { properties: Record<string, unknown> }> };

describe("a typed daemon setting, declared once", () => {
    const names = [...SETTING_NAMES].sort();

    it("is a key of the validator's daemon shape", () => {
        assert.deepEqual(knownKeysAt(["daemon"]).sort(), names);
    });

    it("is a property of DaemonSettings in the Pulumi schema", () => {
        assert.deepEqual(Object.keys(SCHEMA.types["docker-host:index:DaemonSettings"]!.properties).sort(), names);
    });

    it("is a row of the README's settings table", () => {
        const rows = [...README.matchAll(/^\| `daemon\.([A-Za-z]+)` \|/gm)].map((m) => m[1]!);
        assert.deepEqual(rows.sort(), names);
    });

    it("is accepted by the validator with a sound value", () => {
        assert.deepEqual(findConfigIssues({ connection: { host: "10.0.0.5", privateKey: KEY }, daemon: SAMPLE }), []);
    });

    it("renders into its daemon.json key", () => {
        const json = JSON.parse(renderDaemonJson({ daemon: SAMPLE })) as Record<string, unknown>;
        for (const [name, row] of settingRows()) {
            if (row.daemonKey === undefined) continue; // extra: its own keys
            assert.ok(Object.hasOwn(json, row.daemonKey), `${name} does not render into ${row.daemonKey}`);
            if (row.logOpt) assert.equal((json[row.daemonKey] as Record<string, unknown>)[row.logOpt], String(SAMPLE[name]), name);
            else assert.deepEqual(json[row.daemonKey], SAMPLE[name], name);
        }
        for (const [key, value] of Object.entries(SAMPLE.extra)) assert.deepEqual(json[key], value, `extra.${key}`);
    });
});
