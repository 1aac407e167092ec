// previewComment.ts — the pull-request comment of one stack's preview (scripts/preview.sh writes it, the
// preview workflow posts it): the plan in words first, one line per host that will change, then the whole
// `pulumi preview --diff` output in a collapsible block, cut to fit GitHub's comment limit.
//
// The plan lines are DockerHost's info diagnostics whose message starts with `plan: <hostName>: `; the CLI
// prints them (indented, under the component's header, in diff mode with the diagnostic's prefix) among the
// rest of the output, so they are taken from the text, not from an event stream.
//
// Usage: node --import tsx scripts/previewComment.ts --stack STACK --status N --input PREVIEW.txt \
//          --output COMMENT.md [--log-url URL]
//   STACK the stack previewed; N pulumi's exit status; PREVIEW.txt its output; URL where the whole output is
//   (the workflow run), named when the output had to be cut.
// Exit codes: 0 written; 1 unreadable input or unwritable output; 2 usage error.
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";

/** GitHub refuses a comment body longer than this many characters. */
export const GITHUB_COMMENT_LIMIT = 65536;
/** At most this share of the comment goes to plan lines; the diff gets the rest. */
const PLAN_SHARE = 0.5;
/** When the diff is cut, up to this many of its last lines are kept (the Resources summary, the diagnostics). */
const TAIL_LINES = 40;
const STACK_NAME = /^[A-Za-z0-9._-]+$/;

export interface PlanLine {
    readonly host: string;
    /** The whole line as the component wrote it: `plan: <host>: <what>`. */
    readonly text: string;
}

export interface CommentInput {
    readonly stack: string;
    /** `pulumi preview --diff` output (ANSI colour codes are removed). */
    readonly output: string;
    /** pulumi's exit status: not 0 means the preview failed. */
    readonly status: number;
    /** Where the whole output can be read, named when the comment had to be cut. */
    readonly logUrl?: string;
    /** @default GITHUB_COMMENT_LIMIT */
    readonly maxChars?: number;
}

// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]|\u001b\][^\u0007]*\u0007/g;
// A diagnostic line: indentation, optionally the severity prefix diff mode prints ("info: "), then the message.
const PLAN = /^\s*(?:info:\s+)?(plan: ([^\s:]+): \S.*?)\s*$/;

export function stripAnsi(text: string): string {
    return text.replace(ANSI, "");
}

/** The first line of every comment of STACK: how the workflow finds the comment to update. */
export function commentMarker(stack: string): string {
    if (!STACK_NAME.test(stack)) throw new Error(`stack name ${JSON.stringify(stack)} is not [A-Za-z0-9._-]+`);
    return `<!-- docker-host-preview stack=${stack} -->`;
}

/**
 * The plan lines of a preview's output, grouped per host (hosts in the order they first appear, each host's
 * lines in their order), each line once: a diagnostic the CLI repeats (inline and in a summary) counts once.
 */
export function extractPlanLines(output: string): PlanLine[] {
    const byHost = new Map<string, string[]>();
    for (const raw of stripAnsi(output).split(/\r?\n/)) {
        const m = PLAN.exec(raw);
        if (!m) continue;
        const [, text, host] = m as unknown as [string, string, string];
        const lines = byHost.get(host) ?? [];
        if (!lines.includes(text)) lines.push(text);
        byHost.set(host, lines);
    }
    return [...byHost].flatMap(([host, lines]) => lines.map((text) => ({ host, text })));
}

/** The CLI's "Resources:" summary in one line, e.g. "~ 1 to update, 6 unchanged"; undefined without one. */
export function resourceSummary(output: string): string | undefined {
    const lines = stripAnsi(output).split(/\r?\n/);
    const start = lines.findIndex((l) => /^Resources:\s*$/.test(l));
    if (start < 0) return undefined;
    const items: string[] = [];
    for (const line of lines.slice(start + 1)) {
        if (line.trim() === "") break;
        items.push(line.trim());
    }
    return items.length > 0 ? items.join(", ") : undefined;
}

