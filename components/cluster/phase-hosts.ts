import type * as pulumi from "@pulumi/pulumi";
import { HostPlan, type Host, type MergedNeeds } from "../host";
import type { ClusterSpec } from "../cluster-spec/schema";

/**
 * Phase 1: every host prepared once whatever its roles, from the merged declarations of the
 * components on it, and each release installed once per host.
 */
export function prepareHosts(parent: pulumi.Resource, spec: ClusterSpec, hosts: Map<string, Host>, needs: Map<string, MergedNeeds>): Map<string, HostPlan> {
    const hostsEntries = spec.hosts.map((e) => ({ name: e.name, address: e.address }));
    return new Map(
        spec.hosts.map((h) => [
            h.name,
            new HostPlan(
                h.name,
                {
                    host: hosts.get(h.name)!,
                    needs: needs.get(h.name)!.needs,
                    prep: { hostsEntries },
                },
                { parent },
            ),
        ]),
    );
}
