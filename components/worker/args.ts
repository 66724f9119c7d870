import type * as pulumi from "@pulumi/pulumi";
import type { Host } from "../host/connection";
import type { InstalledRelease } from "../host/binary-release";
import type { ReleaseNeed } from "../host/needs";
import type { CaKeyPair, KeyAlgorithm } from "../pki";

export { DEFAULT_CLUSTER_DOMAIN, DEFAULT_POD_CIDR, DEFAULT_SERVICE_CIDR } from "../control-plane/args";

/** The CRI sandbox ("pause") image containerd pins, fully qualified (kubeadm 1.37's pause). */
export const DEFAULT_SANDBOX_IMAGE = "registry.k8s.io/pause:3.10.2";
/** The containerd version the configuration is written for when the Args name none (toolchain/versions.env). */
export const DEFAULT_CONTAINERD_VERSION = "2.4.2";
/** kube-proxy's mode when the Args give none: iptables, still kube-proxy's own default in 1.37. */
export const DEFAULT_PROXY_MODE = "iptables";
/** Where the CNI plugins are installed (the release tarball's and containerd's default). */
export const DEFAULT_CNI_BIN_DIR = "/opt/cni/bin";
/** The cluster DNS Service's address when the Args give none: this address of `serviceCidr` (10.96.0.10, as kubeadm). */
export const DEFAULT_CLUSTER_DNS_INDEX = 10;
/** The taint every control-plane host registered as a node carries. */
export const CONTROL_PLANE_TAINT = { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" } as const;
/** The port of the apiservers' endpoint when the Args give none. */
export const DEFAULT_ENDPOINT_PORT = 6443;
/** The cluster name in the kubeconfigs the node gets when the Args give none. */
export const DEFAULT_CLUSTER_NAME = "kubernetes";
/** How long removing a node waits for its pods to be evicted when the Args give none (kubectl drain's `--timeout`). */
export const DEFAULT_DRAIN_TIMEOUT_SECONDS = 300;

/** A taint the kubelet registers its Node with (`registerWithTaints`). */
export interface TaintArgs {
    /** Label-style key, e.g. `dedicated` or `example.com/gpu`. */
    key: string;
    /** Label-style value. Default: none. */
    value?: string;
    /** What the taint does to pods without a matching toleration. */
    effect: "NoSchedule" | "PreferNoSchedule" | "NoExecute";
}

/** kube-proxy's settings. */
export interface ProxyArgs {
    /**
     * How Services are programmed: "iptables" (default), or "nftables" (kernel 5.13 and `nft`
     * 1.0.1 or newer, checked by the preflight on the host). "ipvs" is deprecated since 1.35 and
     * is refused by the preflight on a host without the IPVS modules. Default: {@link DEFAULT_PROXY_MODE}.
     */
    mode?: "iptables" | "nftables" | "ipvs";
    /**
     * `conntrack.maxPerCore`: connections tracked per CPU, from which kube-proxy sizes
     * `nf_conntrack_max`. 0 leaves the kernel's value alone, which hosts where that setting is
     * read-only (containers, sandboxed VMs) need. Default: kube-proxy's own (32768).
     */
    conntrackMaxPerCore?: number;
}

/** A container image to import on the node (no registry is assumed): an image archive, pinned by checksum and manifest digest. */
export interface NodeImageArgs {
    /** The fully qualified reference the archive carries, e.g. "registry.k8s.io/pause:3.10.2". */
    ref: string;
    /** URL of the archive, fetched on the host. Exactly one of `url` and `localPath`. */
    url?: string;
    /** Path of the archive on the machine running Pulumi, uploaded to the host. */
    localPath?: string;
    /** sha256 (hex) of the archive file. */
    sha256: string;
    /** The image's manifest digest (`sha256:<hex>`), which containerd lists after the import. */
    digest: string;
}

/**
 * What removing the node from the program does first, while its kubelet still runs: cordon it,
 * evict its pods (kubectl drain, DaemonSet pods left to the Node's deletion), stop the kubelet so
 * it cannot register again, delete the Node object and kill the containers left. Its services,
 * files and releases are removed after that. Pods no controller manages, and evictions a
 * PodDisruptionBudget refuses, block the removal: it fails naming them, and the node stays
 * cordoned until the next run.
 */
export interface NodeRemovalArgs {
    /**
     * A kubeconfig whose user may get, patch and delete Nodes, list Pods, create `pods/eviction`
     * and get DaemonSets (the cluster hands over one for its own node-drainer identity). A Pulumi
     * secret: it travels on stdin only, into a file under /run removed when the script ends.
     */
    kubeconfig: pulumi.Input<string>;
    /** Seconds to wait for the pods to be evicted before failing. Default: {@link DEFAULT_DRAIN_TIMEOUT_SECONDS}. */
    drainTimeoutSeconds?: number;
}

/** How many nodes an upgrade drains at once when the Args give no number. */
export const DEFAULT_UPGRADE_MAX_UNAVAILABLE = 1;

/**
 * What happens when the kubelet's release changes to another Kubernetes version: before the
 * kubelet restarts, the node takes one of the cluster's `maxUnavailable` upgrade slots (a Lease
 * in kube-system; nodes queue for a free one), is cordoned and drained (DaemonSet pods stay, as
 * a kubelet restart leaves containers running); once the kubelet and kube-proxy are back and the
 * Node is Ready, it is uncordoned and the slot given back. A first deployment, or a restart that
 * keeps the version, drains nothing. A drain that cannot finish fails naming the pods; the node
 * stays cordoned and keeps its slot until the next run.
 */
export interface NodeUpgradeArgs {
    /** A kubeconfig with {@link NodeRemovalArgs.kubeconfig}'s rights, plus create Leases in kube-system and get, update and delete the upgrade slots. A Pulumi secret: stdin only. */
    kubeconfig: pulumi.Input<string>;
    /** How many nodes of the cluster are drained at once; every node of a cluster must be given the same number. Default: {@link DEFAULT_UPGRADE_MAX_UNAVAILABLE}. */
    maxUnavailable?: number;
    /** Seconds to wait for a free slot, for the pods to be evicted, and for the Node to be Ready again. Default: {@link DEFAULT_DRAIN_TIMEOUT_SECONDS}. */
    drainTimeoutSeconds?: number;
}

/** Arguments of WorkerNode: one host running containerd, the kubelet and kube-proxy. */
export interface WorkerNodeArgs {
    /** The host, with its SSH connection. Its name is the Node's name; its address is the node IP unless `nodeIp` says otherwise. */
    host: Host;
    /** The host also runs the control plane: its Node carries the taint {@link CONTROL_PLANE_TAINT}. Default: false. */
    controlPlane?: boolean;
    /** Kubernetes version of the kubelet and kube-proxy, e.g. "1.37.2". */
    version: string;
    /** containerd version the release is, e.g. "2.4.2": decides the configuration's schema version. Default: {@link DEFAULT_CONTAINERD_VERSION}. */
    containerdVersion?: string;
    /**
     * The releases already installed on the host (the cluster's one install per host): kubelet,
     * kube-proxy, containerd, containerd-shim-runc-v2, runc and the CNI plugins are taken from them.
     * Give this or `release`.
     */
    installed?: InstalledRelease[];
    /** The releases to install when none are handed over (standalone use). Give this or `installed`. */
    release?: ReleaseNeed[];
    /** Drain and deregister the node when it is removed from the program ({@link NodeRemovalArgs}); needs kubectl among the releases. Default: none (its services and files are removed, its Node object stays). */
    removal?: NodeRemovalArgs;
    /** Drain the node, a few nodes at a time, before its kubelet moves to another version ({@link NodeUpgradeArgs}); needs kubectl among the releases. Default: none (the kubelet restarts in place; its pods keep running). */
    upgrade?: NodeUpgradeArgs;
    /** Where kubelets and kube-proxy reach the apiservers: the load balancer's VIP and port. */
    endpoint: { host: string; port?: number };
    /** Cluster name inside the node's kubeconfigs. Default: {@link DEFAULT_CLUSTER_NAME}. */
    clusterName?: string;
    /** The cluster certificate authority: trusted for the apiservers and for clients of the kubelet, and the issuer of the kubelet's serving certificate and kube-proxy's client certificate. */
    ca: CaKeyPair;
    /** The bootstrap token (`<id>.<secret>`) the kubelet joins with (TLS bootstrapping): the ControlPlane's. A secret. */
    bootstrapToken: pulumi.Input<string>;
    /** Pod block of the cluster: kube-proxy's `clusterCIDR`. Default: {@link DEFAULT_POD_CIDR}. */
    podCidr?: string;
    /** Service ClusterIP block. Default: {@link DEFAULT_SERVICE_CIDR}. */
    serviceCidr?: string;
    /** The cluster DNS Service's ClusterIP (kubelet `clusterDNS`): inside `serviceCidr`, not its first address. Default: its address number {@link DEFAULT_CLUSTER_DNS_INDEX}. */
    clusterDns?: string;
    /** Cluster DNS domain (kubelet `clusterDomain`). Default: {@link DEFAULT_CLUSTER_DOMAIN}. */
    clusterDomain?: string;
    /**
     * This node's pod addresses for the plain bridge CNI network (until flannel hands out node
     * subnets): a block inside `podCidr`, like the node's `spec.podCIDR`. Default: none, and no
     * CNI configuration is written.
     */
    podSubnet?: string;
    /** The address the kubelet registers the Node with (`--node-ip`). Default: the host's address. */
    nodeIp?: string;
    /** The CRI sandbox image, fully qualified; it must be imported on the host (no registry is assumed). Default: {@link DEFAULT_SANDBOX_IMAGE}. */
    sandboxImage?: string;
    /** Where the CNI plugins are installed; containerd looks for them there. Default: {@link DEFAULT_CNI_BIN_DIR}. */
    cniBinDir?: string;
    /** More folders containerd looks for CNI plugins in, after `cniBinDir` (a network add-on's own plugin, like flannel's). Default: none. */
    extraCniBinDirs?: string[];
    /**
     * The host runs cgroup v1 (or the hybrid layout): the kubelet gets `failCgroupV1: false`, without
     * which it refuses to start from 1.35 on. The preflight says when a host needs it. Default: false.
     */
    cgroupV1?: boolean;
    /**
     * The host's processes lack CAP_SYS_RESOURCE (containers, sandboxed VMs): containerd gets
     * `restrict_oom_score_adj = true`, without which every pod sandbox fails to start. The preflight
     * says when a host needs it. Default: false.
     */
    restrictOomScoreAdj?: boolean;
    /** The kubelet's `maxPods`: at most as many as `podSubnet` has addresses for. Default: the kubelet's own (110). */
    maxPods?: number;
    /** kube-proxy's settings. Default: the defaults of {@link ProxyArgs}. */
    proxy?: ProxyArgs;
    /**
     * Labels the kubelet registers the Node with (`--node-labels`). Keys in the kubernetes.io and
     * k8s.io namespaces are limited to the ones a kubelet may set (NodeRestriction), e.g. under
     * `node.kubernetes.io/` or `kubelet.kubernetes.io/`. Default: none.
     */
    labels?: Record<string, string>;
    /** Taints the kubelet registers the Node with, besides the control-plane taint. Default: none. */
    taints?: TaintArgs[];
    /**
     * Images imported into containerd's k8s.io namespace before the kubelet starts, and pinned: the
     * sandbox image (without it every pod fails unless a registry serves it) and any the pods run.
     * Default: none.
     */
    images?: NodeImageArgs[];
    /** Key algorithm of the serving and kube-proxy client keys. Default: ECDSA. */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of the node's certificates, in hours. Default: Certificate's (one year). */
    certificateValidityHours?: number;
    /** Rotation lever of the node's certificates: a changed value issues new ones. Default: unset. */
    certificateRotation?: pulumi.Input<string>;
}
