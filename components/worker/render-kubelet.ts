/**
 * The kubelet's files: its KubeletConfiguration, the flags that have no configuration field, its
 * unit, and the bootstrap kubeconfig it joins with.
 *
 * Certificates: the kubelet's *client* certificate comes from TLS bootstrapping (the bootstrap
 * token's CSR is approved automatically, and so are its renewals: `rotateCertificates: true`). Its
 * *serving* certificate is issued from the cluster CA by the component and named in `tlsCertFile`
 * (`serverTLSBootstrap: false`): the apiservers verify kubelets against the cluster CA
 * (`--kubelet-certificate-authority`), and kubelet-serving CSRs are never approved by the built-in
 * approver, so bootstrapped serving certificates would leave `kubectl logs/exec` failing until some
 * approver existed. Issuing it like every other certificate needs no approver and works from the
 * kubelet's first start; it is renewed by the component's certificate rotation lever.
 */
import { stringify } from "yaml";
import { renderFlagsEnv, renderFlagsExec } from "../control-plane/render-env";
import { renderKubeconfig } from "../pki/kubeconfig";
import { KUBELET_ARGS_VAR, NODE_PATHS } from "./layout";
import type { WorkerNodePlan } from "./plan";

/** The kubelet's KubeletConfiguration (kubelet.config.k8s.io/v1beta1) as data. */
export function kubeletConfiguration(plan: WorkerNodePlan): Record<string, unknown> {
    const config: Record<string, unknown> = {
        apiVersion: "kubelet.config.k8s.io/v1beta1",
        kind: "KubeletConfiguration",
        containerRuntimeEndpoint: `unix://${NODE_PATHS.containerdSocket}`,
        // containerd's runc runs with SystemdCgroup = true: the same driver.
        cgroupDriver: "systemd",
        clusterDomain: plan.clusterDomain,
        clusterDNS: [plan.clusterDns],
        authentication: {
            anonymous: { enabled: false },
            webhook: { enabled: true },
            x509: { clientCAFile: NODE_PATHS.kubeletCaCert },
        },
        authorization: { mode: "Webhook" },
        readOnlyPort: 0,
        rotateCertificates: true,
        serverTLSBootstrap: false,
        tlsCertFile: NODE_PATHS.kubeletServingCert,
        tlsPrivateKeyFile: NODE_PATHS.kubeletServingKey,
    };
    if (plan.maxPods !== undefined) config.maxPods = plan.maxPods;
    if (plan.taints.length > 0) config.registerWithTaints = plan.taints.map((t) => ({ ...t }));
    // Kubelets from 1.35 refuse cgroup v1 hosts unless told (KEP-5573).
    if (plan.cgroupV1) config.failCgroupV1 = false;
    return config;
}

/** config.yaml: {@link kubeletConfiguration} as YAML. */
export function renderKubeletConfig(plan: WorkerNodePlan): string {
    return stringify(kubeletConfiguration(plan));
}

/** The kubelet's flags (names without dashes): what has no KubeletConfiguration field. */
export function kubeletFlags(plan: WorkerNodePlan): Record<string, string> {
    const flags: Record<string, string> = {
        config: NODE_PATHS.kubeletConfig,
        "bootstrap-kubeconfig": NODE_PATHS.bootstrapKubeconfig,
        kubeconfig: NODE_PATHS.kubeletKubeconfig,
        "cert-dir": NODE_PATHS.kubeletCertDir,
        "hostname-override": plan.name,
        "node-ip": plan.nodeIp,
    };
    const labels = Object.entries(plan.labels).map(([k, v]) => `${k}=${v}`);
    if (labels.length > 0) flags["node-labels"] = labels.join(",");
    return flags;
}

/** kubelet.env: the flags as the one variable the unit expands. */
export function renderKubeletEnv(plan: WorkerNodePlan): string {
    return renderFlagsEnv(KUBELET_ARGS_VAR, kubeletFlags(plan));
}

/** kubelet.service: after containerd, which it needs; restarts forever (it waits for its certificate, the runtime, the network). */
export function renderKubeletUnit(kubeletPath: string): string {
    return `[Unit]
Description=Kubernetes node agent (kubelet)
Documentation=https://kubernetes.io/docs/reference/command-line-tools-reference/kubelet/
After=containerd.service network-online.target
Wants=network-online.target
Requires=containerd.service

[Service]
${renderFlagsExec(NODE_PATHS.kubeletEnv, kubeletPath, KUBELET_ARGS_VAR)}
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;
}

/** The names on the kubelet's serving certificate: the Node's name and its IP (what the apiservers dial). */
export function kubeletServingSans(plan: WorkerNodePlan): { dnsNames: string[]; ipAddresses: string[] } {
    return { dnsNames: [plan.name], ipAddresses: [plan.nodeIp] };
}

/** The user name inside the bootstrap kubeconfig (a label only: the token authenticates as system:bootstrap:<id>). */
export const BOOTSTRAP_USER = "kubelet-bootstrap";

/**
 * bootstrap-kubelet.conf: the bootstrap token (`<id>.<secret>`) against the endpoint (the VIP),
 * trusting the cluster CA. Throws on a malformed token, never quoting it.
 */
export function renderBootstrapKubeconfig(plan: WorkerNodePlan, caPem: string, token: string): string {
    if (!/^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(token)) throw new Error(`WorkerNode ${plan.name}: the bootstrap token is not <6 of [a-z0-9]>.<16 of [a-z0-9]>`);
    return renderKubeconfig({ clusterName: plan.clusterName, server: plan.endpoint.url, caPem, user: BOOTSTRAP_USER, token });
}
