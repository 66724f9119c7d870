import type { z } from "zod";
import { formatIssue, type Issue } from "../host/issues";
import { looksLikeKeyMaterial } from "../host/value-checks";

/** One problem found in a cluster spec; its path is in Pulumi `--path` syntax relative to the `cluster` config key. */
export type SpecIssue = Issue;
export { formatIssue };

/** Every problem of a cluster spec at once; thrown before any resource is registered. */
export class SpecError extends Error {
    /** The problems that block the deployment. */
    readonly issues: SpecIssue[];
    /** Findings that do not block it (e.g. an even etcd member count). */
    readonly warnings: SpecIssue[];

    constructor(issues: SpecIssue[], warnings: SpecIssue[] = [], source?: string) {
        const where = source ? ` in ${source}` : "";
        const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
        super([`Invalid cluster spec${where}: ${count}`, ...issues.map(formatIssue)].join("\n"));
        this.name = "SpecError";
        this.issues = issues;
        this.warnings = warnings;
    }
}

/** Writes a path as Pulumi's `--path` does: `hosts[1].roles[0]`, `labels["example.com/x"]`. */
export function formatPath(path: readonly PropertyKey[]): string {
    let out = "";
    for (const part of path) {
        if (typeof part === "number") out += `[${part}]`;
        else {
            const key = String(part);
            if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) out += out ? `.${key}` : key;
            else out += `[${JSON.stringify(key)}]`;
        }
    }
    return out;
}

/** Joins a base path and a child key the way `formatPath` writes them. */
export function childPath(base: string, ...parts: PropertyKey[]): string {
    const tail = formatPath(parts);
    if (!base) return tail;
    return tail.startsWith("[") ? base + tail : `${base}.${tail}`;
}

type Def = Record<string, unknown> & { type: string };
const defOf = (node: z.ZodType): Def => (node as unknown as { _zod: { def: Def } })._zod.def;

/** Strips optional/default/pipe wrappers; returns the bare node and the outermost description met. */
function unwrap(node: z.ZodType): { bare: z.ZodType; description?: string } {
    let description: string | undefined;
    let cur = node;
    for (;;) {
        description ??= cur.description;
        const def = defOf(cur);
        const inner = (def.innerType ?? (def.type === "pipe" ? def.in : undefined)) as z.ZodType | undefined;
        if (!inner) return { bare: cur, description };
        cur = inner;
    }
}

/** The schema node one path step below `node` (object field, array element or record value). */
function step(node: z.ZodType, part: PropertyKey): z.ZodType | undefined {
    const def = defOf(unwrap(node).bare);
    if (def.type === "object") return (def.shape as Record<string, z.ZodType>)[String(part)];
    if (def.type === "array") return def.element as z.ZodType;
    if (def.type === "record") return def.valueType as z.ZodType;
    return undefined;
}

/** The description of the schema node a path leads to (the nearest described ancestor otherwise). */
export function describeAt(schema: z.ZodType, path: readonly PropertyKey[]): string | undefined {
    let node: z.ZodType | undefined = schema;
    let found = unwrap(schema).description;
    for (const part of path) {
        node = node && step(node, part);
        if (!node) break;
        found = unwrap(node).description ?? found;
    }
    return found;
}

/** The field names an object schema at `path` accepts, for "did you mean" hints. */
export function fieldsAt(schema: z.ZodType, path: readonly PropertyKey[]): string[] {
    let node: z.ZodType | undefined = schema;
    for (const part of path) node = node && step(node, part);
    if (!node) return [];
    const def = defOf(unwrap(node).bare);
    return def.type === "object" ? Object.keys(def.shape as object) : [];
}

/** The closest candidate by edit distance, when it is close enough to be a typo. */
export function closest(word: string, candidates: string[]): string | undefined {
    let best: string | undefined;
    let bestDistance = Infinity;
    for (const c of candidates) {
        const d = editDistance(word.toLowerCase(), c.toLowerCase());
        if (d < bestDistance) {
            best = c;
            bestDistance = d;
        }
    }
    return best !== undefined && bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
    const row = Array.from({ length: b.length + 1 }, (_, i) => i);
    for (let i = 1; i <= a.length; i++) {
        let prev = row[0];
        row[0] = i;
        for (let j = 1; j <= b.length; j++) {
            const tmp = row[j];
            row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
            prev = tmp;
        }
    }
    return row[b.length];
}

