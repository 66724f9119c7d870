/**
 * Reads a stack file the way the Pulumi CLI does (gopkg.in/yaml.v3): merge keys (`<<: *base`)
 * and repeated aliases are fine, a key given twice in one mapping is an error, and a document
 * that expands mostly through aliases (a "billion laughs" bomb) is refused before it is expanded,
 * by yaml.v3's own rule, so the check costs one pass over the unexpanded nodes.
 */
import { isAlias, isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from "yaml";
import type { SpecIssue } from "./errors";

// yaml.v3 decode.go: alias expansion may make up 99% of a document of up to 400,000 decoded
// nodes, sliding down to 10% at 4,000,000; below 100 aliased and 1,000 decoded nodes anything goes.
const RATIO_LOW = 400_000;
const RATIO_HIGH = 4_000_000;

function allowedAliasRatio(decoded: number): number {
    if (decoded <= RATIO_LOW) return 0.99;
    if (decoded >= RATIO_HIGH) return 0.1;
    return 0.99 - 0.89 * ((decoded - RATIO_LOW) / (RATIO_HIGH - RATIO_LOW));
}

/** The parsed stack file, or the problems that kept it from being read. */
export type StackYaml = { ok: true; value: unknown } | { ok: false; issues: SpecIssue[] };

/** Parses a stack file's text; never echoes the file's content (it may hold key material). */
export function parseStackYaml(text: string): StackYaml {
    const lines = new LineCounter();
    const doc = parseDocument(text, { merge: true, uniqueKeys: true, prettyErrors: false, lineCounter: lines });
    if (doc.errors.length > 0) {
        return {
            ok: false,
            issues: doc.errors.map((e) => {
                const { line, col } = lines.linePos(e.pos[0]);
                return {
                    path: "",
                    message: `is not valid YAML at line ${line}, column ${col}: ${e.message.split("\n")[0]}`,
                    hint: "fix the file's YAML syntax",
                };
            }),
        };
    }
    const aliasing = aliasingProblem(doc);
    if (aliasing) return { ok: false, issues: [{ path: "", message: aliasing, hint: "write the repeated parts out, or use fewer nested aliases" }] };
    return { ok: true, value: doc.toJS({ maxAliasCount: -1 }) };
}

/** Counts nodes as yaml.v3 decodes them (aliases expanded), without expanding anything. */
function aliasingProblem(doc: Document): string | undefined {
    const expanded = new Map<Node, number>();
    const inProgress = new Set<Node>();
    const sizeOf = (node: unknown): number => {
        if (node === null || node === undefined) return 0;
        if (isScalar(node)) return 1;
        if (isAlias(node)) return 1 + sizeOf(node.resolve(doc));
        const n = node as Node;
        const known = expanded.get(n);
        if (known !== undefined) return known;
        if (inProgress.has(n)) throw new Error("an anchor contains an alias of itself");
        inProgress.add(n);
        let total = 1;
        if (isMap(n)) for (const pair of n.items) total += sizeOf(pair.key) + sizeOf(pair.value);
        else if (isSeq(n)) for (const item of n.items) total += isPair(item) ? sizeOf(item.key) + sizeOf(item.value) : sizeOf(item);
        inProgress.delete(n);
        expanded.set(n, total);
        return total;
    };

    const total = () => 1 + sizeOf(doc.contents);
    let decoded = 1;
    let aliased = 0;
    let problem: string | undefined;
    // In document order, as yaml.v3 decodes: the ratio peaks at the end of each alias expansion.
    const walk = (node: unknown): void => {
        if (problem || node === null || node === undefined) return;
        decoded++;
        if (isAlias(node)) {
            const size = sizeOf(node.resolve(doc));
            decoded += size;
            aliased += size;
            const excessive = !Number.isFinite(decoded) || (aliased > 100 && decoded > 1000 && aliased / decoded > allowedAliasRatio(decoded));
            if (excessive)
                problem = `expands through aliases to ${total() > 1e6 ? "more than a million" : total()} values: the Pulumi CLI refuses it as excessive aliasing`;
            return;
        }
        if (isMap(node))
            for (const pair of node.items) {
                walk(pair.key);
                walk(pair.value);
            }
        else if (isSeq(node)) for (const item of node.items) walk(isPair(item) ? item.value : item);
    };
    try {
        walk(doc.contents);
    } catch (e) {
        return (e as Error).message;
    }
    return problem;
}
