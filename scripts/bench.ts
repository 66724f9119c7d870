// The project's benchmarks (docs/benchmarks.md): program evaluation cost and the critical path
// of remote steps as the cluster grows, and with --hosts the real deploy time on test hosts.
//
//   npm run bench                      sizes 3 etcd + 2 control planes + 2 lb + 0..200 workers, and 1..7 etcd members
//   npm run bench -- --json out.json   the figures as JSON too
//   npm run bench -- --workers 0,10 --etcd 3 --repeat 3
//   npm run bench -- --hosts           deploy to test hosts first (root; see test/support/testbed), and
//                                      weigh each critical path with the step durations measured there
//   npm run bench -- --hosts --prep-hosts 3,6,12   HostPrep deployed to that many hosts each time
//   npm run bench -- --source-maps off             evaluate without source-mapped stack traces
//   npm run bench -- --callgrind 0,10              also count instructions at those worker counts (valgrind; slow)
//   npm run bench -- --step-ms out.json   weigh with the step durations of an earlier --hosts report
import * as fs from "fs";
import * as os from "os";
import { parseArgs } from "util";
import { countInstructions, measureProgramCost, type InstructionCount, type SizeResult } from "./bench/program-cost";
import { measureRealHosts, type RealHostsResult } from "./bench/real-hosts";
import type { ClusterSize } from "./bench/spec";

const { values } = parseArgs({
    options: {
        workers: { type: "string", default: "0,10,50,100,200" },
        etcd: { type: "string", default: "1,3,5,7" },
        "etcd-workers": { type: "string", default: "10" },
        repeat: { type: "string", default: "1" },
        json: { type: "string" },
        hosts: { type: "boolean", default: false },
        "skip-program": { type: "boolean", default: false },
        "step-ms": { type: "string" },
        "prep-hosts": { type: "string", default: "3,12" },
        "source-maps": { type: "string", default: "on" },
        callgrind: { type: "string", default: "" },
    },
});
const numbers = (s: string) =>
    s === ""
        ? []
        : s.split(",").map((n) => {
              const v = Number(n);
              if (!Number.isInteger(v) || v < 0) throw new Error(`not a count: ${n}`);
              return v;
          });
const repeat = Math.max(1, numbers(values.repeat!)[0] ?? 1);
if (values["source-maps"] !== "on" && values["source-maps"] !== "off") throw new Error("--source-maps is on or off");

/** Workers grow with etcd at 3; then etcd members grow at a fixed worker count (duplicates dropped). */
function sizes(): ClusterSize[] {
    const all = [
        ...numbers(values.workers!).map((workers) => ({ etcd: 3, controlPlanes: 2, lbs: 2, workers })),
        ...numbers(values.etcd!).flatMap((etcd) => numbers(values["etcd-workers"]!).map((workers) => ({ etcd, controlPlanes: 2, lbs: 2, workers }))),
    ];
    return all.filter((s, i) => all.findIndex((o) => JSON.stringify(o) === JSON.stringify(s)) === i);
}

function table(header: string[], rows: (string | number)[][]): string {
    const cells = [header, ...rows.map((r) => r.map(String))];
    const widths = header.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
    const line = (r: string[]) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join("  ");
    return [line(cells[0]), widths.map((w) => "-".repeat(w)).join("  "), ...cells.slice(1).map(line)].join("\n");
}

function programTable(results: SizeResult[]): string {
    return table(
        [
            "etcd+cp+lb+workers",
            "hosts",
            "resources",
            "remote steps",
            "load s",
            "eval s",
            "eval CPU s",
            "ms/resource",
            "peak RSS MiB",
            "critical path",
            "etcd chain",
            "lb chain",
            "cp chain",
            "worker chain",
            "incl. update-only",
            "estimate s",
        ],
        results.map((r) => {
            const chain = (role: string) => (r.byRole[role] ? r.byRole[role].weight : "-");
            return [
                `${r.size.etcd}+${r.size.controlPlanes}+${r.size.lbs}+${r.size.workers}`,
                r.hosts,
                r.resources,
                r.remoteSteps,
                (r.loadMs / 1000).toFixed(1),
                (r.evalMs / 1000).toFixed(1),
                (r.evalCpuMs / 1000).toFixed(1),
                (r.evalMs / r.resources).toFixed(1),
                (r.maxRssKiB / 1024).toFixed(0),
                r.criticalPath.weight,
                chain("etcd"),
                chain("lb"),
                chain("control-plane"),
                chain("worker"),
                r.declaredPath.weight,
                r.estimate ? (r.estimate.weight / 1000).toFixed(1) : "-",
            ];
        }),
    );
}

