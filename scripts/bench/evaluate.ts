// One program evaluation on Pulumi's mock runtime, in a process of its own (the mock runtime is
// global): loads the library, runs index.ts with the spec the parent put in PULUMI_CONFIG, waits
// until every registration has settled, and writes what it measured and the registered graph's
// critical paths to the file named by its first argument. Per-step durations measured on test
// hosts (BENCH_STEP_MS, step key -> ms) turn the critical path into a time estimate.
import * as fs from "fs";
import { performance } from "perf_hooks";
import {
    executionPredecessors,
    longestPath,
    longestPathEndingAt,
    REMOTE_STEP_TYPES,
    remoteStepWeight,
    type CriticalPath,
    type GraphNode,
} from "./critical-path";
import { stepKey } from "./step-key";

/** What one evaluation measured. */
export interface EvaluationResult {
    /** Milliseconds to load the library (@pulumi/* and the components): paid once per run whatever the size. */
    loadMs: number;
    /** Milliseconds from starting the program until every registration settled. */
    evalMs: number;
    /** CPU milliseconds (user + system, all threads) of that evaluation. */
    evalCpuMs: number;
    /** Peak resident set size of the process, KiB. */
    maxRssKiB: number;
    /** Registered resources: components, custom resources, remote steps (Command, CopyToRemote). */
    resources: number;
    components: number;
    remoteSteps: number;
    /** Count per resource type. */
    byType: Record<string, number>;
    /** The longest chain of remote steps a first deploy runs, resource names first to last. */
    criticalPath: CriticalPath;
    /** The same counting update- and delete-only steps too (a restart that runs only when its input changes): what a change to everything would chain. */
    declaredPath: CriticalPath;
    /** The longest chain of first-deploy steps ending at a step of each role's hosts. */
    byRole: Record<string, CriticalPath>;
    /** The first deploy's critical path weighed by measured step durations, when BENCH_STEP_MS was given. */
    estimate?: CriticalPath & {
        /** Steps on the chain with no measurement, counted at the median of all measured steps. */
        unmeasured: string[];
    };
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

// Modules are loaded here, not imported at the top, so that loading them is measured (and the
// program is evaluated when the measurement says, as the language host would run it).
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a timed, synchronous load
const load = (id: string): unknown => require(id);

async function main(resultFile: string, rolesOfHost: Record<string, string>, stepMs?: Record<string, number>) {
    // tsx turns source maps on; Pulumi captures a stack for every promise it tracks, so mapping them costs.
    if (process.env.BENCH_SOURCE_MAPS === "off") process.setSourceMapsEnabled(false);
    const loadStart = performance.now();
    // The one mock runtime (it loads @pulumi/pulumi), with the stand-in outputs the components read.
    const { installMockRuntime, settled } = load("../lib/mock-runtime") as typeof import("../lib/mock-runtime");
    const { standInOutputs } = load("../lib/stand-in-outputs") as typeof import("../lib/stand-in-outputs");
    load("../../components");
    const loadMs = performance.now() - loadStart;

    const { registrations } = installMockRuntime({ stack: "bench", outputs: standInOutputs });

    const cpuStart = process.cpuUsage();
    const evalStart = performance.now();
    load("../../index");
    await settled();
    const evalMs = performance.now() - evalStart;
    const cpu = process.cpuUsage(cpuStart);

    const nodes: GraphNode[] = registrations.map((r) => ({
        id: r.urn,
        type: r.type,
        custom: r.custom,
        ...(r.parent ? { parent: r.parent } : {}),
        dependencies: r.dependencies,
    }));
    // A step with no create script runs only when its input changes (a restart).
    const updateOnly = new Set(registrations.filter((r) => r.type === "command:remote:Command" && r.inputs.create === undefined).map((r) => r.name));
    const known = new Set(nodes.map((n) => n.id));
    // Providers and the stack's root are not registered under mocks: a parent outside the graph is none.
    const graph = nodes.map((n) => (n.parent !== undefined && !known.has(n.parent) ? { ...n, parent: undefined } : n));
    const byId = new Map(graph.map((n) => [n.id, n]));
    const preds = executionPredecessors(graph);
    const declared = (id: string) => remoteStepWeight(byId.get(id)!);
    const weight = (id: string) => (updateOnly.has(nameOf(id)) ? 0 : declared(id));
    const named = (p: CriticalPath): CriticalPath => ({ weight: p.weight, chain: p.chain.map(nameOf) });
    const roleByHost = new Map(Object.entries(rolesOfHost));
    const roleOf = (id: string) =>
        nameOf(id)
            .split("-")
            .map((t) => roleByHost.get(t))
            .find((r) => r !== undefined);
    const roles = [...new Set(Object.values(rolesOfHost))].sort();
    const byType: Record<string, number> = {};
    for (const n of graph) byType[n.type] = (byType[n.type] ?? 0) + 1;

    const result: EvaluationResult = {
        loadMs,
        evalMs,
        evalCpuMs: (cpu.user + cpu.system) / 1000,
        maxRssKiB: process.resourceUsage().maxRSS,
        resources: graph.length,
        components: graph.filter((n) => !n.custom).length,
        remoteSteps: graph.filter((n) => REMOTE_STEP_TYPES.has(n.type)).length,
        byType,
        criticalPath: named(longestPath(preds, weight)),
        declaredPath: named(longestPath(preds, declared)),
        byRole: Object.fromEntries(roles.map((r) => [r, named(longestPathEndingAt(preds, weight, (id) => weight(id) > 0 && roleOf(id) === r))])),
    };
    if (stepMs !== undefined && Object.keys(stepMs).length > 0) {
        const measured = Object.values(stepMs).sort((a, b) => a - b);
        const fallback = measured[Math.floor((measured.length - 1) / 2)];
        const hosts = new Set(Object.keys(rolesOfHost));
        // The program names its components "<cluster>-etcd" and "<cluster>-lb".
        const key = (id: string) => stepKey(nameOf(id), hosts, ["bench-etcd", "bench-lb"]);
        const path = longestPath(preds, (id) => (weight(id) === 0 ? 0 : (stepMs[key(id)] ?? fallback)));
        result.estimate = { ...named(path), unmeasured: path.chain.filter((id) => stepMs[key(id)] === undefined).map(nameOf) };
    }
    fs.writeFileSync(resultFile, JSON.stringify(result));
}

main(process.argv[2], JSON.parse(process.env.BENCH_HOST_ROLES ?? "{}"), process.env.BENCH_STEP_MS ? JSON.parse(process.env.BENCH_STEP_MS) : undefined).catch(
    (e) => {
        console.error(e instanceof Error ? e.stack : e);
        process.exit(1);
    },
);
