/**
 * The identity nodes drain with, on removal and before their kubelet moves to another release,
 * as pure object specs for @pulumi/kubernetes: exactly what `kubectl cordon`, `annotate`,
 * `drain --ignore-daemonsets`, `uncordon` and `delete node` call, and the upgrade slots; nothing
 * else (no pod deletion, no writes outside Nodes, evictions and the slots' Leases).
 */
import type * as k8s from "@pulumi/kubernetes";

/** The user name of the drainer's client certificate, and the name of its ClusterRole and binding. */
export const NODE_DRAINER_USER = "k8s-binary:node-drainer";

/** The ClusterRole: Nodes get, patch (cordon) and delete; Pods list and get (drain's wait); evictions; DaemonSets get (drain checks a pod's owner exists). */
export function nodeDrainerClusterRole(): k8s.types.input.rbac.v1.ClusterRole {
    return {
        metadata: { name: NODE_DRAINER_USER },
        rules: [
            { apiGroups: [""], resources: ["nodes"], verbs: ["get", "patch", "delete"] },
            { apiGroups: [""], resources: ["pods"], verbs: ["get", "list"] },
            { apiGroups: [""], resources: ["pods/eviction"], verbs: ["create"] },
            { apiGroups: ["apps"], resources: ["daemonsets"], verbs: ["get"] },
        ],
    };
}

/** Binds {@link nodeDrainerClusterRole} to the user {@link NODE_DRAINER_USER}. */
export function nodeDrainerClusterRoleBinding(): k8s.types.input.rbac.v1.ClusterRoleBinding {
    return {
        metadata: { name: NODE_DRAINER_USER },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: NODE_DRAINER_USER },
        subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: NODE_DRAINER_USER }],
    };
}

/** Where the upgrade slots live: Leases, one per node allowed to be drained at once. */
export const UPGRADE_SLOT_NAMESPACE = "kube-system";

/** The upgrade slots' Lease names, for `maxUnavailable` nodes drained at once. */
export function upgradeSlotNames(maxUnavailable: number): string[] {
    return Array.from({ length: maxUnavailable }, (_, i) => `k8s-binary-node-upgrade-${i}`);
}

/**
 * The Role in {@link UPGRADE_SLOT_NAMESPACE} that lets the drainer take and give back upgrade
 * slots: create Leases (a create cannot be limited by name; it cannot touch an existing Lease,
 * such as the controller-manager's leader lock), and get, replace and delete only the slots.
 */
export function nodeDrainerSlotRole(maxUnavailable: number): k8s.types.input.rbac.v1.Role {
    return {
        metadata: { name: NODE_DRAINER_USER, namespace: UPGRADE_SLOT_NAMESPACE },
        rules: [
            { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
            { apiGroups: ["coordination.k8s.io"], resources: ["leases"], resourceNames: upgradeSlotNames(maxUnavailable), verbs: ["get", "update", "delete"] },
        ],
    };
}

/** Binds {@link nodeDrainerSlotRole} to the user {@link NODE_DRAINER_USER}. */
export function nodeDrainerSlotRoleBinding(): k8s.types.input.rbac.v1.RoleBinding {
    return {
        metadata: { name: NODE_DRAINER_USER, namespace: UPGRADE_SLOT_NAMESPACE },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NODE_DRAINER_USER },
        subjects: [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: NODE_DRAINER_USER }],
    };
}
