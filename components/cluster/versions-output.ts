import type { ClusterSpec } from "../cluster-spec/schema";

/**
 * The releases a stack runs, by `binaries` key (pure): every source it pins, and `kubernetesNode`
 * always (the kubelets' release, `kubernetes` unless set apart), so an operator reads what the
 * nodes run without knowing how the stack spells it.
 */
export function clusterVersions(spec: ClusterSpec): Record<string, string> {
    const b = spec.binaries;
    const out: Record<string, string> = { kubernetes: b.kubernetes.version, kubernetesNode: (b.kubernetesNode ?? b.kubernetes).version, etcd: b.etcd.version };
    for (const key of ["containerd", "runc", "cniPlugins", "flannel", "flannelCniPlugin", "docker"] as const) {
        const source = b[key];
        if (source) out[key] = source.version;
    }
    return out;
}
