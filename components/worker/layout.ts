/** Where a node's things live on its host (kubeadm's layout where it has one, so operators find them). */

/** Files on every node. */
export const NODE_PATHS = {
    /** containerd's configuration. */
    containerdConfig: "/etc/containerd/config.toml",
    /** The containerd socket the kubelet talks CRI to. */
    containerdSocket: "/run/containerd/containerd.sock",
    /** The CNI configuration folder containerd reads. */
    cniConfDir: "/etc/cni/net.d",
    /** The plain bridge network, until flannel writes its own. */
    bridgeConflist: "/etc/cni/net.d/10-k8s-binary-bridge.conflist",
    /** The kubelet's state folder and its KubeletConfiguration. */
    kubeletRootDir: "/var/lib/kubelet",
    kubeletConfig: "/var/lib/kubelet/config.yaml",
    /** The kubelet's flags that are not in its configuration file (node IP, labels, kubeconfigs). */
    kubeletEnv: "/etc/kubernetes/kubelet.env",
    /** The bootstrap kubeconfig (a bootstrap token; mode 0600). */
    bootstrapKubeconfig: "/etc/kubernetes/bootstrap-kubelet.conf",
    /** The kubeconfig the kubelet writes once its client certificate is issued. */
    kubeletKubeconfig: "/etc/kubernetes/kubelet.conf",
    /** Where the kubelet keeps its rotated client certificate. */
    kubeletCertDir: "/var/lib/kubelet/pki",
    /** The cluster CA, as the kubelet trusts it for its clients (the kubelet's own copy, so no other component owns the file). */
    kubeletCaCert: "/var/lib/kubelet/pki/ca.crt",
    /** The kubelet's serving certificate, issued from the cluster CA. */
    kubeletServingCert: "/var/lib/kubelet/pki/kubelet-serving.crt",
    kubeletServingKey: "/var/lib/kubelet/pki/kubelet-serving.key",
    /** kube-proxy's configuration and kubeconfig. */
    kubeProxyConfig: "/var/lib/kube-proxy/config.yaml",
    kubeProxyKubeconfig: "/var/lib/kube-proxy/kubeconfig",
} as const;

export const CONTAINERD_UNIT = "containerd.service";
export const KUBELET_UNIT = "kubelet.service";
export const KUBE_PROXY_UNIT = "kube-proxy.service";

/** The user kube-proxy's client certificate names (bound to system:node-proxier by default RBAC). */
export const KUBE_PROXY_USER = "system:kube-proxy";
/** The variable kubelet.service expands into its flags. */
export const KUBELET_ARGS_VAR = "KUBELET_ARGS";
