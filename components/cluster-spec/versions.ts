import { NEWEST_CHECKED_MINOR } from "../control-plane/versions";

/** A release version `MAJOR.MINOR.PATCH[-SUFFIX]`. */
export interface Version {
    major: number;
    minor: number;
    patch: number;
    /** What follows the patch number (`rc.1`, `alpha.0`, `flannel1`); absent for a final release. */
    suffix?: string;
}

/**
 * Parses `1.33.5` or `1.34.0-rc.1` (a leading `v` is allowed); undefined when the text is not of
 * that form. A suffix never hides the numbers: every check compares them the same way.
 */
export function parseVersion(text: string): Version | undefined {
    const m = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?$/.exec(text);
    if (!m) return undefined;
    const version: Version = { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]) };
    if (m[4] !== undefined) version.suffix = m[4];
    return version;
}

/** True for a pre-release (`-alpha.1`, `-beta.0`, `-rc.2`, `-dev`) as the projects tag them. */
export function isPreRelease(version: Version): boolean {
    return version.suffix !== undefined && /^(alpha|beta|rc|dev|pre)/i.test(version.suffix);
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`; a pre-release comes before its release. */
export function compareVersions(a: Version, b: Version): number {
    return a.major - b.major || a.minor - b.minor || a.patch - b.patch || Number(!isPreRelease(a)) - Number(!isPreRelease(b));
}

/** `1.6.15` as a Version, for the constants below. */
const v = (text: string): Version => parseVersion(text)!;

/**
 * What the kubelet needs from containerd: the CRI v1 API from Kubernetes 1.26 on (containerd
 * 1.6.15 or newer, containerd RELEASES.md), and v1alpha2 before 1.23, which containerd 2.0 dropped.
 */
export function containerdProblem(kubernetesMinor: number, containerd: Version): string | undefined {
    if (kubernetesMinor >= 26 && compareVersions(containerd, v("1.6.15")) < 0)
        return `Kubernetes 1.${kubernetesMinor} speaks CRI v1 only, which needs containerd 1.6.15 or newer`;
    if (kubernetesMinor < 23 && containerd.major >= 2) return `Kubernetes 1.${kubernetesMinor} speaks CRI v1alpha2, which containerd 2 no longer serves`;
    return undefined;
}

/**
 * The containerd releases containerd's RELEASES.md recommends per Kubernetes minor (its
 * "Kubernetes Support" table); minors outside the table are not judged.
 */
const CONTAINERD_TESTED: Record<number, string[]> = {
    32: ["2.1.0", "2.0.1", "1.7.24", "1.6.36"],
    33: ["2.1.0", "2.0.4", "1.7.24", "1.6.36"],
    34: ["2.1.3", "2.0.6", "1.7.28", "1.6.39"],
    35: ["2.2.0", "2.1.5", "1.7.28"],
    36: ["2.3.0", "2.2.0"],
    37: ["2.4.0", "2.3.0"],
};

/** Whether containerd's table recommends this containerd for this Kubernetes minor; undefined when the table does not say. */
export function containerdTested(kubernetesMinor: number, containerd: Version): { tested: boolean; lines: string[] } | undefined {
    const floors = CONTAINERD_TESTED[kubernetesMinor];
    if (!floors) return undefined;
    const tested = floors.some((f) => {
        const floor = v(f);
        return floor.major === containerd.major && floor.minor === containerd.minor && compareVersions(containerd, floor) >= 0;
    });
    return { tested, lines: floors.map((f) => `${f}+`) };
}

/** runc 1.0.0 is its first final release: older tags are the release candidates of old guides. */
export const OLDEST_RUNC: Version = v("1.0.0");

/** The oldest Kubernetes minor (1.x) this project renders flags for: seed 001 runs 1.20. */
export const OLDEST_KUBERNETES_MINOR = 20;
/** The newest Kubernetes minor whose flags and skew rules this project was checked against: the control plane's. */
export const NEWEST_KUBERNETES_MINOR = NEWEST_CHECKED_MINOR;
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
 * The etcd release lines a Kubernetes minor is tested with, after kubeadm's pinned etcd per minor
 * (cmd/kubeadm/app/constants, SupportedEtcdVersion): 3.4 up to 1.21, 3.5 from 1.22, 3.5 or 3.6
 * from 1.34, and 3.7 too since kubeadm 1.37 pins 3.7.0 for 1.34 to 1.37.
 */
export function supportedEtcdLines(kubernetesMinor: number): string[] {
    if (kubernetesMinor <= 21) return ["3.4"];
    if (kubernetesMinor <= 33) return ["3.5"];
    return ["3.5", "3.6", "3.7"];
}
