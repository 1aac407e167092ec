// Parses what the apply step prints: its last stdout line is a JSON object (see scripts/apply.sh).

/** Facts read from `docker info` after the apply. */
export interface DockerFacts {
    readonly serverVersion: string;
    readonly storageDriver: string;
    readonly dockerRootDir: string;
    readonly loggingDriver: string;
    readonly liveRestore: boolean;
}

/** What the apply step reports. */
export interface ApplyResult {
    /** "none" (already in place), "reload" or "restart". */
    readonly action: "none" | "reload" | "restart";
    /** Whether data-root was copied to a new location. */
    readonly migrated: boolean;
    /** The docker-host drop-ins as installed ("" when absent). */
    readonly dropIns: Readonly<Record<string, string>>;
    readonly facts: DockerFacts;
}

export function parseApplyResult(stdout: string): ApplyResult {
    const last = stdout.trim().split("\n").pop() ?? "";
    let parsed: unknown;
    try {
        parsed = JSON.parse(last);
    } catch {
        throw new Error(`the apply step printed no result line (stdout ended with ${JSON.stringify(last.slice(0, 200))})`);
    }
    const r = parsed as ApplyResult;
    if (!r || typeof r !== "object" || !r.facts || typeof r.facts.storageDriver !== "string") {
        throw new Error(`the apply step's result line is malformed: ${last.slice(0, 200)}`);
    }
    return r;
}

/** The drop-ins as one text, in file-name order, for the component's `dropIn` output. */
export function renderDropInsText(dropIns: Readonly<Record<string, string>>): string {
    return Object.keys(dropIns)
        .sort()
        .filter((name) => dropIns[name] !== "")
        .map((name) => `# ${name}\n${dropIns[name]}\n`)
        .join("\n");
}
