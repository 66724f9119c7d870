import type * as pulumi from "@pulumi/pulumi";
import type { DeployContext } from "./deploy-context";
import type { ControlPlane } from "../control-plane";
import type { EtcdCluster } from "../etcd";
import { FlannelNetwork } from "../flannel";
import type { HostPlan, InstalledRelease } from "../host";
import type { CaKeyPair } from "../pki";
import type { WorkerNode } from "../worker";
import { flannelHosts } from "../cluster-spec/hosts";
import type { ResolvedReleases } from "../cluster-spec/artifacts";
import type { Arch, ClusterSpec, HostSpec } from "../cluster-spec/schema";
import { flannelArgs, flannelRunsUnderSystemd } from "./flannel-args";
import { roleReleases } from "./host-needs";

/** The flannel releases (flanneld, the CNI plugin) a host's plan installed: none unless flanneld runs under systemd there. */
export function flannelReleasesOn(spec: ClusterSpec, host: HostSpec, plans: Map<string, HostPlan>, releases: Map<Arch, ResolvedReleases>): InstalledRelease[] {
    const files = roleReleases(spec, host).flannel.flatMap((purpose) => {
        const f = releases.get(host.arch)![purpose];
        return f === undefined ? [] : Array.isArray(f) ? f : [f];
    });
    const plan = plans.get(host.name)!;
    return files.map((f) => plan.release(f.name, f.version));
}

/**
 * Phase 6: the pod network, once the kubelets run (flanneld under the kube subnet manager needs
 * its Node, and the DaemonSet nodes to run on) and, for hosts flannel runs on without a kubelet,
 * their preparation; in mode systemd-etcd, once etcd is healthy. Undefined in mode none.
 */
export function deployNetwork(
    at: DeployContext,
    cluster: { ca: CaKeyPair; etcdCa: CaKeyPair; etcd: EtcdCluster; controlPlane: ControlPlane; nodes: Map<string, WorkerNode> },
): FlannelNetwork | undefined {
    const { parent, name, spec, hosts, plans, releases } = at;
    const args = flannelArgs(spec, hosts);
    if (args === undefined) return undefined;
    const on = flannelHosts(spec);
    const installed = flannelRunsUnderSystemd(spec) ? Object.fromEntries(on.map((h) => [h.name, flannelReleasesOn(spec, h, plans, releases)])) : undefined;
    const after: pulumi.Resource[] = [
        cluster.controlPlane,
        ...on.map((h) => cluster.nodes.get(h.name)?.ready ?? plans.get(h.name)!.prep.ready),
        ...(spec.flannel.mode === "systemd-etcd" ? [cluster.etcd] : []),
    ];
    return new FlannelNetwork(
        `${name}-flannel`,
        {
            ...args,
            ...(installed ? { installed } : {}),
            ca: cluster.ca,
            etcd: args.etcd ? { ...args.etcd, ca: cluster.etcdCa } : undefined,
            provider: cluster.controlPlane.provider,
        },
        { parent, dependsOn: after },
    );
}
