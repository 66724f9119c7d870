// What the sandbox prints while the engine works and when it is done (pure).
import type { CommandLogEntry, Operation } from "../../test/support/engine";

/** The phase of a deploy each component of KubernetesCluster is (docs/architecture.md). */
const PHASES: Record<string, string> = {
    HostPlan: "hosts",
    EtcdCluster: "etcd",
    NginxKeepalivedLB: "load balancer",
    CertificateAuthority: "control plane",
    ControlPlane: "control plane",
    WorkerNode: "nodes",
    FlannelNetwork: "pod network",
};

/** The phase a resource belongs to, from the component types in its URN; "cluster" for the cluster's own. */
export function phaseOf(urn: string): string {
    const types = (urn.split("::")[2] ?? "").split("$").map((t) => t.split(":").pop()!);
    for (const type of types) if (PHASES[type]) return PHASES[type];
    return "cluster";
}

/** `m:ss` */
export function clock(ms: number): string {
    const s = Math.floor(ms / 1000);
    return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** One finished command: elapsed time, phase, host, step; failures say so. */
export function progressLine(entry: CommandLogEntry, elapsedMs: number, hostNames: ReadonlyMap<string, string>): string {
    const step = entry.urn.slice(entry.urn.lastIndexOf("::") + 2);
    // A local command runs on this machine, where Pulumi runs (a wait through the cluster's endpoint).
    const host = entry.host === "localhost" ? "local" : (hostNames.get(entry.host) ?? entry.host);
    const outcome = entry.exitCode === 0 ? "" : `  FAILED (exit ${entry.exitCode ?? "none"})`;
    return `  ${clock(elapsedMs).padStart(5)}  ${phaseOf(entry.urn).padEnd(13)}  ${host.padEnd(9)}  ${entry.phase} ${step}${outcome}`;
}

/** The engine's steps counted by kind, the unchanged ones left out: "no changes" when there are none. */
export function changeSummary(operations: readonly Operation[]): string {
    const counts = new Map<string, number>();
    for (const o of operations) if (o.op !== "same" && o.type !== "pulumi:pulumi:Stack") counts.set(o.op, (counts.get(o.op) ?? 0) + 1);
    if (counts.size === 0) return "no changes";
    return [...counts].map(([op, n]) => `${n} ${op}`).join(", ");
}
