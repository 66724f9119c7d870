// In-cluster objects through the real Kubernetes provider: an explicit provider from an admin
// kubeconfig given as a secret, a namespace, a Secret in it, and a ClusterRoleBinding.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";

export default async () => {
    const config = new pulumi.Config();
    const kubeconfig = config.requireSecret("kubeconfig");
    const namespace = config.require("namespace");
    const appSecret = config.requireSecret("appSecret");

    // Secrets are replaced on a data change by default, and a replaced object is deleted with
    // foreground propagation, which waits for the garbage collector (kube-controller-manager): a
    // new value updates the Secret in place instead.
    const provider = new k8s.Provider("loopback", { kubeconfig, enableSecretMutable: true });
    const ns = new k8s.core.v1.Namespace("ns", { metadata: { name: namespace } }, { provider });
    const secret = new k8s.core.v1.Secret(
        "app",
        { metadata: { name: "app", namespace: ns.metadata.name, labels: { "app.kubernetes.io/managed-by": "k8s-binary" } }, stringData: { token: appSecret } },
        { provider },
    );
    const binding = new k8s.rbac.v1.ClusterRoleBinding(
        "viewers",
        {
            metadata: { name: `${namespace}-viewers` },
            // A bootstrap role with rules of its own (`view` is aggregated, by the controller manager).
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kube-dns" },
            subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: `${namespace}:viewers` }],
        },
        { provider },
    );
    return { namespace: ns.metadata.name, secret: secret.metadata.name, binding: binding.metadata.name, secretUid: secret.metadata.uid };
};
