export {
    type WorkerNodeArgs,
    type NodeRemovalArgs,
    type NodeUpgradeArgs,
    DEFAULT_UPGRADE_MAX_UNAVAILABLE,
    type NodeImageArgs,
    type ProxyArgs,
    type TaintArgs,
    CONTROL_PLANE_TAINT,
    DEFAULT_SANDBOX_IMAGE,
    DEFAULT_CONTAINERD_VERSION,
    DEFAULT_PROXY_MODE,
} from "./args";
export * from "./worker-node";
export { planWorkerNode, type WorkerNodePlan } from "./plan";
export { workerHostNeeds, KUBELET_PORT, KUBE_PROXY_HEALTH_PORT } from "./needs";
export { NODE_PATHS, CONTAINERD_UNIT, KUBELET_UNIT, KUBE_PROXY_UNIT } from "./layout";
export { corednsObjects, COREDNS, DEFAULT_COREDNS_IMAGE, type CorednsArgs } from "./coredns";
export {
    NODE_DRAINER_USER,
    UPGRADE_SLOT_NAMESPACE,
    nodeDrainerClusterRole,
    nodeDrainerClusterRoleBinding,
    nodeDrainerSlotRole,
    nodeDrainerSlotRoleBinding,
    upgradeSlotNames,
} from "./drainer";
export { UPGRADE_CORDON_ANNOTATION } from "./render-upgrade";
