/**
 * Mode daemonset: upstream's kube-flannel objects (Documentation/kube-flannel.yml of flannel 0.28)
 * as pure @pulumi/kubernetes input types, with the locally built images (imported on every node,
 * `IfNotPresent`: no registry is assumed) and this plan's net-conf.json and conflist.
 */
import type * as k8s from "@pulumi/kubernetes";
import { sha256Hex } from "../host/fingerprint";
import { DEFAULT_HEALTHZ_PORT } from "./args";
import { FLANNEL_PATHS, KUBE_FLANNEL } from "./layout";
import type { FlannelPlan } from "./plan";
import { flannelClusterRole, flannelClusterRoleBinding } from "./rbac";
import { renderCniConflist } from "./render-cni";
import { renderNetConf } from "./render-net-conf";

/** The pod template's annotation holding net-conf.json's sha256. */
export const NET_CONF_CHECKSUM_ANNOTATION = "k8s-binary/net-conf-sha256";

/** The objects, each as the Args of its @pulumi/kubernetes resource. */
export interface KubeFlannelObjects {
    namespace: k8s.types.input.core.v1.Namespace;
    serviceAccount: k8s.types.input.core.v1.ServiceAccount;
    clusterRole: k8s.types.input.rbac.v1.ClusterRole;
    clusterRoleBinding: k8s.types.input.rbac.v1.ClusterRoleBinding;
    configMap: k8s.types.input.core.v1.ConfigMap;
    daemonSet: k8s.types.input.apps.v1.DaemonSet;
}

/** flanneld's arguments in the DaemonSet (it finds its Node through POD_NAME and the in-cluster config). */
export function daemonSetFlanneldArgs(plan: FlannelPlan): string[] {
    const args = ["--kube-subnet-mgr", `--ip-masq=${plan.ipMasq}`, `--healthz-port=${DEFAULT_HEALTHZ_PORT}`];
    // One interface for every node: per-node interfaces need the systemd modes.
    if (plan.interface !== undefined) args.push(`--iface=${plan.interface}`);
    return args;
}

/** The kube-flannel objects (pure). Throws when the plan's mode is not daemonset. */
export function kubeFlannelObjects(plan: FlannelPlan): KubeFlannelObjects {
    if (plan.mode !== "daemonset") throw new Error(`FlannelNetwork ${plan.name}: mode ${plan.mode} runs no DaemonSet`);
    const { namespace, serviceAccount, configMap, daemonSet } = KUBE_FLANNEL;
    const appLabels = { tier: "node", app: "flannel" };
    const hostPath = (name: string, path: string, type?: string) => ({ name, hostPath: type ? { path, type } : { path } });
    return {
        namespace: { metadata: { name: namespace, labels: { "k8s-app": "flannel", "pod-security.kubernetes.io/enforce": "privileged" } } },
        serviceAccount: { metadata: { name: serviceAccount, namespace, labels: { "k8s-app": "flannel" } } },
        clusterRole: flannelClusterRole("daemonset"),
        clusterRoleBinding: flannelClusterRoleBinding("daemonset"),
        configMap: {
            metadata: { name: configMap, namespace, labels: { ...appLabels, "k8s-app": "flannel" } },
            data: { "cni-conf.json": renderCniConflist(), "net-conf.json": renderNetConf(plan) },
        },
        daemonSet: {
            metadata: { name: daemonSet, namespace, labels: { ...appLabels, "k8s-app": "flannel" } },
            spec: {
                selector: { matchLabels: { app: "flannel" } },
                template: {
                    // A changed net-conf rolls the pods (flanneld reads it only at start).
                    metadata: { labels: appLabels, annotations: { [NET_CONF_CHECKSUM_ANNOTATION]: sha256Hex(renderNetConf(plan)) } },
                    spec: {
                        affinity: {
                            nodeAffinity: {
                                requiredDuringSchedulingIgnoredDuringExecution: {
                                    nodeSelectorTerms: [{ matchExpressions: [{ key: "kubernetes.io/os", operator: "In", values: ["linux"] }] }],
                                },
                            },
                        },
                        hostNetwork: true,
                        priorityClassName: "system-node-critical",
                        tolerations: [{ operator: "Exists", effect: "NoSchedule" }],
                        serviceAccountName: serviceAccount,
                        initContainers: [
                            {
                                name: "install-cni-plugin",
                                image: plan.cniPluginImage,
                                imagePullPolicy: "IfNotPresent",
                                command: ["cp"],
                                args: ["-f", "/flannel", "/opt/cni/bin/flannel"],
                                volumeMounts: [{ name: "cni-plugin", mountPath: "/opt/cni/bin" }],
                            },
                            {
                                name: "install-cni",
                                image: plan.image,
                                imagePullPolicy: "IfNotPresent",
                                command: ["/opt/bin/install-conf"],
                                args: ["/etc/kube-flannel/cni-conf.json", FLANNEL_PATHS.conflist],
                                volumeMounts: [
                                    { name: "cni", mountPath: "/etc/cni/net.d" },
                                    { name: "flannel-cfg", mountPath: "/etc/kube-flannel/" },
                                ],
                            },
                        ],
                        containers: [
                            {
                                name: "kube-flannel",
                                image: plan.image,
                                imagePullPolicy: "IfNotPresent",
                                command: ["/opt/bin/flanneld"],
                                args: daemonSetFlanneldArgs(plan),
                                ports: [{ name: "healthz", containerPort: DEFAULT_HEALTHZ_PORT, protocol: "TCP" }],
                                livenessProbe: { httpGet: { path: "/healthz", port: "healthz" }, initialDelaySeconds: 10, periodSeconds: 30 },
                                readinessProbe: { httpGet: { path: "/readyz", port: "healthz" }, initialDelaySeconds: 5, periodSeconds: 10 },
                                resources: { requests: { cpu: "100m", memory: "50Mi" } },
                                securityContext: { privileged: false, capabilities: { add: ["NET_ADMIN", "NET_RAW"] } },
                                env: [
                                    { name: "POD_NAME", valueFrom: { fieldRef: { fieldPath: "metadata.name" } } },
                                    { name: "POD_NAMESPACE", valueFrom: { fieldRef: { fieldPath: "metadata.namespace" } } },
                                    { name: "EVENT_QUEUE_DEPTH", value: "5000" },
                                    { name: "CONT_WHEN_CACHE_NOT_READY", value: "false" },
                                ],
                                volumeMounts: [
                                    { name: "run", mountPath: "/run/flannel" },
                                    { name: "flannel-cfg", mountPath: "/etc/kube-flannel/" },
                                    { name: "xtables-lock", mountPath: "/run/xtables.lock" },
                                ],
                            },
                        ],
                        volumes: [
                            hostPath("run", "/run/flannel"),
                            hostPath("cni-plugin", plan.cniBinDir),
                            hostPath("cni", "/etc/cni/net.d"),
                            { name: "flannel-cfg", configMap: { name: configMap } },
                            hostPath("xtables-lock", "/run/xtables.lock", "FileOrCreate"),
                        ],
                    },
                },
            },
        },
    };
}
