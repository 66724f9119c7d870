// The critical path of a program's remote steps, from the resources its registrations declare.
// Pure: plain records in, plain records out.

/** One registered resource, as read off the register request and its response. */
export interface GraphNode {
    /** Its URN. */
    id: string;
    type: string;
    /** Custom resource (a provider performs it) or component. */
    custom: boolean;
    /** URN of its parent, when the parent is itself a node of the graph. */
    parent?: string;
    /** URNs it depends on (`dependsOn` and input dependencies), as the SDK sent them. */
    dependencies: string[];
}

/** The heaviest chain of the graph. */
export interface CriticalPath {
    /** Sum of the weights along the chain. */
    weight: number;
    /** The chain's weighted nodes, first to last (nodes of weight 0 are left out). */
    chain: string[];
}

/** Types whose resources run on a host: the steps a deployment waits for. */
export const REMOTE_STEP_TYPES = new Set(["command:remote:Command", "command:remote:CopyToRemote"]);

/** 1 for a remote step, 0 for anything else. */
export const remoteStepWeight = (node: GraphNode): number => (REMOTE_STEP_TYPES.has(node.type) ? 1 : 0);

/**
 * Which nodes must complete before each node can start, the way the SDK orders registrations:
 * its dependencies, a dependency on a component standing for the component's custom descendants;
 * and its parent, since a child is registered only once its parent is, and a component only
 * once its own dependencies are done (a component's `dependsOn` holds back all its children).
 * Throws on a dependency or parent that is not a node.
 */
export function executionPredecessors(nodes: GraphNode[]): Map<string, string[]> {
    const byId = new Map(nodes.map((n) => [n.id, n]));
    const children = new Map<string, string[]>();
    for (const n of nodes) {
        if (n.parent === undefined) continue;
        if (!byId.has(n.parent)) throw new Error(`${n.id}: parent ${n.parent} is not in the graph`);
        children.set(n.parent, [...(children.get(n.parent) ?? []), n.id]);
    }
    const customDescendants = (id: string): string[] => {
        const out: string[] = [];
        const stack = [...(children.get(id) ?? [])];
        while (stack.length > 0) {
            const c = stack.pop()!;
            if (byId.get(c)!.custom) out.push(c);
            stack.push(...(children.get(c) ?? []));
        }
        return out;
    };
    const preds = new Map<string, string[]>();
    for (const n of nodes) {
        const set = new Set<string>();
        for (const d of n.dependencies) {
            const dep = byId.get(d);
            if (dep === undefined) throw new Error(`${n.id}: dependency ${d} is not in the graph`);
            if (dep.custom) set.add(d);
            else for (const c of customDescendants(d)) set.add(c);
        }
        if (n.parent !== undefined) set.add(n.parent);
        set.delete(n.id);
        preds.set(n.id, [...set].sort());
    }
    return preds;
}

/**
 * The heaviest chain through `preds` (node -> the nodes that must complete before it), each node
 * weighing `weight(id)`. Ties go to the predecessor that sorts first, so the result is stable.
 * Throws when the graph has a cycle, naming the nodes on or behind it.
 */
export function longestPath(preds: Map<string, string[]>, weight: (id: string) => number): CriticalPath {
    const ids = [...preds.keys()].sort();
    const indegree = new Map(ids.map((id) => [id, 0]));
    const successors = new Map<string, string[]>(ids.map((id) => [id, []]));
    for (const id of ids) {
        for (const p of preds.get(id)!) {
            if (!preds.has(p)) throw new Error(`${id}: predecessor ${p} is not in the graph`);
            indegree.set(id, indegree.get(id)! + 1);
            successors.get(p)!.push(id);
        }
    }
    const best = new Map<string, { weight: number; via?: string }>();
    const ready = ids.filter((id) => indegree.get(id) === 0);
    let done = 0;
    while (ready.length > 0) {
        const id = ready.pop()!;
        done++;
        let top: { weight: number; via?: string } = { weight: 0 };
        for (const p of preds.get(id)!) {
            const b = best.get(p)!;
            if (b.weight > top.weight || (b.weight === top.weight && top.via !== undefined && p < top.via)) top = { weight: b.weight, via: p };
        }
        best.set(id, { weight: top.weight + weight(id), via: top.via });
        for (const s of successors.get(id)!) {
            indegree.set(s, indegree.get(s)! - 1);
            if (indegree.get(s) === 0) ready.push(s);
        }
    }
    if (done < ids.length) {
        const stuck = ids.filter((id) => indegree.get(id)! > 0);
        throw new Error(`the dependency graph has a cycle through or behind: ${stuck.join(", ")}`);
    }
    let end: string | undefined;
    for (const id of ids) if (end === undefined || best.get(id)!.weight > best.get(end)!.weight) end = id;
    const chain: string[] = [];
    for (let at = end; at !== undefined; at = best.get(at)!.via) if (weight(at) > 0) chain.unshift(at);
    return { weight: end === undefined ? 0 : best.get(end)!.weight, chain };
}

/** The heaviest chain that ends at a node `endsAt` accepts (e.g. a step on a worker host). */
export function longestPathEndingAt(preds: Map<string, string[]>, weight: (id: string) => number, endsAt: (id: string) => boolean): CriticalPath {
    // Only the ancestors of accepted nodes matter: restrict the graph to them.
    const keep = new Set<string>();
    const stack = [...preds.keys()].filter(endsAt);
    while (stack.length > 0) {
        const id = stack.pop()!;
        if (keep.has(id)) continue;
        keep.add(id);
        stack.push(...(preds.get(id) ?? []));
    }
    const sub = new Map([...keep].map((id) => [id, preds.get(id)!]));
    // A kept node that is not accepted may still end the heaviest chain of the subgraph: weigh the
    // accepted ends only by adding a virtual sink after them.
    const sink = "\u0000end";
    sub.set(sink, [...keep].filter(endsAt));
    const path = longestPath(sub, (id) => (id === sink ? 0 : weight(id)));
    return path;
}
