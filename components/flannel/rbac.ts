/** What flanneld may do in the Kubernetes API (kube subnet manager), as @pulumi/kubernetes input types. */
import type * as k8s from "@pulumi/kubernetes";
import type { FlannelMode } from "./args";
import { FLANNEL_CLUSTER_ROLE, FLANNEL_USER, KUBE_FLANNEL } from "./layout";

/**
 * The ClusterRole upstream's manifest gives flanneld: nodes get/list/watch (podCIDRs, the other
 * nodes' public IPs and backend data), nodes/status patch (its annotations and the
 * NetworkUnavailable condition). `pods get` only in the DaemonSet, where flanneld finds its Node
 * through its pod (POD_NAME); under systemd NODE_NAME names it.
 */
export function flannelClusterRole(mode: FlannelMode): k8s.types.input.rbac.v1.ClusterRole {
    const rules: k8s.types.input.rbac.v1.PolicyRule[] = [
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
    ];
    if (mode === "daemonset") rules.unshift({ apiGroups: [""], resources: ["pods"], verbs: ["get"] });
    return { metadata: { name: FLANNEL_CLUSTER_ROLE, labels: { "k8s-app": "flannel" } }, rules };
}

/** The binding: the DaemonSet's ServiceAccount, or the user of flanneld's client certificate ({@link FLANNEL_USER}) under systemd. */
export function flannelClusterRoleBinding(mode: FlannelMode): k8s.types.input.rbac.v1.ClusterRoleBinding {
    if (mode === "systemd-etcd") throw new Error("mode systemd-etcd does not use the Kubernetes API");
    const subject =
        mode === "daemonset"
            ? { kind: "ServiceAccount", name: KUBE_FLANNEL.serviceAccount, namespace: KUBE_FLANNEL.namespace }
            : { kind: "User", apiGroup: "rbac.authorization.k8s.io", name: FLANNEL_USER };
    return {
        metadata: { name: FLANNEL_CLUSTER_ROLE, labels: { "k8s-app": "flannel" } },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: FLANNEL_CLUSTER_ROLE },
        subjects: [subject],
    };
}
