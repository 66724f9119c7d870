/**
 * CoreDNS, the cluster DNS, as pure object specs for @pulumi/kubernetes (kubeadm's manifest):
 * a ServiceAccount, the ClusterRole system:coredns and its binding, the Corefile ConfigMap, a
 * Deployment with liveness (/health) and readiness (/ready), and the Service kube-dns at the
 * kubelets' `clusterDNS` address. The image must be imported on the nodes: no registry is assumed.
 */
import type * as k8s from "@pulumi/kubernetes";
import { CONTROL_PLANE_TAINT } from "./args";

/** CoreDNS's image (kubeadm 1.37's), fully qualified. */
export const DEFAULT_COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.14.6";
/** Replicas when the Args give none. */
export const DEFAULT_COREDNS_REPLICAS = 2;
/** The objects' names and the pods' label. */
export const COREDNS = { namespace: "kube-system", name: "coredns", serviceName: "kube-dns", clusterRole: "system:coredns", appLabel: "kube-dns" } as const;

/** What the CoreDNS objects depend on. */
export interface CorednsArgs {
    /** The Service's ClusterIP: the kubelets' `clusterDNS`. */
    clusterDns: string;
    /** The cluster DNS domain the `kubernetes` plugin answers for. */
    clusterDomain: string;
    /** Default: {@link DEFAULT_COREDNS_IMAGE}. */
    image?: string;
    /** Default: {@link DEFAULT_COREDNS_REPLICAS}. */
    replicas?: number;
}

/** The objects, each as the Args of its @pulumi/kubernetes resource. */
export interface CorednsObjects {
    serviceAccount: k8s.types.input.core.v1.ServiceAccount;
    clusterRole: k8s.types.input.rbac.v1.ClusterRole;
    clusterRoleBinding: k8s.types.input.rbac.v1.ClusterRoleBinding;
    configMap: k8s.types.input.core.v1.ConfigMap;
    deployment: k8s.types.input.apps.v1.Deployment;
    service: k8s.types.input.core.v1.Service;
}

/**
 * The Corefile: the cluster domain and reverse zones from the API, everything else forwarded to
 * the node's resolv.conf (`loop` stops CoreDNS if that points back at itself), metrics on 9153.
 */
export function renderCorefile(clusterDomain: string): string {
    if (!/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(clusterDomain)) throw new Error(`"${clusterDomain}" is not a DNS domain`);
    return `.:53 {
    errors
    health {
        lameduck 5s
    }
    ready
    kubernetes ${clusterDomain} in-addr.arpa ip6.arpa {
        pods insecure
        fallthrough in-addr.arpa ip6.arpa
        ttl 30
    }
    prometheus :9153
    forward . /etc/resolv.conf {
        max_concurrent 1000
    }
    cache 30 {
        disable success ${clusterDomain}
        disable denial ${clusterDomain}
    }
    loop
    reload
    loadbalance
}
`;
}

/** The CoreDNS objects (pure). */
export function corednsObjects(args: CorednsArgs): CorednsObjects {
    const { namespace, name, serviceName, clusterRole, appLabel } = COREDNS;
    const labels = { "k8s-app": appLabel };
    return {
        serviceAccount: { metadata: { name, namespace } },
        clusterRole: {
            metadata: { name: clusterRole, labels: { "kubernetes.io/bootstrapping": "rbac-defaults" } },
            rules: [
                { apiGroups: [""], resources: ["endpoints", "services", "pods", "namespaces"], verbs: ["list", "watch"] },
                { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
            ],
        },
        clusterRoleBinding: {
            metadata: { name: clusterRole, labels: { "kubernetes.io/bootstrapping": "rbac-defaults" } },
            roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: clusterRole },
            subjects: [{ kind: "ServiceAccount", name, namespace }],
        },
        configMap: { metadata: { name, namespace }, data: { Corefile: renderCorefile(args.clusterDomain) } },
        deployment: {
            metadata: { name, namespace, labels },
            spec: {
                replicas: args.replicas ?? DEFAULT_COREDNS_REPLICAS,
                strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } },
                selector: { matchLabels: labels },
                template: {
                    metadata: { labels },
                    spec: {
                        priorityClassName: "system-cluster-critical",
                        serviceAccountName: name,
                        tolerations: [{ key: "CriticalAddonsOnly", operator: "Exists" }, { ...CONTROL_PLANE_TAINT }],
                        nodeSelector: { "kubernetes.io/os": "linux" },
                        affinity: {
                            podAntiAffinity: {
                                preferredDuringSchedulingIgnoredDuringExecution: [
                                    {
                                        weight: 100,
                                        podAffinityTerm: {
                                            labelSelector: { matchExpressions: [{ key: "k8s-app", operator: "In", values: [appLabel] }] },
                                            topologyKey: "kubernetes.io/hostname",
                                        },
                                    },
                                ],
                            },
                        },
                        containers: [
                            {
                                name,
                                image: args.image ?? DEFAULT_COREDNS_IMAGE,
                                imagePullPolicy: "IfNotPresent",
                                resources: { limits: { memory: "170Mi" }, requests: { cpu: "100m", memory: "70Mi" } },
                                args: ["-conf", "/etc/coredns/Corefile"],
                                volumeMounts: [{ name: "config-volume", mountPath: "/etc/coredns", readOnly: true }],
                                ports: [
                                    { containerPort: 53, name: "dns", protocol: "UDP" },
                                    { containerPort: 53, name: "dns-tcp", protocol: "TCP" },
                                    { containerPort: 9153, name: "metrics", protocol: "TCP" },
                                ],
                                securityContext: {
                                    allowPrivilegeEscalation: false,
                                    capabilities: { add: ["NET_BIND_SERVICE"], drop: ["ALL"] },
                                    readOnlyRootFilesystem: true,
                                },
                                livenessProbe: {
                                    httpGet: { path: "/health", port: 8080, scheme: "HTTP" },
                                    initialDelaySeconds: 60,
                                    timeoutSeconds: 5,
                                    successThreshold: 1,
                                    failureThreshold: 5,
                                },
                                readinessProbe: { httpGet: { path: "/ready", port: 8181, scheme: "HTTP" } },
                            },
                        ],
                        // CoreDNS itself resolves through the node's resolv.conf, not through itself.
                        dnsPolicy: "Default",
                        volumes: [{ name: "config-volume", configMap: { name, items: [{ key: "Corefile", path: "Corefile" }] } }],
                    },
                },
            },
        },
        service: {
            metadata: {
                name: serviceName,
                namespace,
                labels: { ...labels, "kubernetes.io/cluster-service": "true", "kubernetes.io/name": "CoreDNS" },
                annotations: { "prometheus.io/port": "9153", "prometheus.io/scrape": "true" },
            },
            spec: {
                selector: labels,
                clusterIP: args.clusterDns,
                ports: [
                    { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
                    { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
                    { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
                ],
            },
        },
    };
}
