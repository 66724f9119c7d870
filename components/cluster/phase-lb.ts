import type { DeployContext } from "./deploy-context";
import { NginxKeepalivedLB } from "../lb";
import { loadBalancerArgs } from "./lb-args";

/** Phase 3: nginx + keepalived on the lb hosts, after their host plans installed the packages; none without lb hosts. */
export function deployLoadBalancer({ parent, name, spec, hosts, plans }: DeployContext) {
    const args = loadBalancerArgs(spec, hosts);
    if (!args) return undefined;
    return new NginxKeepalivedLB(`${name}-lb`, args, { parent, dependsOn: args.hosts.map((h) => plans.get(h.host.name)!.prep.ready) });
}
