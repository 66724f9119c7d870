import * as pulumi from "@pulumi/pulumi";
import type { DeployContext } from "./deploy-context";
import type { ControlPlane } from "../control-plane";
import type { InstalledRelease } from "../host";
import type { CaKeyPair } from "../pki";
import { DEFAULT_CNI_BIN_DIR } from "../flannel/args";
import { WorkerNode } from "../worker";
import { upgradeSlotCount } from "../cluster-spec/node-upgrade";
import { roleReleases } from "./host-needs";
import { nodeDrainerKubeconfig } from "./node-drainer";
import { flannelReleasesOn } from "./phase-network";
import { workerNodeArgs } from "./worker-args";

/**
 * Phase 5: a WorkerNode on every node host (the workers, and the control plane when it registers
 * nodes), running the releases its host plan installed, after its host's preparation and the
 * control plane (CA, endpoint, bootstrap token). containerd finds the CNI plugins in the release's
 * folder, and flannel's plugin where its mode puts it (the DaemonSet copies it to /opt/cni/bin).
 */
export function deployWorkers(
    at: DeployContext,
    cluster: { ca: CaKeyPair; controlPlane: ControlPlane },
): { nodes: Map<string, WorkerNode>; drainerExpiry?: pulumi.Output<string> } {
    const { parent, name, spec, hosts, plans, releases } = at;
    const args = workerNodeArgs(spec, hosts);
    const token = pulumi.secret(cluster.controlPlane.bootstrapToken.apply((t) => `${t.id}.${t.secret}`));
    const drainer = args.size > 0 ? nodeDrainerKubeconfig(parent, name, spec, cluster) : undefined;
    const slots = upgradeSlotCount(spec);
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
        // Nodes drain with the kubectl their Kubernetes release holds (the server tarball, or a pinned
        // kubectl): on removal, and before their kubelet moves to another version, a few at a time.
        const drains =
            drainer && installed.some((r) => r.paths.kubectl !== undefined)
                ? { removal: { kubeconfig: drainer.kubeconfig }, upgrade: { kubeconfig: drainer.kubeconfig, ...spec.nodes.upgrade, maxUnavailable: slots } }
                : {};
        // And flannel's CNI plugin where its mode puts it.
        const flannelCni = flannelReleasesOn(spec, hostSpec, plans, releases).find((r) => r.paths.flannel !== undefined);
        const extraCniBinDirs = spec.flannel.mode === "daemonset" ? [DEFAULT_CNI_BIN_DIR] : flannelCni ? [flannelCni.installDir] : [];
        const node = new WorkerNode(
            `${name}-node-${hostName}`,
            { ...a, installed, ca: cluster.ca, bootstrapToken: token, ...drains, ...(cni ? { cniBinDir: cni.installDir } : {}), extraCniBinDirs },
            { parent, dependsOn: [plan.prep.ready, cluster.controlPlane] },
        );
        return [hostName, node];
    });
    return { nodes: new Map(list), drainerExpiry: drainer?.expiry };
}
