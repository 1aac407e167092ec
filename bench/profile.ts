// Where a run's time goes: the engine's step timeline (the events `pulumi up --json` streams, each stamped
// on arrival: their own timestamps are whole seconds) and, per host, what its journal says happened during the run
// (sshd's accepted connections, the detached transaction units' start and end). The hosts share this
// machine's clock, so both sides line up.
import { SandboxHost, ssh } from "../tests/host/harness";

export interface StampedEvent {
    /** Seconds since the run started, when the event was read (20 ms resolution). */
    readonly t: number;
    readonly event: EngineEvent;
}

interface Metadata {
    readonly op?: string;
    readonly urn?: string;
    readonly type?: string;
}

interface EngineEvent {
    readonly preludeEvent?: object;
    readonly summaryEvent?: object;
    readonly resourcePreEvent?: { readonly metadata: Metadata };
    readonly resOutputsEvent?: { readonly metadata: Metadata };
    readonly resOpFailedEvent?: { readonly metadata: Metadata };
}

/** The engine's events as `pulumi up --json` streams them on stdout (one JSON object a line), each stamped
 *  when it arrives: feed() every chunk of stdout as it comes. */
export class EventStream {
    readonly events: StampedEvent[] = [];
    private partial = "";

    constructor(private readonly started: bigint) {}

    feed(chunk: string): void {
        const t = Number(process.hrtime.bigint() - this.started) / 1e9;
        const lines = (this.partial + chunk).split("\n");
        this.partial = lines.pop() ?? "";
        for (const line of lines.filter((l) => l.startsWith("{"))) this.events.push({ t, event: JSON.parse(line) as EngineEvent });
    }
}

