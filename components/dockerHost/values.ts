// Small helpers on plain values, shared by the stack-config reader, the component, the renderer and the
// validators (one copy each).

/** A JSON-like mapping: an object that is neither null nor an array. */
export function isRecord(value: unknown): value is Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The object without the keys whose value is undefined (optional inputs that were not given). */
export function dropUndefined<T extends object>(value: T): T {
    return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** The path without trailing slashes ("/" and "//" stay "/"). */
export function trimSlash(path: string): string {
    return path.length > 1 ? path.replace(/\/+$/, "") || "/" : path;
}
