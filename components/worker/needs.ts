import type { HostNeeds, ReleaseNeed } from "../host/needs";

/** The kubelet's API port. */
export const KUBELET_PORT = 10250;
/** kube-proxy's health port. */
export const KUBE_PROXY_HEALTH_PORT = 10256;
/** The default NodePort range of kube-apiserver (--service-node-port-range). */
export const NODE_PORT_RANGE = { from: 30000, to: 32767 } as const;
/** Modules kube-proxy's ipvs mode loads. */
const IPVS_MODULES = ["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack"];

/** What a node runs, as the per-host plan needs it. */
export interface WorkerNeedsArgs {
    /** kube-proxy's mode: ipvs adds its modules and ipvsadm. */
    proxyMode: "iptables" | "nftables" | "ipvs";
    /** The releases of kubelet, kube-proxy and the container runtime. Default: none (until WorkerNode runs them). */
    releases?: ReleaseNeed[];
}

/**
 * A node's needs (pure): the kubelet and kube-proxy ports and the NodePort range; conntrack,
 * ipset and socat (kube-proxy, port-forward); br_netfilter and overlay with bridged traffic
 * seen by iptables and forwarding on (the container runtime and pod networking).
 */
export function workerHostNeeds(args: WorkerNeedsArgs): Partial<HostNeeds> {
    const ipvs = args.proxyMode === "ipvs";
    return {
        ports: [
            { protocol: "tcp", port: KUBELET_PORT, what: "kubelet" },
            { protocol: "tcp", port: KUBE_PROXY_HEALTH_PORT, what: "kube-proxy health" },
            { protocol: "tcp", port: NODE_PORT_RANGE.from, toPort: NODE_PORT_RANGE.to, what: "NodePorts" },
        ],
        packages: ["conntrack", "ipset", "socat", ...(ipvs ? ["ipvsadm"] : [])],
        requiredModules: ["br_netfilter", "overlay"],
        optionalModules: ipvs ? IPVS_MODULES : [],
        sysctl: {
            "net.bridge.bridge-nf-call-iptables": "1",
            "net.bridge.bridge-nf-call-ip6tables": "1",
            "net.ipv4.ip_forward": "1",
        },
        releases: args.releases ?? [],
    };
}
