// One deploy timed: the program (index.ts) on the Pulumi engine from empty test hosts to every
// node Ready and CoreDNS answering, then a no-op `up` on the same cluster.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { runProgram } from "../../../test/support/engine";
import { mirrorBinaries } from "../../../test/support/mirror-binaries";
import { mirrorImages } from "../../../test/support/toolchain";
import { startTestbed, type Testbed } from "../../../test/support/testbed";
import { sandboxSpec, type Topology } from "../../sandbox/topology";
import { inotifyInstances } from "./inotify";
import { waitClusterReady } from "./ready";

const PROGRAM = join(__dirname, "../../../index.ts");

/** The figures of one deploy. */
export interface DeployFigures {
    topology: string;
    hosts: number;
    nodes: number;
    /** Remote and local commands the first `up` ran. */
    commands: number;
    /** From the `up`'s start until it returned. */
    upMs: number;
    /** From the `up`'s start until every node was Ready and CoreDNS answered. */
    readyMs: number;
    /** inotify instances per host once the cluster was ready (./inotify.ts). */
    inotifyPerHost: number;
    /** A second `up` with nothing changed, and the commands it ran (none expected). */
    noopMs: number;
    noopCommands: number;
}

/** A deployed cluster, still running, for the floor to copy from. */
export interface Deployed {
    testbed: Testbed;
    figures: DeployFigures;
    /** The engine's exported state (the in-cluster objects' inputs). */
    stateFile: string;
    kubeconfigFile: string;
    /** Unix seconds just before the deploy: host files changed after it are the deploy's. */
    since: number;
    nodes: string[];
    probeHost: string;
}

/** The nodes of a topology: workers, and control-plane hosts (registered by default). */
export const nodesOf = (topology: Topology) => topology.hosts.filter((h) => h.roles.includes("worker") || h.roles.includes("control-plane")).map((h) => h.name);

/** Starts hosts for the topology and deploys it; the testbed is left running (the caller stops it). */
export async function deployProgram(name: string, topology: Topology, mirror: string, work: string): Promise<Deployed> {
    const inotifyBefore = inotifyInstances();
    const testbed = await startTestbed({ hosts: topology.hosts.map((h) => h.name) });
    try {
        const base = await testbed.serveDirectory(mirror);
        const images = mirrorImages(mirror).filter((i) => !i.ref.includes("agnhost"));
        const spec = sandboxSpec(
            topology,
            { flannel: "daemonset", backend: "vxlan" },
            {
                hosts: [...testbed.hosts],
                subnet: testbed.subnet,
                podCidr: testbed.podCidr,
                serviceCidr: testbed.serviceCidr,
                vip: testbed.address(100),
                privateKeyPath: testbed.privateKeyPath,
            },
            mirrorBinaries(mirror, base),
            images,
            base,
        );
        const stateFile = join(work, `${name}.state.json`);
        const config = { "k8s-binary:cluster": JSON.stringify(spec) };
        const nodes = nodesOf(topology);
        const probeHost = topology.hosts.find((h) => h.roles.includes("control-plane"))!.name;
        const since = Math.floor(Date.now() / 1000) - 1;
        const started = performance.now();
        const first = await runProgram({ program: PROGRAM, stateFile, config });
        const upMs = performance.now() - started;
        const kubeconfigFile = join(work, `${name}.admin.conf`);
        writeFileSync(kubeconfigFile, String(first.outputs.adminKubeconfig), { mode: 0o600 });
        await waitClusterReady(testbed, kubeconfigFile, nodes, probeHost);
        const readyMs = performance.now() - started;
        const inotifyPerHost = (inotifyInstances() - inotifyBefore) / topology.hosts.length;
        const noopStarted = performance.now();
        const noop = await runProgram({ program: PROGRAM, stateFile, config });
        const noopMs = performance.now() - noopStarted;
        const figures: DeployFigures = {
            topology: name,
            hosts: topology.hosts.length,
            nodes: nodes.length,
            commands: first.commandLog.length,
            upMs: Math.round(upMs),
            readyMs: Math.round(readyMs),
            inotifyPerHost: Math.round(inotifyPerHost * 10) / 10,
            noopMs: Math.round(noopMs),
            noopCommands: noop.commandLog.length,
        };
        return { testbed, figures, stateFile, kubeconfigFile, since, nodes, probeHost };
    } catch (error) {
        await testbed.stop();
        throw error;
    }
}
