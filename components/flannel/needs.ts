import type { HostNeeds, ReleaseNeed } from "../host/needs";

/** The data-plane port of each flannel backend (host-gw has none: it routes through the hosts). */
export const FLANNEL_BACKEND_PORTS = {
    vxlan: { protocol: "udp", port: 8472 },
    udp: { protocol: "udp", port: 8285 },
    wireguard: { protocol: "udp", port: 51820 },
    "host-gw": undefined,
} as const;

/** What flannel runs on a node, as the per-host plan needs it. */
export interface FlannelNeedsArgs {
    /** The backend. */
    backend: keyof typeof FLANNEL_BACKEND_PORTS;
    /** flanneld and the flannel CNI plugin when flannel runs under systemd. Default: none (DaemonSet). */
    releases?: ReleaseNeed[];
    /** The package of the tool flanneld writes its masquerade and forward rules with when it runs under systemd (the DaemonSet's image brings its own). Default: none. */
    ruleTool?: "iptables" | "nftables";
}

/** A node's flannel needs (pure): the backend's port, and the releases and the rule tool when flanneld runs under systemd. */
export function flannelHostNeeds(args: FlannelNeedsArgs): Partial<HostNeeds> {
    const port = FLANNEL_BACKEND_PORTS[args.backend];
    return {
        ports: port ? [{ ...port, what: `flannel ${args.backend}` }] : [],
        releases: args.releases ?? [],
        packages: args.ruleTool ? [args.ruleTool] : [],
    };
}
