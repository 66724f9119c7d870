import type { HostNeeds } from "../host/needs";
import { LB_DEFAULTS, type NginxKeepalivedLBArgs } from "./args";
import { LB_PACKAGES } from "./render-packages";

/**
 * What the LB needs on each of its hosts, by host name, for the caller's host preparation: the
 * packages (declared whether or not the LB installs them itself, see `installPackages`), the
 * listen port and VRRP (IP protocol 112, multicast or unicast alike). No sysctl: nginx listens
 * on the wildcard address, not on the VIP, so it binds before the VIP arrives and needs no
 * `net.ipv4.ip_nonlocal_bind`; keepalived adds the VIP itself. Pure; the Args are not
 * validated here (the component does that).
 */
export function lbHostNeeds(args: NginxKeepalivedLBArgs): Record<string, Partial<HostNeeds>> {
    const port = args.listenPort ?? LB_DEFAULTS.listenPort;
    return Object.fromEntries(
        args.hosts.map((h): [string, Partial<HostNeeds>] => [
            h.host.name,
            {
                packages: [...LB_PACKAGES],
                ports: [
                    { protocol: "tcp", port, what: "apiserver load balancer" },
                    { protocol: "vrrp", what: "keepalived VRRP of the apiserver VIP" },
                ],
            },
        ]),
    );
}
