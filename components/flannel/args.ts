import type * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { Host } from "../host/connection";
import type { InstalledRelease } from "../host/binary-release";
import type { ReleaseNeed } from "../host/needs";
import type { CaKeyPair, KeyAlgorithm } from "../pki";

export { DEFAULT_POD_CIDR } from "../control-plane/args";

/** How flanneld runs. */
export const FLANNEL_MODES = ["daemonset", "systemd-kube", "systemd-etcd"] as const;
export type FlannelMode = (typeof FLANNEL_MODES)[number];
/** The backends this project configures (flannel's experimental ipip, alloc and the cloud ones are left out). */
export const FLANNEL_BACKENDS = ["vxlan", "host-gw", "wireguard", "udp"] as const;
export type FlannelBackend = (typeof FLANNEL_BACKENDS)[number];

/** The mode when the Args give none: the kube-flannel DaemonSet, as upstream's manifest. */
export const DEFAULT_FLANNEL_MODE: FlannelMode = "daemonset";
/** The backend when the Args give none. */
export const DEFAULT_FLANNEL_BACKEND: FlannelBackend = "vxlan";
/** Prefix length of each node's pod subnet when the Args give none: the controller-manager's `--node-cidr-mask-size` default too. */
export const DEFAULT_SUBNET_LEN = 24;
/** flanneld's etcd key prefix when the Args give none (flanneld's own default). */
export const DEFAULT_ETCD_PREFIX = "/coreos.com/network";
/** The flannel image the DaemonSet runs: the toolchain builds it (toolchain/versions.env FLANNEL). */
export const DEFAULT_FLANNEL_IMAGE = "ghcr.io/flannel-io/flannel:v0.28.10";
/** The flannel CNI plugin image the DaemonSet copies the plugin from (toolchain/versions.env FLANNEL_CNI_PLUGIN). */
export const DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE = "ghcr.io/flannel-io/flannel-cni-plugin:v0.9.1";
/** Where the CNI plugins are installed (the release tarball's and containerd's default). */
export const DEFAULT_CNI_BIN_DIR = "/opt/cni/bin";
/** The cluster name in flanneld's kubeconfig when the Args give none. */
export const DEFAULT_CLUSTER_NAME = "kubernetes";
/** The port of the apiservers' endpoint when the Args give none. */
export const DEFAULT_ENDPOINT_PORT = 6443;
/** flanneld's health endpoint port (`--healthz-port`) in the DaemonSet (upstream's), on every address of the node. */
export const DEFAULT_HEALTHZ_PORT = 8081;
/** flanneld's health endpoint port under systemd, on the node's loopback: another than the DaemonSet's, so both can run on a node while the mode changes. */
export const SYSTEMD_HEALTHZ_PORT = 8082;

/** One node flannel runs on (systemd modes: flanneld runs there; every mode: its conflist is written and the applied settings recorded there). */
export interface FlannelNodeArgs {
    /** The host, with its SSH connection. Its name is the Node's name (flanneld's `NODE_NAME`); its address is what the other nodes reach it on. */
    host: Host;
    /** This node's interface for the traffic between nodes, a name or an IPv4 address (`--iface`). Default: the Args' `interface`. */
    interface?: string;
}

/** The etcd cluster flanneld keeps its network config and subnet leases in (mode `systemd-etcd`). */
export interface FlannelEtcdArgs {
    /** Client URLs of every member (`https://address:2379`): flanneld's `--etcd-endpoints`. */
    endpoints: string[];
    /**
     * An etcd member the network config is written from (`etcdctl put`): etcdctl on its PATH and its
     * client settings in /etc/etcd/etcdctl.env, as EtcdCluster leaves every member.
     */
    configHost: Host;
    /** The etcd certificate authority: flanneld's etcd client certificate is issued from it, and the members are trusted through it. */
    ca: CaKeyPair;
}

/**
 * Arguments of FlannelNetwork: the pod network of the whole cluster.
 *
 * Changing `mode` or `backend` on a live cluster ({@link planFlannelChange} compares the previous
 * Args with the new ones and says what it refuses and how):
 * - `daemonset` <-> `systemd-kube`: supported, rolling. Both take each node's subnet from its
 *   `spec.podCIDR` and use the same device, rules, annotations and subnet file, so pods keep their
 *   addresses. The new flanneld starts beside the old one (their health ports differ; both program
 *   the same device, routes and rules), and the old one is removed at the end of the update, as
 *   Pulumi deletes after it creates (the DaemonSet and its namespace, or flanneld.service).
 * - to or from `systemd-etcd`: etcd leases are not `spec.podCIDR`, so every node's subnet moves and
 *   every running pod's address goes stale. Refused; how: drain every node, change the mode, delete
 *   `/run/flannel/subnet.env` and the `cni0` bridge on each node, reboot (or restart containerd and
 *   the kubelet) and uncordon, in a maintenance window.
 * - `backend`: nodes on different backends cannot reach each other's pods, and flanneld does not
 *   remove the old backend's device or routes. Refused; how: in a maintenance window stop flanneld
 *   on every node, delete the old device (`flannel.1`, `flannel-wg`, `flannel0`) and its routes (a
 *   reboot does both), change `backend` and deploy, which starts flanneld everywhere again.
 */
