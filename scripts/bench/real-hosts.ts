// Real deploy time on test hosts: the integration programs (host primitives with HostPrep on a
// growing number of hosts, an EtcdCluster of 3, an NginxKeepalivedLB of 2) deployed over SSH by
// the test engine, a first run and a no-change re-run each, with every remote command's duration
// from the engine's command log.
import { spawnSync } from "child_process";
import { createHash, randomBytes } from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { performance } from "perf_hooks";
import { startTestbed, testbedAvailable, type Testbed } from "../../test/support/testbed";
import { runProgram, type CommandLogEntry } from "../../test/support/engine";
import { builtEtcdRelease } from "../../test/support/etcd-release";
import { stepKey } from "./step-key";

const PROGRAMS = path.resolve(__dirname, "../../test/integration/programs");
/** Host names of a testbed of n hosts. */
const hostNames = (n: number) => Array.from({ length: n }, (_, i) => `h${i + 1}`);

/** One program's two runs. */
export interface ProgramRun {
    program: string;
    /** How many hosts it deployed to. */
    hosts: number;
    firstRunMs: number;
    firstRunCommands: number;
    /** Sum of the first run's command durations: what a one-host-at-a-time tool would wait. */
    firstRunCommandMs: number;
    rerunMs: number;
    rerunCommands: number;
    /** The first run's commands by step (`stepKey`: host and instance names taken out), slowest first. */
    steps: { step: string; runs: number; medianMs: number; maxMs: number }[];
}

export interface RealHostsResult {
    /** Hosts of the testbed. */
    hosts: number;
    bootMs: number;
    programs: ProgramRun[];
}

function steps(log: CommandLogEntry[], hosts: number, instance: string | undefined): ProgramRun["steps"] {
    const by = new Map<string, number[]>();
    for (const e of log) {
        const step = stepKey(e.urn.slice(e.urn.lastIndexOf("::") + 2), new Set(hostNames(hosts)), instance === undefined ? [] : [instance]);
        by.set(step, [...(by.get(step) ?? []), e.durationMs]);
    }
    return [...by]
        .map(([step, ms]) => {
            const sorted = [...ms].sort((a, b) => a - b);
            return { step, runs: ms.length, medianMs: Math.round(sorted[Math.floor((sorted.length - 1) / 2)]), maxMs: Math.round(sorted[sorted.length - 1]) };
        })
        .sort((a, b) => b.medianMs - a.medianMs || a.step.localeCompare(b.step));
}

/** A first run and a no-change re-run; `instance` is the name the program gives its component. */
async function twoRuns(
    label: string,
    hosts: number,
    program: string,
    instance: string | undefined,
    config: Record<string, string>,
    stateFile: string,
    progress: (l: string) => void,
): Promise<ProgramRun> {
    let started = performance.now();
    const first = await runProgram({ program, stateFile, config });
    const firstRunMs = performance.now() - started;
    progress(`  ${label}: first run ${(firstRunMs / 1000).toFixed(1)} s`);
    started = performance.now();
    const rerun = await runProgram({ program, stateFile, config });
    const rerunMs = performance.now() - started;
    progress(`  ${label}: no-change re-run ${(rerunMs / 1000).toFixed(1)} s`);
    return {
        program: label,
        hosts,
        firstRunMs,
        firstRunCommands: first.commandLog.length,
        firstRunCommandMs: first.commandLog.reduce((s, e) => s + e.durationMs, 0),
        rerunMs,
        rerunCommands: rerun.commandLog.length,
        steps: steps(first.commandLog, hosts, instance),
    };
}

