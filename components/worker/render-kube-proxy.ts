/** kube-proxy's files: its KubeProxyConfiguration, its kubeconfig and its unit. */
import { stringify } from "yaml";
import { renderKubeconfig } from "../pki/kubeconfig";
import { KUBE_PROXY_USER, NODE_PATHS } from "./layout";
import type { WorkerNodePlan } from "./plan";

/** kube-proxy's KubeProxyConfiguration (kubeproxy.config.k8s.io/v1alpha1) as data. */
export function kubeProxyConfiguration(plan: WorkerNodePlan): Record<string, unknown> {
    const config: Record<string, unknown> = {
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        kind: "KubeProxyConfiguration",
        clientConnection: { kubeconfig: NODE_PATHS.kubeProxyKubeconfig },
        hostnameOverride: plan.name,
        mode: plan.proxy.mode,
        // Traffic from outside the pod block to a Service is masqueraded.
        clusterCIDR: plan.podCidr,
    };
    // 0 leaves nf_conntrack_max alone (hosts where it is read-only).
    if (plan.proxy.conntrackMaxPerCore !== undefined) config.conntrack = { maxPerCore: plan.proxy.conntrackMaxPerCore };
    return config;
}

/** config.yaml: {@link kubeProxyConfiguration} as YAML. */
export function renderKubeProxyConfig(plan: WorkerNodePlan): string {
    return stringify(kubeProxyConfiguration(plan));
}

/** kube-proxy's kubeconfig: its client certificate (user system:kube-proxy, bound to system:node-proxier) against the endpoint. */
export function renderKubeProxyKubeconfig(plan: WorkerNodePlan, caPem: string, clientCertPem: string, clientKeyPem: string): string {
    return renderKubeconfig({ clusterName: plan.clusterName, server: plan.endpoint.url, caPem, user: KUBE_PROXY_USER, clientCertPem, clientKeyPem });
}

/** kube-proxy.service. */
export function renderKubeProxyUnit(kubeProxyPath: string): string {
    return `[Unit]
Description=Kubernetes network proxy (kube-proxy)
Documentation=https://kubernetes.io/docs/reference/command-line-tools-reference/kube-proxy/
After=network-online.target
Wants=network-online.target

[Service]
ExecStart=${kubeProxyPath} --config=${NODE_PATHS.kubeProxyConfig}
Restart=always
RestartSec=5s
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}
