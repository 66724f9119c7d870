/**
 * Deploy time on the testbed (docs/benchmarks.md, "Deploy time"), in one run:
 * - seed 001's topology (the sandbox's) from empty hosts to every node Ready and CoreDNS
 *   answering, a no-op `up`, and the floor: the same daemons started by hand in the same order on
 *   the same hosts (scripts/bench/deploy/floor.ts);
 * - one control-plane host with N workers, for each N: whether workers proceed in parallel.
 *
 *   npm run bench:deploy                          seed001 with its floor; N = 1, 4, 8
 *   npm run bench:deploy -- --workers 1,2 --no-floor --json out.json
 * Needs root (test hosts) and the toolchain (npm run toolchain -- build).
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { makeMirror } from "../test/support/toolchain";
import { TOPOLOGIES, type Topology } from "./sandbox/topology";
import { measureFloor, type FloorFigures } from "./bench/deploy/floor";
import { checkInotifyRoom } from "./bench/deploy/inotify";
import { deployProgram, type DeployFigures } from "./bench/deploy/program-deploy";

const { values } = parseArgs({
    options: { workers: { type: "string", default: "1,4,8" }, "no-floor": { type: "boolean", default: false }, json: { type: "string" } },
});
const counts = values.workers!.split(",").map((n) => {
    const v = Number(n);
    if (!Number.isInteger(v) || v < 1) throw new Error(`--workers: not a worker count: ${n}`);
    return v;
});

/** One control-plane host (etcd, the control plane, a tainted node) and N workers. */
const withWorkers = (n: number): Topology => ({
    summary: `cp1 and ${n} workers`,
    hosts: [{ name: "cp1", roles: ["etcd", "control-plane"] }, ...Array.from({ length: n }, (_, i) => ({ name: `w${i + 1}`, roles: ["worker" as const] }))],
});

const s = (ms: number) => (ms / 1000).toFixed(1);

async function main(): Promise<void> {
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-bench-deploy-"));
    try {
        const mirror = makeMirror(join(work, "mirror"));
        const runs: DeployFigures[] = [];
        let floor: FloorFigures | undefined;
        const seed = await deployProgram("seed001", TOPOLOGIES.seed001, mirror, join(work));
        runs.push(seed.figures);
        console.log(`seed001: ready in ${s(seed.figures.readyMs)} s`);
        if (values["no-floor"]) await seed.testbed.stop();
        else {
            floor = await measureFloor(seed, TOPOLOGIES.seed001, mirror, work);
            console.log(
                `seed001 floor: ready in ${s(floor.readyMs)} s (${Object.entries(floor.steps)
                    .map(([k, v]) => `${k} ${s(v)}`)
                    .join(", ")})`,
            );
        }
        for (const n of counts) {
            // Each size must fit the machine's inotify limit at the highest rate measured so far.
            checkInotifyRoom(`cp1 + ${n} workers`, n + 1, Math.max(...runs.map((r) => r.inotifyPerHost)));
            const run = await deployProgram(`workers-${n}`, withWorkers(n), mirror, work);
            await run.testbed.stop();
            runs.push(run.figures);
            console.log(`cp1 + ${n} workers: ready in ${s(run.figures.readyMs)} s`);
        }

        console.log("\ntopology         hosts  nodes  commands  up s  ready s  no-op s  no-op commands  inotify/host");
        for (const r of runs)
            console.log(
                `${r.topology.padEnd(15)} ${String(r.hosts).padStart(6)} ${String(r.nodes).padStart(6)} ${String(r.commands).padStart(9)} ${s(r.upMs).padStart(5)} ${s(r.readyMs).padStart(8)} ${s(r.noopMs).padStart(8)} ${String(r.noopCommands).padStart(15)} ${String(r.inotifyPerHost).padStart(13)}`,
            );
        if (floor)
            console.log(
                `\nseed001: program ${s(seed.figures.readyMs)} s, floor ${s(floor.readyMs)} s: ratio ${(seed.figures.readyMs / floor.readyMs).toFixed(2)}`,
            );
        const first = runs.find((r) => r.topology === `workers-${counts[0]}`)!;
        const last = runs.find((r) => r.topology === `workers-${counts[counts.length - 1]}`)!;
        if (first !== last)
            console.log(`${last.topology} over ${first.topology}: ${(last.readyMs / first.readyMs).toFixed(2)} (1.00 = workers fully in parallel)`);
        if (values.json) writeFileSync(values.json, `${JSON.stringify({ runs, floor }, null, 2)}\n`);
    } finally {
        rmSync(work, { recursive: true, force: true });
    }
}

main().catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
});
