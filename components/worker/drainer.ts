/**
 * The identity node removals drain with, as pure object specs for @pulumi/kubernetes: exactly
 * what `kubectl cordon`, `kubectl drain --ignore-daemonsets` and `kubectl delete node` call, and
 * nothing else (no pod deletion, no writes outside Nodes and evictions).
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
