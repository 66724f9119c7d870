import * as fs from "node:fs";
import * as path from "node:path";
import type { PropertyMap, PropertyPath } from "./values";

/**
 * The engine's state file: what Pulumi's checkpoint holds for this purpose, per URN the inputs and
 * outputs of the last successful step. Secrets are stored in plain text (the file is a test
 * artefact in a temporary directory); which values were secret is kept beside them.
 */
export interface StateResource {
    urn: string;
    type: string;
    name: string;
    /** false for components (and the stack): nothing is performed for them. */
    custom: boolean;
    id: string;
    parent: string;
    inputs: PropertyMap;
    /** Paths of inputs that arrived as secrets. */
    secretInputs: PropertyPath[];
    outputs: PropertyMap;
    /** Paths of outputs handed back to the program as secrets. */
    secretOutputs: PropertyPath[];
    /** URNs this resource depends on (dependsOn and inputs' dependencies). */
    dependencies: string[];
    /** Order of creation across runs; a replacement gets a new index. */
    createdIndex: number;
    deleteBeforeReplace: boolean;
    /** The `replacementTrigger` option's value at the last step (null when unset): a change replaces. */
    replacementTrigger?: unknown;
    retainOnDelete?: boolean;
    /** URN whose deletion makes deleting this one unnecessary (the `deletedWith` option). */
    deletedWith: string;
}

export interface EngineState {
    version: 1;
    nextIndex: number;
    resources: Record<string, StateResource>;
    /** Old copies of resources replaced create-before-delete whose delete has not run yet. */
    pendingDeletes: StateResource[];
}

export function emptyState(): EngineState {
    return { version: 1, nextIndex: 0, resources: {}, pendingDeletes: [] };
}

/** Reads a state file; a missing file is an empty state (a new stack). */
export function readState(file: string): EngineState {
    if (!fs.existsSync(file)) return emptyState();
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as EngineState;
    if (parsed.version !== 1) throw new Error(`${file}: unsupported engine state version ${String(parsed.version)}`);
    return parsed;
}

/** Writes atomically, so a run killed mid-write leaves the previous checkpoint intact. */
export function writeState(file: string, state: EngineState): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
    fs.renameSync(tmp, file);
}

/**
 * Orders resources for deletion: a resource goes only after everything in the set that depends on
 * it (or is its child) went. Ties: latest created first. The real engine deletes independent
 * resources in parallel; here they run one at a time.
 */
export function deletionOrder(items: StateResource[]): StateResource[] {
    const remaining = [...items].sort((a, b) => b.createdIndex - a.createdIndex);
    const out: StateResource[] = [];
    while (remaining.length > 0) {
        const blockers = new Set<string>();
        for (const r of remaining) for (const d of [...r.dependencies, r.parent]) if (d) blockers.add(d);
        let i = remaining.findIndex((r) => !blockers.has(r.urn));
        // A cycle cannot come from a program (dependencies point backwards), but stay total.
        if (i < 0) i = 0;
        out.push(remaining.splice(i, 1)[0]);
    }
    return out;
}
