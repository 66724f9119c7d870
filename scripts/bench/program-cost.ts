// Program evaluation cost as the cluster grows: each size evaluated in a fresh process
// (scripts/bench/evaluate.ts) with the synthetic spec of scripts/bench/spec.ts.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import type { EvaluationResult } from "./evaluate";
import { syntheticCluster, validatedSyntheticCluster, type ClusterSize } from "./spec";

/** One size's figures: the median run of `repeat` (by evaluation time), with the spread. */
export interface SizeResult extends EvaluationResult {
    size: ClusterSize;
    hosts: number;
    /** Wall milliseconds of the whole child process (node start, TypeScript loading, evaluation, graph analysis). */
    processMs: number;
    /** Evaluation milliseconds of every repeat, in run order. */
    evalMsRuns: number[];
}

const REPO_ROOT = path.resolve(__dirname, "../..");

/** Instructions one whole evaluation process executed, counted by callgrind: unlike time, not moved by the machine's load. */
export interface InstructionCount {
    size: ClusterSize;
    hosts: number;
    resources: number;
    /** Instructions executed by the whole process (node start, loading, evaluation, graph analysis). */
    instructions: number;
}

async function evaluateOnce(
    size: ClusterSize,
    options: EvaluationOptions,
    callgrind = false,
): Promise<EvaluationResult & { processMs: number; instructions?: number }> {
    validatedSyntheticCluster(size);
    const raw = syntheticCluster(size) as { hosts: { name: string; roles: string[] }[] };
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-binary-bench-eval-"));
    const resultFile = path.join(dir, "result.json");
    try {
        const started = performance.now();
        const node = [process.execPath, "--import", "tsx", path.join(__dirname, "evaluate.ts"), resultFile];
        const command = callgrind ? ["valgrind", "--tool=callgrind", `--callgrind-out-file=${path.join(dir, "callgrind.out")}`, ...node] : node;
        const child = spawn(command[0], command.slice(1), {
            cwd: REPO_ROOT,
            env: {
                ...process.env,
                PULUMI_CONFIG: JSON.stringify({ "k8s-binary:cluster": JSON.stringify(raw), "k8s-binary:sshPrivateKey": "benchmark-key-never-used" }),
                PULUMI_CONFIG_SECRET_KEYS: JSON.stringify(["k8s-binary:sshPrivateKey"]),
                BENCH_HOST_ROLES: JSON.stringify(Object.fromEntries(raw.hosts.map((h) => [h.name, h.roles[0]]))),
                ...(options.stepMs ? { BENCH_STEP_MS: JSON.stringify(options.stepMs) } : {}),
                BENCH_SOURCE_MAPS: options.sourceMaps ? "on" : "off",
            },
            stdio: ["ignore", "pipe", "pipe"],
        });
        let output = "";
        child.stdout.on("data", (d: Buffer) => (output += d));
        child.stderr.on("data", (d: Buffer) => (output += d));
        const code = await new Promise<number | null>((resolve, reject) => {
            child.on("error", reject);
            child.on("close", resolve);
        });
        const processMs = performance.now() - started;
        if (code !== 0 || !fs.existsSync(resultFile)) throw new Error(`evaluation of ${JSON.stringify(size)} exited with ${code}:\n${output}`);
        const result = { ...(JSON.parse(fs.readFileSync(resultFile, "utf8")) as EvaluationResult), processMs };
        if (!callgrind) return result;
        const refs = /I\s+refs:\s+([\d,]+)/.exec(output);
        if (!refs) throw new Error(`callgrind printed no instruction count:\n${output}`);
        return { ...result, instructions: Number(refs[1].replace(/,/g, "")) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

export interface EvaluationOptions {
    /** Step key -> measured ms: each result then estimates its critical path's duration. Default: none. */
    stepMs?: Record<string, number>;
    /** Source-mapped stack traces, as tsx turns on (Pulumi captures a stack for every promise it tracks). Default: true. */
    sourceMaps: boolean;
}

/** Evaluates each size `repeat` times, one process at a time (the figures are wall times). */
export async function measureProgramCost(
    sizes: ClusterSize[],
    repeat: number,
    progress: (line: string) => void,
    options: EvaluationOptions,
): Promise<SizeResult[]> {
    const results: SizeResult[] = [];
    for (const size of sizes) {
        const runs: (EvaluationResult & { processMs: number })[] = [];
        for (let i = 0; i < repeat; i++) runs.push(await evaluateOnce(size, options));
        const median = [...runs].sort((a, b) => a.evalMs - b.evalMs)[Math.floor((runs.length - 1) / 2)];
        const hosts = size.etcd + size.controlPlanes + size.lbs + size.workers;
        results.push({ ...median, size, hosts, evalMsRuns: runs.map((r) => Math.round(r.evalMs)) });
        progress(`  ${hosts} hosts: evaluation ${runs.map((r) => `${(r.evalMs / 1000).toFixed(1)} s`).join(", ")}`);
    }
    return results;
}

/** Runs each size once under `valgrind --tool=callgrind` (about 50 times slower than without). */
export async function countInstructions(sizes: ClusterSize[], progress: (line: string) => void, options: EvaluationOptions): Promise<InstructionCount[]> {
    const out: InstructionCount[] = [];
    for (const size of sizes) {
        const r = await evaluateOnce(size, options, true);
        const hosts = size.etcd + size.controlPlanes + size.lbs + size.workers;
        out.push({ size, hosts, resources: r.resources, instructions: r.instructions! });
        progress(`  ${hosts} hosts under callgrind: ${(r.instructions! / 1e9).toFixed(2)} G instructions in ${(r.processMs / 1000).toFixed(0)} s`);
    }
    return out;
}
