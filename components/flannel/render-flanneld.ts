/** flanneld under systemd (modes systemd-kube and systemd-etcd): its flags, environment, unit and kubeconfig. */
import { renderFlagsEnv, renderFlagsExec } from "../control-plane/render-env";
import { renderKubeconfig } from "../pki/kubeconfig";
import { SYSTEMD_HEALTHZ_PORT } from "./args";
import { FLANNEL_PATHS, FLANNEL_USER, FLANNELD_ARGS_VAR } from "./layout";
import type { FlannelNodePlan, FlannelPlan } from "./plan";

/**
 * flanneld's flags on one node (names without dashes; every one is in flanneld 0.28's flag set,
 * which Go's flag package parses, refusing unknown ones). Health on the node's loopback only.
 * - systemd-kube: `--kube-subnet-mgr` with its kubeconfig and net-conf.json; NODE_NAME comes from
 *   the environment file ({@link renderFlanneldEnv}).
 * - systemd-etcd: the members' URLs, the prefix, and flanneld's own etcd client certificate.
 */
export function flanneldFlags(plan: FlannelPlan, node: FlannelNodePlan): Record<string, string> {
    const flags: Record<string, string> = {
        "ip-masq": String(plan.ipMasq),
        "subnet-file": FLANNEL_PATHS.subnetEnv,
        "healthz-ip": "127.0.0.1",
        "healthz-port": String(SYSTEMD_HEALTHZ_PORT),
    };
    if (node.interface !== undefined) flags.iface = node.interface;
    if (plan.mode === "systemd-kube") {
        flags["kube-subnet-mgr"] = "true";
        flags["kubeconfig-file"] = FLANNEL_PATHS.kubeconfig;
        flags["net-config-path"] = FLANNEL_PATHS.netConf;
    } else if (plan.mode === "systemd-etcd") {
        if (plan.etcd === undefined) throw new Error(`FlannelNetwork ${plan.name}: mode systemd-etcd without etcd endpoints`);
        flags["etcd-endpoints"] = plan.etcd.endpoints.join(",");
        flags["etcd-prefix"] = plan.etcd.prefix;
        flags["etcd-cafile"] = FLANNEL_PATHS.etcdCaCert;
        flags["etcd-certfile"] = FLANNEL_PATHS.etcdClientCert;
        flags["etcd-keyfile"] = FLANNEL_PATHS.etcdClientKey;
    } else {
        throw new Error(`FlannelNetwork ${plan.name}: mode ${plan.mode} does not run flanneld under systemd`);
    }
    return flags;
}

/** flanneld.env: the flags as one variable, and (systemd-kube) NODE_NAME, the Node flanneld reads its podCIDR from. */
export function renderFlanneldEnv(plan: FlannelPlan, node: FlannelNodePlan): string {
    const env = renderFlagsEnv(FLANNELD_ARGS_VAR, flanneldFlags(plan, node));
    if (plan.mode !== "systemd-kube") return env;
    if (!/^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/.test(node.name)) throw new Error(`FlannelNetwork ${plan.name}: "${node.name}" is not a node name`);
    return `${env}# The Node whose spec.podCIDR flanneld takes (the kubelet registers it under the host's name).\nNODE_NAME=${node.name}\n`;
}

/**
 * flanneld.service: `Type=notify` (flanneld tells systemd once the subnet file is written), after
 * the network is online; restarts forever (it waits for its Node's podCIDR, or for etcd).
 */
export function renderFlanneldUnit(flanneldPath: string): string {
    if (!/^\/[A-Za-z0-9_./-]+$/.test(flanneldPath)) throw new Error(`"${flanneldPath}" is not an absolute path a unit can run`);
    return `[Unit]
Description=flannel pod network agent (flanneld)
Documentation=https://github.com/flannel-io/flannel
After=network-online.target
Wants=network-online.target

[Service]
Type=notify
${renderFlagsExec(FLANNEL_PATHS.env, flanneldPath, FLANNELD_ARGS_VAR)}
Restart=always
RestartSec=5s

[Install]
WantedBy=multi-user.target
`;
}

/** flanneld's kubeconfig (systemd-kube): its client certificate (user {@link FLANNEL_USER}) against the endpoint, trusting the cluster CA. */
export function renderFlanneldKubeconfig(plan: FlannelPlan, caPem: string, clientCertPem: string, clientKeyPem: string): string {
    if (plan.endpoint === undefined) throw new Error(`FlannelNetwork ${plan.name}: no endpoint, so no kubeconfig`);
    return renderKubeconfig({ clusterName: plan.clusterName, server: plan.endpoint.url, caPem, user: FLANNEL_USER, clientCertPem, clientKeyPem });
}
