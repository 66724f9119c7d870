/** Where flannel's things live on a node (upstream's paths, so operators and the CNI plugin find them). */

/** Files on every node. */
export const FLANNEL_PATHS = {
    /** The network config flanneld reads in the kube modes (upstream's default `--net-config-path`). */
    netConf: "/etc/kube-flannel/net-conf.json",
    /** The subnet file flanneld writes and the CNI plugin reads (both default to it). */
    subnetEnv: "/run/flannel/subnet.env",
    /** The CNI network; its name sorts before the plain bridge network the WorkerNode writes. */
    conflist: "/etc/cni/net.d/10-flannel.conflist",
    /** flanneld's flags and NODE_NAME, as the unit's EnvironmentFile. */
    env: "/etc/flannel/flanneld.env",
    /** flanneld's kubeconfig (mode systemd-kube; a client certificate: mode 0600). */
    kubeconfig: "/etc/flannel/kubeconfig",
    /** flanneld's etcd client certificate and the etcd CA (mode systemd-etcd). */
    etcdCaCert: "/etc/flannel/pki/etcd-ca.pem",
    etcdClientCert: "/etc/flannel/pki/etcd-client.pem",
    etcdClientKey: "/etc/flannel/pki/etcd-client-key.pem",
    /** The script that writes the network config into etcd (run on an etcd member). */
    etcdConfigScript: "/usr/local/sbin/flannel-etcd-config",
    /** The settings the network was last deployed with (mode, backend, pod range), which a change is checked against. */
    settings: "/etc/flannel/k8s-binary-settings.json",
    /** The preflight, run before flannel is installed. */
    preflight: "/usr/local/sbin/flannel-preflight",
} as const;

export const FLANNELD_UNIT = "flanneld.service";
/** The variable flanneld.service expands into its flags. */
export const FLANNELD_ARGS_VAR = "FLANNELD_ARGS";
/** The user of flanneld's client certificate (mode systemd-kube), bound to {@link FLANNEL_CLUSTER_ROLE}. */
export const FLANNEL_USER = "system:flannel";
/** The ClusterRole flanneld needs (kube subnet manager). */
export const FLANNEL_CLUSTER_ROLE = "flannel";
/** The CNI network's name (upstream's). */
export const FLANNEL_NETWORK_NAME = "cbr0";
/**
 * The conflist's CNI spec version: the flannel CNI plugin the toolchain builds (0.9.1, from
 * containernetworking/plugins) speaks 0.1.0 to 0.4.0; bridge and portmap (1.x) speak those too.
 */
export const FLANNEL_CNI_VERSION = "0.4.0";
/** The DaemonSet's objects (upstream's kube-flannel.yml names). */
export const KUBE_FLANNEL = {
    namespace: "kube-flannel",
    serviceAccount: "flannel",
    configMap: "kube-flannel-cfg",
    daemonSet: "kube-flannel-ds",
} as const;
