import type { Host } from "../host";
import type { NginxKeepalivedLBArgs } from "../lb";
import { hostsWithRole } from "../cluster-spec/hosts";
import type { ClusterSpec } from "../cluster-spec/schema";

/** The spec's hosts as plain addresses, for the pure planning that runs before any connection exists. */
export function hostsOf(spec: ClusterSpec): Map<string, Host> {
    return new Map(spec.hosts.map((h) => [h.name, { name: h.name, address: h.address, connection: { host: h.address } }]));
}

/**
 * The load balancer's Args from the spec, one source for its declarations and its deployment:
 * nginx + keepalived on the lb hosts in front of every control-plane host, packages installed by
 * the host plans. Undefined without lb hosts.
 */
export function loadBalancerArgs(spec: ClusterSpec, hosts: Map<string, Host>): NginxKeepalivedLBArgs | undefined {
    const lb = spec.loadBalancer;
    const lbHosts = hostsWithRole(spec, "lb");
    if (!lb || lbHosts.length === 0) return undefined;
    return {
        hosts: lbHosts.map((h) => ({ host: hosts.get(h.name)! })),
        vip: lb.vip,
        interface: lb.interface,
        virtualRouterId: lb.virtualRouterId,
        backends: hostsWithRole(spec, "control-plane").map((h) => `${h.address}:${spec.network.apiserverPort}`),
        listenPort: lb.port,
        installPackages: false,
    };
}