/** One resource's span in the engine: from its pre-event to its outputs (or failure). */
export interface Span {
    readonly name: string;
    readonly type: string;
    readonly op: string;
    readonly start: number;
    readonly end: number;
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

export function spans(events: readonly StampedEvent[]): Span[] {
    const open = new Map<string, { start: number; type: string; op: string }>();
    const out: Span[] = [];
    for (const { t, event } of events) {
        const pre = event.resourcePreEvent?.metadata;
        if (pre?.urn) open.set(pre.urn, { start: t, type: pre.type ?? "", op: pre.op ?? "" });
        const done = (event.resOutputsEvent ?? event.resOpFailedEvent)?.metadata;
        const begun = done?.urn ? open.get(done.urn) : undefined;
        if (done?.urn && begun) {
            out.push({ name: nameOf(done.urn), ...begun, end: t });
            open.delete(done.urn);
        }
    }
    return out;
}

/** What one host's journal shows for the window [from, to] (Unix seconds). */
export interface HostSide {
    readonly host: string;
    /** Unix seconds of each connection sshd accepted (authenticated). */
    readonly accepted: number[];
    /** Each detached transaction: its step and its start and end (Unix seconds). */
    readonly transactions: { step: string; start: number; end: number }[];
}

/** Reads the host's journal over SSH — after the measured run, so the reading's own session is not in it. */
export function hostSide(host: SandboxHost, from: number, to: number): HostSide {
    const res = ssh(host, `journalctl -o short-unix --no-pager --since=@${Math.floor(from)} --until=@${Math.ceil(to) + 1}`, { user: "root" });
    const accepted: number[] = [];
    const started = new Map<string, { step: string; start: number }>();
    const transactions: HostSide["transactions"] = [];
    for (const line of res.stdout.split("\n")) {
        const t = Number(line.slice(0, line.indexOf(" ")));
        if (!(t >= from && t <= to)) continue;
        if (/sshd\[\d+\]: Accepted /.test(line)) accepted.push(t);
        const start = /Started (docker-host-txn-[\w-]+)\.service - docker-host (\S+) for/.exec(line);
        if (start) started.set(start[1]!, { step: start[2]!, start: t });
        const end = /(docker-host-txn-[\w-]+)\.service: (Deactivated successfully|Failed with result)/.exec(line);
        const begun = end ? started.get(end[1]!) : undefined;
        if (end && begun) {
            transactions.push({ ...begun, end: t });
            started.delete(end[1]!);
        }
    }
    return { host: host.name, accepted, transactions };
}

const median = (xs: readonly number[]): number => {
    const s = [...xs].sort((a, b) => a - b);
    return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const f2 = (s: number) => s.toFixed(2);

/**
 * A Markdown summary of a cold `up`: the engine's phases, per step kind the median span in the engine and
 * the median host-side transaction, the SSH connections per host, and the critical path of the slowest host.
 * `startedAtUnix` is the run's start in Unix seconds (to place the journal's times on the run's clock).
 */
export function describeProfile(title: string, totalSeconds: number, events: readonly StampedEvent[], hosts: readonly HostSide[], startedAtUnix: number): string[] {
    const all = spans(events);
    const hostNames = new Set(hosts.map((h) => h.host));
    const steps = all.filter((s) => [...hostNames].some((h) => s.name.startsWith(`${h}-`)));
    const stepKind = (s: Span) => s.name.slice([...hostNames].find((h) => s.name.startsWith(`${h}-`))!.length + 1);
    const prelude = events.find((e) => e.event.preludeEvent)?.t ?? NaN;
    const stack = all.find((s) => s.type === "pulumi:pulumi:Stack");
    const firstStep = Math.min(...steps.map((s) => s.start));
    const lastStep = Math.max(...steps.map((s) => s.end));
    const summary = events.find((e) => e.event.summaryEvent)?.t ?? NaN;
    const lines = [
        `**${title}** — ${f2(totalSeconds)} s in all:`,
        "",
        `| phase | from → to (s since the CLI started) | seconds |`,
        `|---|---|---|`,
        `| CLI start → update begins (prelude event) | 0 → ${f2(prelude)} | ${f2(prelude)} |`,
        `| → program registered its stack (language host, Node.js, SDK load, program compile) | ${f2(prelude)} → ${f2(stack?.start ?? NaN)} | ${f2((stack?.start ?? NaN) - prelude)} |`,
        `| → first host step starts (program runs, host-key checks, provider start) | ${f2(stack?.start ?? NaN)} → ${f2(firstStep)} | ${f2(firstStep - (stack?.start ?? NaN))} |`,
        `| host steps, first start → last end | ${f2(firstStep)} → ${f2(lastStep)} | ${f2(lastStep - firstStep)} |`,
        `| → summary event → CLI exit | ${f2(lastStep)} → ${f2(totalSeconds)} | ${f2(totalSeconds - lastStep)} (summary at ${f2(summary)}) |`,
        "",
    ];
    const kinds = [...new Set(steps.map(stepKind))];
    const txns = hosts.flatMap((h) => h.transactions);
    lines.push(`| step (resource) | engine span, median over hosts | host-side transaction, median | the rest (SSH session, upload, run.sh, engine) |`, `|---|---|---|---|`);
    for (const kind of kinds) {
        const engine = median(steps.filter((s) => stepKind(s) === kind).map((s) => s.end - s.start));
        const hostStep = kind === "data-disk" ? "disk" : kind;
        const onHost = median(txns.filter((t) => t.step === hostStep).map((t) => t.end - t.start));
        lines.push(`| ${kind} | ${f2(engine)} s | ${Number.isNaN(onHost) ? "— (runs in the session)" : `${f2(onHost)} s`} | ${Number.isNaN(onHost) ? "—" : `${f2(engine - onHost)} s`} |`);
    }
    const perHost = hosts.map((h) => h.accepted.length);
    const chains = [...hostNames].map((h) => {
        const own = steps.filter((s) => s.name.startsWith(`${h}-`));
        return { host: h, start: Math.min(...own.map((s) => s.start)), end: Math.max(...own.map((s) => s.end)) };
    });
    const slowest = chains.reduce((a, b) => (b.end > a.end ? b : a));
    const firstAccept = Math.min(...hosts.flatMap((h) => h.accepted)) - startedAtUnix;
    lines.push(
        "",
        `SSH connections accepted per host during the run (sshd journal): ${[...new Set(perHost)].join(", ")} (${perHost.reduce((a, b) => a + b, 0)} in all; first at ${f2(firstAccept)} s). ` +
            `Slowest host ${slowest.host}: its steps ran ${f2(slowest.start)} → ${f2(slowest.end)} s (${f2(slowest.end - slowest.start)} s), of which host-side transactions ${f2(
                hosts.find((h) => h.host === slowest.host)?.transactions.reduce((a, t) => a + t.end - t.start, 0) ?? NaN,
            )} s.`,
    );
    return lines;
}
