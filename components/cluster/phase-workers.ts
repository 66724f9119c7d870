import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ControlPlane } from "../control-plane";
import type { Host, HostPlan, InstalledRelease } from "../host";
import type { CaKeyPair } from "../pki";
import { corednsObjects, WorkerNode } from "../worker";
import type { Arch, ClusterSpec } from "../cluster-spec/schema";
import type { ResolvedReleases } from "../cluster-spec/artifacts";
import { roleReleases } from "./host-needs";
import { nodeDrainerKubeconfig } from "./node-drainer";
import { workerNodeArgs } from "./worker-args";

/**
 * Phase 5: a WorkerNode on every node host (the workers, and the control plane when it registers
 * nodes), running the releases its host plan installed, after its host's preparation and the
 * control plane (CA, endpoint, bootstrap token); then CoreDNS through the control plane's provider.
 */
export function deployWorkers(
    parent: pulumi.Resource,
    name: string,
    spec: ClusterSpec,
    hosts: Map<string, Host>,
    plans: Map<string, HostPlan>,
    releases: Map<Arch, ResolvedReleases>,
    cluster: { ca: CaKeyPair; controlPlane: ControlPlane },
): { nodes: Map<string, WorkerNode>; drainerExpiry?: pulumi.Output<string>; coredns?: k8s.apps.v1.Deployment } {
    const args = workerNodeArgs(spec, hosts);
    const token = pulumi.secret(cluster.controlPlane.bootstrapToken.apply((t) => `${t.id}.${t.secret}`));
    const drainer = args.size > 0 ? nodeDrainerKubeconfig(parent, name, spec, cluster) : undefined;
    const list = [...args].map(([hostName, a]): [string, WorkerNode] => {
        const hostSpec = spec.hosts.find((h) => h.name === hostName)!;
        const files = roleReleases(spec, hostSpec).worker.flatMap((purpose) => {
            const f = releases.get(hostSpec.arch)![purpose];
            return f === undefined ? [] : Array.isArray(f) ? f : [f];
        });
        const plan = plans.get(hostName)!;
        const installed: InstalledRelease[] = files.map((f) => plan.release(f.name, f.version));
        // containerd finds the CNI plugins where the release put them.
        const cni = installed.find((r) => r.paths.bridge !== undefined);
        // Nodes drain on removal with the kubectl their Kubernetes release holds (the server tarball, or a pinned kubectl).
        const removal = drainer && installed.some((r) => r.paths.kubectl !== undefined) ? { removal: { kubeconfig: drainer.kubeconfig } } : {};
        const node = new WorkerNode(
            `${name}-node-${hostName}`,
            { ...a, installed, ca: cluster.ca, bootstrapToken: token, ...removal, ...(cni ? { cniBinDir: cni.installDir } : {}) },
            { parent, dependsOn: [plan.prep.ready, cluster.controlPlane] },
        );
        return [hostName, node];
    });
    const nodes = new Map(list);
    if (nodes.size === 0) return { nodes };
    const drainerExpiry = drainer?.expiry;
    const objects = corednsObjects({ clusterDns: spec.network.clusterDns, clusterDomain: spec.network.clusterDomain });
    const inCluster = { parent, provider: cluster.controlPlane.provider, dependsOn: [...nodes.values()].map((n) => n.ready) };
    const dns = `${name}-coredns`;
    new k8s.core.v1.ServiceAccount(dns, objects.serviceAccount, inCluster);
    new k8s.rbac.v1.ClusterRole(dns, objects.clusterRole, inCluster);
    new k8s.rbac.v1.ClusterRoleBinding(dns, objects.clusterRoleBinding, inCluster);
    new k8s.core.v1.ConfigMap(dns, objects.configMap, inCluster);
    // Ready within minutes once the nodes hold its image; a missing image fails the run instead of hanging it.
    const coredns = new k8s.apps.v1.Deployment(dns, objects.deployment, { ...inCluster, customTimeouts: { create: "5m", update: "5m" } });
    new k8s.core.v1.Service(dns, objects.service, inCluster);
    return { nodes, drainerExpiry, coredns };
}