export interface FlannelNetworkArgs {
    /**
     * How flanneld runs: "daemonset" (the kube-flannel objects through the Kubernetes API, images
     * imported on every node), "systemd-kube" (flanneld from its release under systemd, with the
     * kube subnet manager, its own kubeconfig and RBAC) or "systemd-etcd" (flanneld under systemd,
     * keeping its config and leases in the cluster's etcd over TLS, etcd v3 API).
     * Default: {@link DEFAULT_FLANNEL_MODE}.
     */
    mode?: FlannelMode;
    /**
     * The data plane between nodes: "vxlan" (UDP 8472, 50 bytes of overhead), "host-gw" (plain
     * routes through the other nodes: every node on one L2 segment, no overhead), "wireguard"
     * (encrypted, UDP 51820, 80 bytes; the kernel's wireguard module) or "udp" (flanneld's userspace
     * tunnel, 28 bytes; debugging only). Default: {@link DEFAULT_FLANNEL_BACKEND}.
     */
    backend?: FlannelBackend;
    /** vxlan only: nodes on one subnet route to each other directly (host-gw style), vxlan only between subnets. Default: false. */
    directRouting?: boolean;
    /**
     * Masquerade pod traffic leaving the pod range (`--ip-masq`): pod-to-pod traffic keeps its
     * source address (flanneld's rules return before masquerading traffic inside `podCidr`, seed
     * 002's tuning), and the bridge never masquerades (the conflist's `ipMasq: false`).
     * Default: true.
     */
    ipMasq?: boolean;
    /**
     * The pods' MTU, which flannel's interface and the `cni0` bridge get: the host interface's MTU
     * less the backend's overhead ({@link BACKEND_OVERHEAD}). Set only for vxlan and wireguard, whose
     * net-conf takes the host interface's MTU (this plus the overhead); host-gw and udp always take
     * the host's. Default: derived by flanneld from the host interface.
     */
    mtu?: number;
    /** The pod block, split into one subnet per node: must equal the controller-manager's `--cluster-cidr` (net-conf `Network`). Default: {@link DEFAULT_POD_CIDR}. */
    podCidr?: string;
    /** Prefix length of each node's subnet (`SubnetLen`): in the kube modes the controller-manager's `--node-cidr-mask-size`. Default: {@link DEFAULT_SUBNET_LEN}. */
    subnetLen?: number;
    /** The interface for the traffic between nodes, a name or an IPv4 address (`--iface`). Default: the interface of the default route. */
    interface?: string;
    /** The subnets the hosts' addresses are in: host-gw needs all nodes in one. Default: not checked. */
    hostSubnets?: string[];
    /** flanneld (and the flannel CNI plugin) uses nftables instead of iptables (`EnableNFTables`, experimental upstream); set with kube-proxy's nftables mode. Default: false. */
    nftables?: boolean;
    /**
     * The nodes. Systemd modes: flanneld runs on each (at least one is required). Every mode: each
     * gets the CNI conflist and records the applied settings, which a later mode or backend change
     * is checked against ({@link planFlannelChange}). Mode daemonset without nodes: the DaemonSet
     * writes the conflist, and changes are not checked. Default: none.
     */
    nodes?: FlannelNodeArgs[];
    /**
     * The Kubernetes provider (the cluster's admin) the in-cluster objects are made with: the
     * kube-flannel objects (daemonset) or flanneld's RBAC (systemd-kube). Default: the one the
     * component's options hand its children (`providers`), else Pulumi's default provider.
     */
    provider?: k8s.Provider;
    /** Key algorithm of flanneld's client certificates. Default: ECDSA P-256. */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of flanneld's client certificates, in hours. Default: Certificate's (one year). */
    certificateValidityHours?: number;
    /** Rotation lever of flanneld's client certificates: a new value issues new ones. Default: unset. */
    certificateRotation?: pulumi.Input<string>;
    /** Where flanneld reaches the apiservers (mode `systemd-kube`): the load balancer's VIP and port. */
    endpoint?: { host: string; port?: number };
    /** Cluster name inside flanneld's kubeconfig. Default: {@link DEFAULT_CLUSTER_NAME}. */
    clusterName?: string;
    /** The cluster certificate authority: issuer of flanneld's client certificate (user {@link FLANNEL_USER}, mode `systemd-kube`). */
    ca?: CaKeyPair;
    /** The etcd cluster (mode `systemd-etcd`, required there). */
    etcd?: FlannelEtcdArgs;
    /** Mode `systemd-etcd`: the key prefix; the network config is `<prefix>/config`, the leases `<prefix>/subnets/`. Default: {@link DEFAULT_ETCD_PREFIX}. */
    etcdPrefix?: string;
    /** Mode `daemonset`: the flannel image, fully qualified, imported on every node. Default: {@link DEFAULT_FLANNEL_IMAGE}. */
    image?: string;
    /** Mode `daemonset`: the flannel CNI plugin image, fully qualified, imported on every node. Default: {@link DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE}. */
    cniPluginImage?: string;
    /** Where the CNI plugins are; the flannel plugin is put there too. Default: {@link DEFAULT_CNI_BIN_DIR}. */
    cniBinDir?: string;
    /** Systemd modes: the releases already installed on each node's host, by node name: `flanneld` and `flannel` (the CNI plugin) are taken from them. Give this or `release`. */
    installed?: Record<string, InstalledRelease[]>;
    /** Systemd modes: the releases to install on every node (standalone use). Give this or `installed`. */
    release?: ReleaseNeed[];
}
