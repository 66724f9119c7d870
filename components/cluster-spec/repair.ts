/**
 * A copy of a raw spec with its invalid fields taken out, so the cross-field rules can run in the
 * same pass as the field checks and one run reports both kinds. A field that cannot simply go
 * (it is required) takes its parent with it, up to the enclosing list element; list indices in
 * the findings are mapped back to the file's.
 */
import { formatPath } from "./errors";

type Path = readonly PropertyKey[];

/** Removed list elements by the list's path, as original indices. */
type Removed = Map<string, Set<number>>;

/** The raw spec without the fields at `paths`, and the list elements removed to get there. */
export interface Repaired {
    value: unknown;
    removed: Removed;
}

/** Takes the fields at `paths` out of a deep copy of `raw`; an element of a list is marked, then removed at the end. */
export function withoutFields(raw: unknown, paths: Path[]): Repaired {
    const value = structuredClone(raw);
    const marks: Removed = new Map();
    for (const path of paths) {
        if (path.length === 0) continue;
        const parent = at(value, path.slice(0, -1));
        const last = path[path.length - 1];
        if (Array.isArray(parent) && typeof last === "number") {
            const key = formatPath(path.slice(0, -1));
            marks.set(key, (marks.get(key) ?? new Set()).add(last));
        } else if (parent && typeof parent === "object") delete (parent as Record<PropertyKey, unknown>)[last as string];
    }
    // Inner lists first: their paths hold the outer lists' original indices.
    for (const [key, indices] of [...marks].sort(([a], [b]) => b.length - a.length)) {
        const list = atFormatted(value, key);
        if (!Array.isArray(list)) continue;
        [...indices].sort((a, b) => b - a).forEach((i) => list.splice(i, 1));
    }
    return { value, removed: marks };
}

/** The original index of element `index` of a list that lost `gone` elements. */
function originalIndex(index: number, gone: Set<number>): number {
    let original = -1;
    for (let kept = -1; kept < index;) if (!gone.has(++original)) kept++;
    return original;
}

/** A path into the repaired copy as a path into the file. */
export function restorePath(path: Path, removed: Removed): PropertyKey[] {
    const out: PropertyKey[] = [];
    for (const part of path) {
        const gone = typeof part === "number" ? removed.get(formatPath(out)) : undefined;
        out.push(gone ? originalIndex(part as number, gone) : part);
    }
    return out;
}

/** Rewrites `list[n]` in a path or message to the index the element has in the file. */
export function restoreIndices(text: string, removed: Removed): string {
    let out = text;
    for (const [list, gone] of removed) {
        if (gone.size === 0) continue;
        const escaped = list.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        out = out.replace(
            new RegExp(`(^|[^A-Za-z0-9_.])${escaped}\\[(\\d+)\\]`, "g"),
            (_m, before: string, n: string) => `${before}${list}[${originalIndex(Number(n), gone)}]`,
        );
    }
    return out;
}

function at(value: unknown, path: Path): unknown {
    let cur = value;
    for (const part of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[part as string];
    }
    return cur;
}

/** Resolves a path written by `formatPath` (`hosts`, `binaries.kubernetes.sha256`, `hosts[2].roles`). */
function atFormatted(value: unknown, formatted: string): unknown {
    const parts: PropertyKey[] = [];
    for (const m of formatted.matchAll(/([A-Za-z_][A-Za-z0-9_-]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/g)) {
        if (m[1] !== undefined) parts.push(m[1]);
        else if (m[2] !== undefined) parts.push(Number(m[2]));
        else parts.push(JSON.parse(m[3]) as string);
    }
    return at(value, parts);
}
