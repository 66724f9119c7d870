/** Where the control plane's things live on its hosts (kubeadm's layout, so operators find them). */

/** Files on every control-plane host. */
export const CP_PATHS = {
    pkiDir: "/etc/kubernetes/pki",
    /** The cluster CA: client CA of the apiservers, signer of the controller-manager. */
    caCert: "/etc/kubernetes/pki/ca.crt",
    caKey: "/etc/kubernetes/pki/ca.key",
    /** This host's apiserver serving certificate. */
    apiserverCert: "/etc/kubernetes/pki/apiserver.crt",
    apiserverKey: "/etc/kubernetes/pki/apiserver.key",
    /** The apiserver's client certificate towards kubelets (user kube-apiserver-kubelet-client). */
    kubeletClientCert: "/etc/kubernetes/pki/apiserver-kubelet-client.crt",
    kubeletClientKey: "/etc/kubernetes/pki/apiserver-kubelet-client.key",
    /** The apiserver's client certificate towards etcd, and the etcd CA. */
    etcdCaCert: "/etc/kubernetes/pki/etcd/ca.crt",
    etcdClientCert: "/etc/kubernetes/pki/apiserver-etcd-client.crt",
    etcdClientKey: "/etc/kubernetes/pki/apiserver-etcd-client.key",
    /** Aggregation layer: the front-proxy CA and the apiserver's client certificate under it. */
    frontProxyCaCert: "/etc/kubernetes/pki/front-proxy-ca.crt",
    frontProxyClientCert: "/etc/kubernetes/pki/front-proxy-client.crt",
    frontProxyClientKey: "/etc/kubernetes/pki/front-proxy-client.key",
    /** Service-account token signing key pair, the same on every host. */
    serviceAccountKey: "/etc/kubernetes/pki/sa.key",
    serviceAccountPub: "/etc/kubernetes/pki/sa.pub",
    /** Encryption at rest configuration (holds the keys: mode 0600). */
    encryptionConfig: "/etc/kubernetes/encryption-config.yaml",
    auditPolicy: "/etc/kubernetes/audit-policy.yaml",
    auditLog: "/var/log/kubernetes/audit/audit.log",
    controllerManagerKubeconfig: "/etc/kubernetes/controller-manager.conf",
    schedulerKubeconfig: "/etc/kubernetes/scheduler.conf",
    schedulerConfig: "/etc/kubernetes/kube-scheduler.yaml",
    /** Each service's flags, as one environment variable its unit expands: a change restarts it in turn. */
    apiserverEnv: "/etc/kubernetes/kube-apiserver.env",
    controllerManagerEnv: "/etc/kubernetes/kube-controller-manager.env",
    schedulerEnv: "/etc/kubernetes/kube-scheduler.env",
} as const;

export const APISERVER_UNIT = "kube-apiserver.service";
export const CONTROLLER_MANAGER_UNIT = "kube-controller-manager.service";
export const SCHEDULER_UNIT = "kube-scheduler.service";

/** The user name of the apiservers' client certificate towards kubelets (bound to the kubelet API role). */
export const APISERVER_KUBELET_CLIENT_USER = "kube-apiserver-kubelet-client";
/** The common name of the front-proxy client certificate, the one name `--requestheader-allowed-names` admits. */
export const FRONT_PROXY_CLIENT_NAME = "front-proxy-client";

/** One control-plane host as the renderers see it. */
export interface ControlPlaneMember {
    /** Host name (node name, certificate name). */
    name: string;
    /** The address the other hosts reach it on: the apiserver advertises it. */
    address: string;
}
