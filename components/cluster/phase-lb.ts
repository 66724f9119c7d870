import type * as pulumi from "@pulumi/pulumi";
import type { Host, HostPlan } from "../host";
import { NginxKeepalivedLB } from "../lb";
import type { ClusterSpec } from "../cluster-spec/schema";
import { loadBalancerArgs } from "./lb-args";

/** Phase 3: nginx + keepalived on the lb hosts, after their host plans installed the packages; none without lb hosts. */
export function deployLoadBalancer(parent: pulumi.Resource, name: string, spec: ClusterSpec, hosts: Map<string, Host>, plans: Map<string, HostPlan>) {
    const args = loadBalancerArgs(spec, hosts);
    if (!args) return undefined;
    return new NginxKeepalivedLB(`${name}-lb`, args, { parent, dependsOn: args.hosts.map((h) => plans.get(h.host.name)!.prep.ready) });
}