/** A code fence longer than any run of backquotes in `text`, so the text cannot close it. */
function fenceFor(text: string): string {
    const longest = Math.max(0, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
    return "`".repeat(Math.max(3, longest + 1));
}

function codeBlock(text: string, language: string): string {
    const fence = fenceFor(text);
    return `${fence}${language}\n${text}\n${fence}`;
}

/**
 * `lines` cut to at most `budget` characters (joined with newlines): the first lines, a note of how many were
 * left out, and up to TAIL_LINES of the last ones. Returns the lines unchanged when they fit.
 */
export function cutLines(lines: readonly string[], budget: number, note: (omitted: number) => string): string[] {
    const size = (ls: readonly string[]) => ls.reduce((n, l) => n + l.length + 1, 0);
    if (size(lines) <= budget + 1) return [...lines];
    // Leave room for the note (its longest form) and give the tail at most a fifth of the budget.
    const room = budget - note(lines.length).length - 1;
    const tail: string[] = [];
    for (let i = lines.length - 1; i >= 0 && tail.length < TAIL_LINES; i--) {
        if (size(tail) + lines[i]!.length + 1 > room / 5) break;
        tail.unshift(lines[i]!);
    }
    const head: string[] = [];
    for (const line of lines.slice(0, lines.length - tail.length)) {
        if (size(head) + size(tail) + line.length + 1 > room) break;
        head.push(line);
    }
    // A single line longer than the whole budget: keep its start rather than nothing.
    if (head.length === 0 && tail.length === 0 && room > 0) head.push(lines[0]!.slice(0, room - 1));
    return [...head, note(lines.length - head.length - tail.length), ...tail];
}

/** The Markdown body of the PR comment for one stack's preview. Pure; never longer than maxChars. */
export function composeComment(input: CommentInput): string {
    const limit = input.maxChars ?? GITHUB_COMMENT_LIMIT;
    const output = stripAnsi(input.output).replace(/\s+$/, "");
    const where = input.logUrl ? `the job log (${input.logUrl})` : "the job log";
    const summary = resourceSummary(output);
    const plan = extractPlanLines(output);

    const header = [
        commentMarker(input.stack),
        input.status === 0
            ? `### Preview of stack \`${input.stack}\`${summary ? `: ${summary}` : ""}`
            : `### Preview of stack \`${input.stack}\` failed (exit status ${input.status})`,
        "",
    ];
    const planSection: string[] = [];
    if (plan.length > 0) {
        const lines = cutLines(
            plan.map((p) => p.text),
            Math.floor(limit * PLAN_SHARE),
            (n) => `… ${n} more plan lines: see ${where}`,
        );
        planSection.push("**Plan, per host** (hosts not named do not change):", "", codeBlock(lines.join("\n"), "text"), "");
    } else if (input.status === 0) {
        planSection.push("No host reported a plan line.", "");
    } else {
        planSection.push("The preview stopped before any plan: its output below says why.", "");
    }
    const open = (n: number) => [`<details><summary><code>pulumi preview --diff</code> output (${n} lines)</summary>`, ""];
    const outputLines = output === "" ? [] : output.split("\n");
    const close = ["</details>", ""];

    const fixed = [...header, ...planSection, ...open(outputLines.length), ...close].join("\n").length;
    // Room for the fences and the language tag of the diff block, with a longer fence than any backquote run.
    const fenceCost = 2 * (fenceFor(output).length + 1) + "diff".length;
    const body = cutLines(outputLines, limit - fixed - fenceCost - 1, (n) => `… ${n} lines left out here to fit a GitHub comment: the whole output is in ${where}`);
    const text = [...header, ...planSection, ...open(outputLines.length), codeBlock(body.join("\n"), "diff"), ...close].join("\n");
    if (text.length > limit) throw new Error(`composeComment: ${text.length} characters exceed the limit ${limit} (a bug)`);
    return text;
}

function main(argv: readonly string[]): number {
    let values;
    try {
        ({ values } = parseArgs({
            args: [...argv],
            options: { stack: { type: "string" }, status: { type: "string" }, input: { type: "string" }, output: { type: "string" }, "log-url": { type: "string" } },
            strict: true,
        }));
    } catch (e) {
        process.stderr.write(`previewComment: ${(e as Error).message}\n`);
        return 2;
    }
    const { stack, status, input, output } = values;
    if (!stack || !status || !/^[0-9]+$/.test(status) || !input || !output) {
        process.stderr.write("usage: node --import tsx scripts/previewComment.ts --stack STACK --status N --input PREVIEW.txt --output COMMENT.md [--log-url URL]\n");
        return 2;
    }
    try {
        const text = readFileSync(input, "utf8");
        writeFileSync(output, composeComment({ stack, status: Number(status), output: text, ...(values["log-url"] ? { logUrl: values["log-url"] } : {}) }));
        return 0;
    } catch (e) {
        process.stderr.write(`previewComment: ${(e as Error).message}\n`);
        return 1;
    }
}

if (require.main === module) process.exitCode = main(process.argv.slice(2));
