import { join } from "node:path";

/**
 * Names and addresses of one testbed instance. Everything a testbed creates on the machine carries
 * its instance number N, so concurrent testbeds never collide and leftovers of a dead one can be
 * found by name:
 *   bridge `kbbrN` (gateway 10.77.N.1/24), network namespace `kbN-<host>`, root-side veth
 *   `kbvN-<i>`, hosts at 10.77.N.11, .12, ..., cgroups `k8s-binary-bench-N/<host>` in every
 *   cgroup hierarchy (below the starting process's own cgroup), nft table `inet k8s-binary-bench-N`.
 * Addresses 10.77.N.100-254 are never given to hosts: tests use them for virtual IPs.
 * 10.77.224.0/19 is never an instance: it holds the clusters' pod and service ranges.
 *
 * The machine-wide names (registry, cgroups, nft tables, state directories) keep their older
 * `k8s-binary-bench` prefix on purpose: checkouts of earlier revisions may run testbeds on the same
 * machine at the same time, and they only stay apart while all of them share one registry.
 */

/** Where instances register themselves (one `<N>.json` each) and the lock serialising that. */
export const REGISTRY_DIR = "/run/k8s-binary-bench";
export const REGISTRY_LOCK = join(REGISTRY_DIR, "lock");

/** All testbed subnets; the machine blackholes it while any testbed is registered. */
export const TESTBED_RANGE = "10.77.0.0/16";

/** Instance numbers are the third octet of 10.77.N.0/24; 224-255 are left to cluster ranges. */
export const MIN_INSTANCE = 1;
export const MAX_INSTANCE = 223;

/** Where pod and service ranges must lie: in the blackholed range, clear of every instance's subnet. */
export const CLUSTER_RANGE = "10.77.224.0/19";
export const DEFAULT_POD_CIDR = "10.77.224.0/20";
export const DEFAULT_SERVICE_CIDR = "10.77.240.0/24";

/** Host N gets 10.77.N.(11 + index); .11-.99 leaves .100 and up for virtual IPs. */
const FIRST_HOST_OCTET = 11;
export const MAX_HOSTS = 89;

/** Host names become hostnames, namespace names and unit-file-safe suffixes. */
export const HOST_NAME_PATTERN = /^[a-z][a-z0-9-]{0,19}$/;

/** The cgroup hierarchies without which the hosts' systemd cannot boot (hybrid layout: v1 name=systemd + v2). */
export const CGROUP_HIERARCHIES = ["/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"] as const;

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

/** An instance's cgroup directory name, below the starting process's own cgroup in each hierarchy. */
export function cgroupName(instance: number): string {
    return `k8s-binary-bench-${instance}`;
}

/** The instance's nft table (family inet): its hosts' access to the machine. */
export function firewallTable(instance: number): string {
    return `k8s-binary-bench-${instance}`;
}

function ipv4ToNumber(address: string): number {
    const octets = address.split(".").map(Number);
    if (octets.length !== 4 || octets.some((o) => !Number.isInteger(o) || o < 0 || o > 255)) {
        throw new Error(`bad IPv4 address "${address}"`);
    }
    return octets.reduce((value, octet) => value * 256 + octet, 0);
}

/** First and last address of an IPv4 CIDR, as numbers; throws unless the address is the range's first. */
export function cidrBounds(cidr: string): [number, number] {
    const match = /^([\d.]+)\/(\d+)$/.exec(cidr);
    const length = match ? Number(match[2]) : -1;
    if (!match || length < 8 || length > 30) throw new Error(`bad CIDR "${cidr}" (want a.b.c.d/8-30)`);
    const start = ipv4ToNumber(match[1]);
    const size = 2 ** (32 - length);
    if (start % size !== 0) throw new Error(`bad CIDR "${cidr}": not the first address of its range`);
    return [start, start + size - 1];
}

/** Throws unless the pod and service ranges lie in CLUSTER_RANGE and do not overlap. */
export function checkClusterRanges(podCidr: string, serviceCidr: string): void {
    const [low, high] = cidrBounds(CLUSTER_RANGE);
    const pods = cidrBounds(podCidr);
    const services = cidrBounds(serviceCidr);
    for (const [name, [start, end]] of [
        ["podCidr", pods],
        ["serviceCidr", services],
    ] as const) {
        if (start < low || end > high) throw new Error(`${name} must lie in ${CLUSTER_RANGE}`);
    }
    if (pods[0] <= services[1] && services[0] <= pods[1]) throw new Error("podCidr and serviceCidr overlap");
}
