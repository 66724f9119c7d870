import type { StateResource } from "./state";
import { changedKeys, clone, getPath, parsePath, setPath, type PropertyMap } from "./values";

export type StepOp = "create" | "update" | "replace" | "same";

/** What a provider says about a change the engine found (its Diff, reduced to the decision). */
export type ProviderDiff = (changed: string[], old: StateResource, news: PropertyMap) => "update" | "replace";

/**
 * `ignoreChanges`: the engine keeps the old value at each listed path before diffing (and stores
 * it, so the ignored value never reaches the provider).
 */
export function applyIgnoreChanges(olds: PropertyMap, news: PropertyMap, ignore: string[]): PropertyMap {
    if (ignore.length === 0) return news;
    const out = clone(news);
    for (const p of ignore) setPath(out, p, getPath(olds, p));
    return out;
}

/**
 * `replaceOnChanges`: matched on the top-level property of each path (`triggers[*]` matches any
 * change of `triggers`), `*` matches everything. The engine matches finer paths; for the resources
 * in this project the top level is what decides.
 */
function matchesReplaceOnChanges(changed: string[], replaceOnChanges: string[]): boolean {
    return replaceOnChanges.some((p) => p === "*" || changed.includes(String(parsePath(p)[0])));
}

export interface DiffArgs {
    old: StateResource | undefined;
    news: PropertyMap;
    replaceOnChanges: string[];
    providerDiff: ProviderDiff;
    /** The provider asks for replacement regardless of inputs (a certificate due for renewal). */
    forceReplace: (old: StateResource) => boolean;
    /** The `replacementTrigger` resource option changed since the last run. */
    triggerChanged: boolean;
}

export function decideStep(args: DiffArgs): { op: StepOp; changed: string[] } {
    const { old, news } = args;
    if (!old) return { op: "create", changed: Object.keys(news).sort() };
    const changed = changedKeys(old.inputs, news);
    if (args.forceReplace(old) || args.triggerChanged) return { op: "replace", changed };
    if (changed.length === 0) return { op: "same", changed };
    if (matchesReplaceOnChanges(changed, args.replaceOnChanges)) return { op: "replace", changed };
    return { op: args.providerDiff(changed, old, news), changed };
}