/** Translates zod's issues into path / what / how, one per problem (one per key for unknown fields). */
export function fromZodIssues(schema: z.ZodType, issues: readonly z.core.$ZodIssue[], input: unknown): SpecIssue[] {
    const out: SpecIssue[] = [];
    for (const issue of issues) {
        const path = issue.path;
        const described = describeAt(schema, path);
        if (issue.code === "unrecognized_keys") {
            const known = fieldsAt(schema, path);
            for (const key of issue.keys) {
                const guess = closest(key, known);
                out.push({
                    path: formatPath([...path, key]),
                    message: "is not a known field",
                    hint: guess ? `did you mean \`${guess}\`?` : `remove it; known fields here: ${known.join(", ")}`,
                });
            }
            continue;
        }
        const value = valueAt(input, path);
        let message = issue.message;
        if (issue.code === "invalid_type" && value === undefined) message = "is required";
        else if (issue.code === "invalid_type") message = `must be ${article(issue.expected)}, not ${describeValue(value)}`;
        else if (issue.code === "invalid_value") message = `must be one of ${issue.values.map((v) => JSON.stringify(v)).join(", ")}, not ${shown(value)}`;
        else if ((issue.code === "too_small" || issue.code === "too_big") && /^Too (small|big)/.test(issue.message)) message = boundMessage(issue, value);
        else if (issue.code === "invalid_key") message = `is not a valid key: ${issue.issues.map((i) => i.message).join("; ")}`;
        else if (issue.code === "custom" || issue.code === "invalid_format") message = value === undefined ? issue.message : `${shown(value)} ${issue.message}`;
        if (isSecureValue(value)) {
            out.push({
                path: formatPath(path),
                message: "is encrypted (`secure:`) but is not a secret field",
                hint: "set it in plain text; only `k8s-binary:sshPrivateKey` holds secret material",
            });
            continue;
        }
        let hint = described ?? "see components/cluster-spec/schema.ts";
        if (issue.code === "invalid_type" && issue.expected === "string" && (typeof value === "number" || typeof value === "boolean"))
            hint = `quote the value so YAML keeps it as text. ${hint}`;
        out.push({ path: formatPath(path), message, hint });
    }
    return out;
}

/** `is 70000; it must be at most 65535`, `has 0 entries; it needs at least 1`, `must not be empty`. */
function boundMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig, value: unknown): string {
    const small = issue.code === "too_small";
    const bound = Number(small ? (issue as z.core.$ZodIssueTooSmall).minimum : (issue as z.core.$ZodIssueTooBig).maximum);
    const limit = issue.inclusive === false ? (small ? `more than ${bound}` : `less than ${bound}`) : small ? `at least ${bound}` : `at most ${bound}`;
    if (issue.origin === "array") return `has ${(value as unknown[]).length} entries; it needs ${limit}`;
    if (issue.origin === "string") return small && bound === 1 ? "must not be empty" : `must have ${limit} characters`;
    return `is ${JSON.stringify(value)}; it must be ${limit}`;
}

/** zod's type names in the words of a YAML file. */
const TYPE_WORDS: Record<string, string> = {
    int: "an integer",
    object: "a map",
    array: "a list",
    string: "a string",
    number: "a number",
    boolean: "a boolean",
};

function article(expected: string): string {
    return TYPE_WORDS[expected] ?? `a ${expected}`;
}

function describeValue(value: unknown): string {
    if (value === null) return "null";
    if (Array.isArray(value)) return "a list";
    if (typeof value === "object") return "a map";
    return `${typeof value} ${shown(value)}`;
}

/**
 * A value as an error message may show it: quoted, except text that looks like key material,
 * which is named by its length only (messages end up in CI logs).
 */
export function shown(value: unknown): string {
    if (typeof value === "string" && looksLikeKeyMaterial(value)) return `(${value.length} characters that look like key material, not shown)`;
    return JSON.stringify(value);
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
    let cur: unknown = input;
    for (const part of path) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Record<PropertyKey, unknown>)[part as string];
    }
    return cur;
}

/** True for a Pulumi encrypted config value, `{secure: "..."}`. */
export function isSecureValue(value: unknown): value is { secure: string } {
    return (
        typeof value === "object" &&
        value !== null &&
        !Array.isArray(value) &&
        Object.keys(value).length === 1 &&
        typeof (value as { secure?: unknown }).secure === "string"
    );
}
