import { stringify } from "yaml";

/** What a kubeconfig with one cluster, one user and one context holds. */
export interface KubeconfigInput {
    /** Cluster name inside the file (also the context's name prefix). */
    clusterName: string;
    /** The apiserver endpoint, e.g. "https://10.0.0.100:6443" (the LB VIP). */
    server: string;
    /** The cluster CA certificate (PEM). */
    caPem: string;
    /** The user entry's name, e.g. "admin" or "system:kube-scheduler". */
    user: string;
    /** Client certificate (PEM), with `clientKeyPem`. */
    clientCertPem?: string;
    /** Client private key (PEM), with `clientCertPem`. */
    clientKeyPem?: string;
    /** A bearer token (e.g. a kubelet bootstrap token) instead of a client certificate. */
    token?: string;
}

const b64 = (text: string) => Buffer.from(text, "utf8").toString("base64");

/** Renders a kubeconfig (pure, deterministic). Exactly one of client certificate+key or token. */
export function renderKubeconfig(input: KubeconfigInput): string {
    const hasCert = input.clientCertPem !== undefined || input.clientKeyPem !== undefined;
    if (hasCert === (input.token !== undefined)) {
        throw new Error(`kubeconfig for ${input.user}: give either a client certificate and key or a token`);
    }
    if (hasCert && (input.clientCertPem === undefined || input.clientKeyPem === undefined)) {
        throw new Error(`kubeconfig for ${input.user}: a client certificate needs its key, and a key its certificate`);
    }
    if (!/^https:\/\//.test(input.server)) {
        throw new Error(`kubeconfig for ${input.user}: server "${input.server}" must be an https:// URL`);
    }
    const context = `${input.user}@${input.clusterName}`;
    const user: Record<string, string> =
        input.token !== undefined
            ? { token: input.token }
            : { "client-certificate-data": b64(input.clientCertPem!), "client-key-data": b64(input.clientKeyPem!) };
    return stringify({
        apiVersion: "v1",
        kind: "Config",
        clusters: [{ name: input.clusterName, cluster: { server: input.server, "certificate-authority-data": b64(input.caPem) } }],
        users: [{ name: input.user, user }],
        contexts: [{ name: context, context: { cluster: input.clusterName, user: input.user } }],
        "current-context": context,
        preferences: {},
    });
}
