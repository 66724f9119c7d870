import type { ClusterSpec, HostSpec } from "../spec";

/** What HostPrep must do on one host, derived from its roles (pure). */
export interface HostNeeds {
    /** Firewall openings, e.g. "2379/tcp", "vrrp". Sorted, no duplicates. */
    openPorts: string[];
    /** Kernel modules loaded when available. */
    optionalModules: string[];
    /** Packages the host's roles need. */
    packages: string[];
}

const KUBE_PROXY_IPVS_MODULES = ["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh", "nf_conntrack"];

/** The flannel backend's data-plane port, opened on every node. */
function flannelPorts(spec: ClusterSpec): string[] {
    switch (spec.flannel.backend) {
        case "vxlan": return ["8472/udp"];
        case "udp": return ["8285/udp"];
        case "wireguard": return ["51820/udp"];
        case "host-gw": return [];
    }
}

/**
 * Ports, modules and packages per role, so each host opens exactly what its roles serve:
 * etcd client+peer, apiserver and the controllers' secure ports, kubelet and NodePorts,
 * the LB port and VRRP.
 */
export function hostNeeds(spec: ClusterSpec, host: HostSpec): HostNeeds {
    const roles = new Set(host.roles);
    const ports = new Set<string>();
    const modules = new Set<string>();
    const packages = new Set<string>(["curl"]);
    if (roles.has("etcd")) ["2379/tcp", "2380/tcp"].forEach((p) => ports.add(p));
    if (roles.has("control-plane")) {
        [`${spec.network.apiserverPort}/tcp`, "10257/tcp", "10259/tcp"].forEach((p) => ports.add(p));
    }
    if (roles.has("worker")) {
        ["10250/tcp", "10256/tcp", "30000-32767/tcp", ...flannelPorts(spec)].forEach((p) => ports.add(p));
        ["conntrack", "ipset", "socat"].forEach((p) => packages.add(p));
        if (spec.network.proxyMode === "ipvs") {
            KUBE_PROXY_IPVS_MODULES.forEach((m) => modules.add(m));
            packages.add("ipvsadm");
        }
    }
    if (roles.has("lb") && spec.loadBalancer) {
        ports.add(`${spec.loadBalancer.port}/tcp`);
        ports.add("vrrp");
    }
    return { openPorts: [...ports].sort(), optionalModules: [...modules].sort(), packages: [...packages].sort() };
}
