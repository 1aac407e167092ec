// The README's daemon settings table, generated from the settings rows (daemonSettings.ts), so the two cannot
// drift: tests/unit/readme.test.ts fails when README.md does not contain exactly this text.
import { activationOf, defaultText, settingRows } from "./daemonSettings";

export function configurationReferenceTable(): string {
    const rows = settingRows().map(([name, s]) => {
        const key = s.daemonKey === undefined ? "any documented key" : `\`${s.daemonKey}\``;
        const activation = s.daemonKey === undefined ? "by key" : activationOf(s.daemonKey);
        return `| \`daemon.${name}\` | ${key} | ${defaultText(name)} | ${activation} | ${s.summary} |`;
    });
    return ["| setting | daemon.json key | default | applied by | what it does |", "|---|---|---|---|---|", ...rows].join("\n");
}
