/** The plain bridge CNI network of one node, until flannel writes its own. */
import type { WorkerNodePlan } from "./plan";

/** The network's name in the conflist (containerd reads the first file of the folder). */
export const BRIDGE_NETWORK_NAME = "k8s-binary-bridge";

/**
 * /etc/cni/net.d/10-k8s-binary-bridge.conflist: pods on the bridge cni0 with addresses from the
 * node's `podSubnet`, the bridge as their default gateway, hairpin (a pod reaches itself through
 * its Service), hostPort through portmap. `ipMasq` masquerades what leaves the node's subnet, since
 * nothing routes pod addresses between hosts yet (pods then reach the apiservers and other hosts).
 * Throws when the plan has no `podSubnet`.
 */
export function renderBridgeConflist(plan: WorkerNodePlan): string {
    if (plan.podSubnet === undefined) throw new Error(`WorkerNode ${plan.name}: no podSubnet, so no bridge network`);
    return `${JSON.stringify(
        {
            cniVersion: "1.0.0",
            name: BRIDGE_NETWORK_NAME,
            plugins: [
                {
                    type: "bridge",
                    bridge: "cni0",
                    isGateway: true,
                    isDefaultGateway: true,
                    hairpinMode: true,
                    ipMasq: true,
                    ipam: { type: "host-local", ranges: [[{ subnet: plan.podSubnet }]] },
                },
                { type: "portmap", capabilities: { portMappings: true } },
            ],
        },
        null,
        2,
    )}\n`;
}
