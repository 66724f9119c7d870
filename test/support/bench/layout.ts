import { join } from "node:path";

/**
 * Names and addresses of one bench instance. Everything a bench creates on the machine carries
 * its instance number N, so concurrent benches never collide and leftovers of a dead one can be
 * found by name:
 *   bridge `kbbrN` (gateway 10.77.N.1/24), network namespace `kbN-<host>`, root-side veth
 *   `kbvN-<i>`, hosts at 10.77.N.11, .12, ..., cgroups `k8s-binary-bench/N/<host>` in the
 *   machine's name=systemd and unified hierarchies.
 * Addresses 10.77.N.100-254 are never given to hosts: tests use them for virtual IPs.
 */

/** Where instances register themselves (one `<N>.json` each) and the lock serialising that. */
export const REGISTRY_DIR = "/run/k8s-binary-bench";
export const REGISTRY_LOCK = join(REGISTRY_DIR, "lock");

/** Instance numbers are the third octet of 10.77.N.0/24. */
export const MIN_INSTANCE = 1;
export const MAX_INSTANCE = 254;

/** Host N gets 10.77.N.(11 + index); .11-.99 leaves .100 and up for virtual IPs. */
const FIRST_HOST_OCTET = 11;
export const MAX_HOSTS = 89;

/** Host names become hostnames, namespace names and unit-file-safe suffixes. */
export const HOST_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** The machine's cgroup hierarchies the hosts' systemd uses (hybrid layout: v1 name=systemd + v2). */
export const CGROUP_HIERARCHIES = ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"] as const;
const CGROUP_PARENT = "k8s-binary-bench";

export function bridgeName(instance: number): string {
    return `kbbr${instance}`;
}

export function netnsPrefix(instance: number): string {
    return `kb${instance}-`;
}

export function netnsName(instance: number, host: string): string {
    return `${netnsPrefix(instance)}${host}`;
}

export function vethPrefix(instance: number): string {
    return `kbv${instance}-`;
}

/** Root-side end of a host's veth pair; the host side is `eth0`. At most 15 characters. */
export function vethName(instance: number, index: number): string {
    return `${vethPrefix(instance)}${index}`;
}

/** 10.77.N.<octet> */
export function instanceAddress(instance: number, octet: number): string {
    if (!Number.isInteger(octet) || octet < 1 || octet > 254) throw new Error(`bad host octet ${octet}`);
    return `10.77.${instance}.${octet}`;
}

export function subnet(instance: number): string {
    return `10.77.${instance}.0/24`;
}

export function gatewayAddress(instance: number): string {
    return instanceAddress(instance, 1);
}

export function hostAddress(instance: number, index: number): string {
    return instanceAddress(instance, FIRST_HOST_OCTET + index);
}

/** The parent cgroup of all bench instances in one hierarchy. */
function cgroupParent(hierarchy: string): string {
    return join(hierarchy, CGROUP_PARENT);
}

/** An instance's cgroup in one hierarchy; with a host, that host's cgroup (its cgroup-namespace root). */
export function cgroupDir(hierarchy: string, instance: number, host?: string): string {
    const dir = join(cgroupParent(hierarchy), String(instance));
    return host === undefined ? dir : join(dir, host);
}

/** The v2 cgroup: its `cgroup.kill` and `cgroup.events` cover every process of a host or instance. */
export function unifiedCgroupDir(instance: number, host?: string): string {
    return cgroupDir(CGROUP_HIERARCHIES[1], instance, host);
}
