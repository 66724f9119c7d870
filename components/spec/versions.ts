/** A release version `MAJOR.MINOR.PATCH` (pre-release suffixes are not modelled). */
export interface Version {
    major: number;
    minor: number;
    patch: number;
}

/** Parses `1.33.5` (a leading `v` is allowed); undefined when the text is not of that form. */
export function parseVersion(text: string): Version | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)$/.exec(text);
    if (!m) return undefined;
    return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: Version, b: Version): number {
    return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

/** The oldest Kubernetes minor (1.x) this project renders flags for: seed 001 runs 1.20. */
export const OLDEST_KUBERNETES_MINOR = 20;
/** The newest Kubernetes minor whose flags and skew rules this project was checked against. */
export const NEWEST_KUBERNETES_MINOR = 35;
/** dockershim left the kubelet in 1.24: the docker runtime needs an older cluster. */
export const DOCKERSHIM_REMOVED_MINOR = 24;

/**
 * How many minors a kubelet or kube-proxy may lag behind the apiserver: three since 1.28,
 * two before (Kubernetes version skew policy).
 */
export function allowedNodeLag(apiserverMinor: number): number {
    return apiserverMinor >= 28 ? 3 : 2;
}

/**
 * The etcd release lines a Kubernetes minor is tested with, after kubeadm's pinned etcd per minor:
 * 3.4 up to 1.21, 3.5 from 1.22, 3.5 or 3.6 from 1.34.
 */
export function supportedEtcdLines(kubernetesMinor: number): string[] {
    if (kubernetesMinor <= 21) return ["3.4"];
    if (kubernetesMinor <= 33) return ["3.5"];
    return ["3.5", "3.6"];
}
