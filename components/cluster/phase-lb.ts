import type * as pulumi from "@pulumi/pulumi";
import type { Host, HostPlan } from "../host";
import { NginxKeepalivedLB } from "../lb";
import { hostsWithRole } from "../spec/hosts";
import type { ClusterSpec } from "../spec/schema";

/** Phase 3: nginx + keepalived on the lb hosts, in front of every control-plane host; none without lb hosts. */
export function deployLoadBalancer(parent: pulumi.Resource, name: string, spec: ClusterSpec, hosts: Map<string, Host>, plans: Map<string, HostPlan>) {
    const lb = spec.loadBalancer;
    const lbHosts = hostsWithRole(spec, "lb");
    if (!lb || lbHosts.length === 0) return undefined;
    return new NginxKeepalivedLB(`${name}-lb`, {
        hosts: lbHosts.map((h) => ({ host: hosts.get(h.name)! })),
        vip: lb.vip,
        interface: lb.interface,
        virtualRouterId: lb.virtualRouterId,
        backends: hostsWithRole(spec, "control-plane").map((h) => `${h.address}:${spec.network.apiserverPort}`),
        listenPort: lb.port,
    }, { parent, dependsOn: lbHosts.map((h) => plans.get(h.name)!.prep.ready) });
}
