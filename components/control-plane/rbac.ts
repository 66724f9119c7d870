/** The RBAC objects and bootstrap-token Secret data the control plane creates (pure data). */
import { APISERVER_KUBELET_CLIENT_USER } from "./layout";

/** A ClusterRoleBinding of a built-in ClusterRole to one subject. */
export interface ClusterRoleBindingSpec {
    /** The binding's name. */
    name: string;
    /** The ClusterRole bound. */
    roleName: string;
    subject: { kind: "Group" | "User"; name: string };
}

/** The group of every bootstrap token (authenticated as system:bootstrap:<id>). */
export const BOOTSTRAPPERS_GROUP = "system:bootstrappers";
/** The extra group the component's bootstrap tokens put their users in. */
export const NODE_TOKEN_GROUP = "system:bootstrappers:k8s-binary:default-node-token";

/**
 * TLS bootstrapping: bootstrap tokens may create CSRs, their first client CSR is approved
 * automatically, and nodes' renewals of their own client certificates are approved too.
 */
export function tlsBootstrapBindings(): ClusterRoleBindingSpec[] {
    return [
        { name: "k8s-binary:kubelet-bootstrap", roleName: "system:node-bootstrapper", subject: { kind: "Group", name: BOOTSTRAPPERS_GROUP } },
        {
            name: "k8s-binary:node-autoapprove-bootstrap",
            roleName: "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
            subject: { kind: "Group", name: BOOTSTRAPPERS_GROUP },
        },
        {
            name: "k8s-binary:node-autoapprove-certificate-rotation",
            roleName: "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
            subject: { kind: "Group", name: "system:nodes" },
        },
    ];
}

/** One rule of a ClusterRole. */
export interface PolicyRuleSpec {
    apiGroups: string[];
    resources: string[];
    verbs: string[];
}

/** The ClusterRole letting the apiservers reach the kubelet API (logs, exec, metrics), and its binding to their client certificate's user. */
export function kubeletApiRole(): { name: string; rules: PolicyRuleSpec[]; binding: ClusterRoleBindingSpec } {
    const name = "system:kube-apiserver-to-kubelet";
    return {
        name,
        rules: [{ apiGroups: [""], resources: ["nodes/proxy", "nodes/stats", "nodes/log", "nodes/spec", "nodes/metrics"], verbs: ["*"] }],
        binding: { name, roleName: name, subject: { kind: "User", name: APISERVER_KUBELET_CLIENT_USER } },
    };
}

/** The name of a bootstrap token's Secret in kube-system. */
export function bootstrapTokenSecretName(id: string): string {
    return `bootstrap-token-${id}`;
}

/**
 * The stringData of a `bootstrap.kubernetes.io/token` Secret named {@link bootstrapTokenSecretName}
 * in kube-system: the token authenticates (kubelets join with it) and signs the cluster-info
 * ConfigMap. `expiration` is RFC 3339; without it the token never expires. Throws on a malformed
 * id or secret (never quoting the secret).
 */
export function bootstrapTokenSecretData(id: string, secret: string, expiration?: string): Record<string, string> {
    if (!/^[a-z0-9]{6}$/.test(id)) throw new Error(`bootstrap token id "${id}" is not 6 characters of [a-z0-9]`);
    if (!/^[a-z0-9]{16}$/.test(secret)) throw new Error(`the secret of bootstrap token ${id} is not 16 characters of [a-z0-9]`);
    if (expiration !== undefined && !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(expiration)) {
        throw new Error(`the expiration of bootstrap token ${id} is not an RFC 3339 time like 2026-12-31T00:00:00Z`);
    }
    const data: Record<string, string> = {
        "token-id": id,
        "token-secret": secret,
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
        "auth-extra-groups": NODE_TOKEN_GROUP,
    };
    if (expiration !== undefined) data.expiration = expiration;
    return data;
}