/** A release-style tarball holding the executables the primitives program installs; returns its sha256. */
function packDemotool(dir: string, file: string): string {
    const src = path.join(dir, "demotool.d", "demotool-linux-amd64");
    fs.mkdirSync(path.join(src, "extra"), { recursive: true });
    fs.writeFileSync(path.join(src, "demotool"), "#!/bin/sh\nexec sleep infinity\n", { mode: 0o755 });
    fs.writeFileSync(path.join(src, "extra", "helper-amd64"), "#!/bin/sh\necho helper\n", { mode: 0o755 });
    const r = spawnSync("tar", ["-czf", path.join(dir, file), "-C", path.join(dir, "demotool.d"), "./demotool-linux-amd64"], { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`packing ${file}: ${r.stderr}`);
    return createHash("sha256")
        .update(fs.readFileSync(path.join(dir, file)))
        .digest("hex");
}

/**
 * Deploys the host primitives to each of `prepHosts` hosts (fresh state each time: every step
 * runs), then etcd and the LB to three; returns why not when the testbed cannot run here.
 */
export async function measureRealHosts(prepHosts: number[], progress: (line: string) => void): Promise<RealHostsResult | { skipped: string }> {
    const availability = testbedAvailable();
    if (!availability.ok) return { skipped: availability.reason };
    const work = fs.mkdtempSync(path.join(os.tmpdir(), "k8s-binary-bench-hosts-"));
    let testbed: Testbed | undefined;
    try {
        const releases = path.join(work, "releases");
        fs.mkdirSync(releases);
        const size = Math.max(3, ...prepHosts);
        const etcd = builtEtcdRelease();
        fs.copyFileSync(path.join(etcd.dir, etcd.file), path.join(releases, etcd.file));
        testbed = await startTestbed({ hosts: hostNames(size) });
        progress(`real hosts: ${size} test hosts up in ${(testbed.timings.bootMs / 1000).toFixed(1)} s`);
        const toolSha = packDemotool(releases, "demotool-1.0.0.tar.gz");
        const baseUrl = await testbed.serveDirectory(releases);
        // The hosts share this machine's root, where Debian's etcd-server package left its own unit.
        await Promise.all(
            testbed.hosts.map((h) =>
                testbed!.exec(
                    h.name,
                    "rm -f /etc/init.d/etcd /etc/default/etcd /lib/systemd/system/etcd.service /etc/systemd/system/multi-user.target.wants/etcd.service",
                ),
            ),
        );
        const hostsJson = (n: number) =>
            JSON.stringify(testbed!.hosts.slice(0, n).map((h) => ({ name: h.name, address: h.address, connection: { ...h.connection, hostKey: h.hostKey } })));

        const runs: ProgramRun[] = [];
        for (const n of prepHosts) {
            runs.push(
                await twoRuns(
                    `host primitives + HostPrep on ${n}`,
                    n,
                    path.join(PROGRAMS, "primitives.ts"),
                    undefined,
                    {
                        "testbed:hosts": hostsJson(n),
                        "testbed:release": JSON.stringify({ url: `${baseUrl}/demotool-1.0.0.tar.gz`, sha256: toolSha, version: "1.0.0" }),
                        "testbed:serviceConfig": "greeting=hello\n",
                        "testbed:secret": `testbed-secret-${randomBytes(12).toString("hex")}`,
                    },
                    path.join(work, `primitives-${n}.json`),
                    progress,
                ),
            );
        }
        runs.push(
            await twoRuns(
                "EtcdCluster of 3",
                3,
                path.join(PROGRAMS, "etcd.ts"),
                "etcd",
                {
                    "etcd:hosts": hostsJson(3),
                    "etcd:release": JSON.stringify({ version: etcd.version, url: `${baseUrl}/${etcd.file}`, sha256: etcd.sha256 }),
                    "etcd:network": testbed.subnet,
                },
                path.join(work, "etcd.json"),
                progress,
            ),
        );
        // The VIP answering is a TCP accept by nginx: the backend need not listen.
        const [lb1, lb2, backend] = testbed.hosts;
        runs.push(
            await twoRuns(
                "NginxKeepalivedLB of 2",
                2,
                path.join(PROGRAMS, "lb.ts"),
                "apiserver",
                {
                    "lb:hosts": JSON.stringify(
                        [lb1, lb2].map((h) => ({ name: h.name, address: h.address, connection: { ...h.connection, hostKey: h.hostKey } })),
                    ),
                    "lb:args": JSON.stringify({
                        vip: testbed.address(100),
                        interface: "eth0",
                        virtualRouterId: 51,
                        backends: [`${backend.address}:6443`],
                        preempt: true,
                    }),
                },
                path.join(work, "lb.json"),
                progress,
            ),
        );
        return { hosts: size, bootMs: testbed.timings.bootMs, programs: runs };
    } finally {
        await testbed?.stop();
        fs.rmSync(work, { recursive: true, force: true });
    }
}
