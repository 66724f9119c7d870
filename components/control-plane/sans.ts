import * as ipaddr from "ipaddr.js";
import type { ControlPlaneMember } from "./layout";

/** What the serving certificates' names derive from. */
export interface SansInput {
    /** Where clients reach the apiservers (the VIP), host part. */
    endpoint: { host: string };
    /** The `kubernetes` Service's ClusterIP: the first address of the service range. */
    kubernetesServiceIp: string;
    clusterDomain: string;
    extraSans: { dnsNames: string[]; ipAddresses: string[] };
}

/**
 * The names on one apiserver's serving certificate (pure): its host, the endpoint clients use
 * (so a VIP outside the names cannot happen), the `kubernetes` Service by address and every name
 * pods resolve it by, and the extra names. One certificate per host: adding or removing a
 * control-plane host re-issues no other host's certificate.
 */
export function apiserverSans(plan: SansInput, member: ControlPlaneMember): { dnsNames: string[]; ipAddresses: string[] } {
    const dnsNames = [
        member.name,
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        `kubernetes.default.svc.${plan.clusterDomain}`,
        ...plan.extraSans.dnsNames,
    ];
    const ipAddresses = [member.address, plan.kubernetesServiceIp, ...plan.extraSans.ipAddresses];
    (ipaddr.isValid(plan.endpoint.host) ? ipAddresses : dnsNames).push(plan.endpoint.host);
    return { dnsNames: [...new Set(dnsNames)], ipAddresses: [...new Set(ipAddresses)] };
}
