/** flannel's network config: net-conf.json in the kube modes, the value of `<prefix>/config` in etcd. */
import type { FlannelPlan } from "./plan";

/**
 * The config as data (flannel's subnet.Config and its backends' fields, as upstream spells them):
 * `Network` is the pod range (the controller-manager's cluster CIDR), `SubnetLen` each node's
 * subnet, `EnableNFTables` the masquerade rules' tool, and `Backend` the backend with vxlan's
 * `DirectRouting` and the backend `MTU` (the host interface's MTU: flannel subtracts its overhead
 * for the pods) when the plan sets one.
 */
export function netConf(plan: FlannelPlan): Record<string, unknown> {
    const backend: Record<string, unknown> = { Type: plan.backend };
    if (plan.backend === "vxlan" && plan.directRouting) backend.DirectRouting = true;
    if (plan.backendMtu !== undefined) backend.MTU = plan.backendMtu;
    return { Network: plan.podCidr, SubnetLen: plan.subnetLen, EnableNFTables: plan.nftables, Backend: backend };
}

/** net-conf.json as a file (indented, with a final newline). */
export function renderNetConf(plan: FlannelPlan): string {
    return `${JSON.stringify(netConf(plan), null, 2)}\n`;
}

/** The config on one line, as it is stored in etcd (the etcd-config script compares it byte for byte). */
export function renderNetConfValue(plan: FlannelPlan): string {
    return JSON.stringify(netConf(plan));
}