function realHostsReport(r: RealHostsResult): string {
    const lines = [`testbed: ${r.hosts} hosts booted in ${(r.bootMs / 1000).toFixed(1)} s`, ""];
    lines.push(
        table(
            ["program", "hosts", "first run s", "remote commands", "command time s", "re-run s", "re-run commands"],
            r.programs.map((p) => [
                p.program,
                p.hosts,
                (p.firstRunMs / 1000).toFixed(1),
                p.firstRunCommands,
                (p.firstRunCommandMs / 1000).toFixed(1),
                (p.rerunMs / 1000).toFixed(1),
                p.rerunCommands,
            ]),
        ),
    );
    const shown = new Set<string>();
    for (const p of r.programs) {
        // One step table per program (the smallest run of a program deployed to several sizes).
        const program = p.program.replace(/ on \d+$/, "");
        if (shown.has(program)) continue;
        shown.add(program);
        lines.push(`\n${p.program}, first run:`);
        lines.push(
            table(
                ["step", "runs", "median ms", "max ms"],
                p.steps.map((s) => [s.step, s.runs, s.medianMs, s.maxMs]),
            ),
        );
    }
    return lines.join("\n");
}

/** Step key -> median ms, from the first run that measured the step (the smallest deployments come first). */
function stepDurations(r: RealHostsResult): Record<string, number> {
    const out: Record<string, number> = {};
    for (const p of r.programs) for (const s of p.steps) if (!(s.step in out)) out[s.step] = s.medianMs;
    return out;
}

async function main() {
    const report: {
        machine: Record<string, unknown>;
        options: typeof values;
        programCost?: SizeResult[];
        instructions?: InstructionCount[];
        realHosts?: RealHostsResult | { skipped: string };
    } = {
        machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverage: os.loadavg(), node: process.version, date: new Date().toISOString() },
        options: values,
    };
    console.log(
        `machine: ${os.cpus().length} CPUs, load average ${os
            .loadavg()
            .map((l) => l.toFixed(1))
            .join(" ")}, node ${process.version}`,
    );
    let measured: RealHostsResult | undefined;
    if (values.hosts) {
        const prepHosts = [...new Set(numbers(values["prep-hosts"]!))].filter((n) => n > 0).sort((a, b) => a - b);
        const r = await measureRealHosts(prepHosts, (l) => console.log(l));
        report.realHosts = r;
        console.log(`\n${"skipped" in r ? `real hosts: skipped, ${r.skipped}` : realHostsReport(r)}\n`);
        if (!("skipped" in r)) measured = r;
    } else if (values["step-ms"]) {
        const earlier = JSON.parse(fs.readFileSync(values["step-ms"], "utf8")).realHosts as RealHostsResult | { skipped: string } | undefined;
        if (!earlier || "skipped" in earlier) throw new Error(`${values["step-ms"]} holds no step durations (a report of --hosts --json)`);
        measured = earlier;
    }
    const stepMs = measured && stepDurations(measured);
    if (!values["skip-program"]) {
        console.log(`program evaluation on the mock runtime, one process per size, ${repeat} run(s) each:`);
        report.programCost = await measureProgramCost(sizes(), repeat, (l) => console.log(l), { stepMs, sourceMaps: values["source-maps"] === "on" });
        console.log(`\n${programTable(report.programCost)}`);
        const largest = report.programCost.reduce((a, b) => (b.hosts > a.hosts ? b : a));
        console.log(`\ncritical path at ${largest.hosts} hosts: ${largest.criticalPath.chain.join(" -> ")}`);
        if (largest.byRole.worker) console.log(`worker chain: ${largest.byRole.worker.chain.join(" -> ")}`);
        if (largest.estimate)
            console.log(
                `estimated: ${(largest.estimate.weight / 1000).toFixed(1)} s along ${largest.estimate.chain.join(" -> ")}` +
                    (largest.estimate.unmeasured.length > 0 ? ` (not measured, counted at the median step: ${largest.estimate.unmeasured.join(", ")})` : ""),
            );
    }
    const callgrindWorkers = numbers(values.callgrind!);
    if (callgrindWorkers.length > 0) {
        console.log("\ninstructions (valgrind --tool=callgrind), whole evaluation process:");
        const counts = await countInstructions(
            callgrindWorkers.map((workers) => ({ etcd: 3, controlPlanes: 2, lbs: 2, workers })),
            (l) => console.log(l),
            { sourceMaps: values["source-maps"] === "on" },
        );
        report.instructions = counts;
        console.log(
            `\n${table(
                ["etcd+cp+lb+workers", "hosts", "resources", "G instructions", "M instructions per resource over the smallest"],
                counts.map((c) => [
                    `${c.size.etcd}+${c.size.controlPlanes}+${c.size.lbs}+${c.size.workers}`,
                    c.hosts,
                    c.resources,
                    (c.instructions / 1e9).toFixed(2),
                    c === counts[0] ? "-" : ((c.instructions - counts[0].instructions) / (c.resources - counts[0].resources) / 1e6).toFixed(1),
                ]),
            )}`,
        );
    }
    if (values.json) fs.writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
});
