// The README's configuration reference, generated from the settings table so the two cannot drift
// (tests/unit/readme.test.ts fails when README.md does not contain exactly this text).
import { activationOf, SETTINGS } from "./daemonSettings";

export function configurationReferenceTable(): string {
    const rows = SETTINGS.map((s) => {
        const key = s.setting === "extra" ? "any documented key" : `\`${s.daemonKey}\``;
        const activation = s.setting === "extra" ? "by key" : activationOf(s.daemonKey);
        return `| \`daemon.${s.setting}\` | ${key} | ${s.defaultText} | ${activation} | ${s.summary} |`;
    });
    return ["| setting | daemon.json key | default | applied by | what it does |", "|---|---|---|---|---|", ...rows].join("\n");
}
