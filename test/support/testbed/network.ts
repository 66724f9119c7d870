import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { TESTBED_RANGE, bridgeName, gatewayAddress, hostAddress, netnsName, netnsPrefix, vethName, vethPrefix } from "./layout";
import { runOk, runSync } from "./proc";

/*
 * One private bridge per instance, one network namespace per host. Safety by construction: the
 * bridge is only an address on the machine (10.77.N.1/24), no host gets a default route, nothing
 * enables forwarding or NAT, and IPv6 is off on the machine's side of the links, so hosts reach
 * each other and the machine and nothing else; the instance's nft table (firewall.ts) narrows
 * "the machine" to the testbed's own mirror ports.
 */

/** Turns IPv6 off on a machine-side link before it comes up (no link-local path to the machine). */
function disableIpv6(link: string): void {
    const knob = `/proc/sys/net/ipv6/conf/${link}/disable_ipv6`;
    if (existsSync(knob)) writeFileSync(knob, "1");
}

/** Runs `ip` commands in one process (`ip -batch`); with a namespace, inside it. */
async function ipBatch(lines: string[], netns?: string): Promise<void> {
    await runOk("ip", [...(netns ? ["-n", netns] : []), "-batch", "-"], { input: `${lines.join("\n")}\n` });
}

/**
 * The instance's bridge (10.77.N.1/24) and, per host, a namespace whose `eth0` (with the host's
 * address) is the far end of a veth pair plugged into the bridge.
 */
export async function createNetwork(instance: number, hosts: readonly string[]): Promise<void> {
    const bridge = bridgeName(instance);
    await ipBatch([
        `link add ${bridge} type bridge`,
        ...hosts.flatMap((host, index) => [
            `netns add ${netnsName(instance, host)}`,
            `link add ${vethName(instance, index)} type veth peer name eth0 netns ${netnsName(instance, host)}`,
        ]),
    ]);
    disableIpv6(bridge);
    hosts.forEach((_, index) => disableIpv6(vethName(instance, index)));
    await ipBatch([
        `addr add ${gatewayAddress(instance)}/24 dev ${bridge}`,
        `link set ${bridge} up`,
        ...hosts.map((_, index) => `link set ${vethName(instance, index)} master ${bridge} up`),
    ]);
    await Promise.all(
        hosts.map((host, index) =>
            ipBatch([`addr add ${hostAddress(instance, index)}/24 dev eth0`, "link set eth0 up", "link set lo up"], netnsName(instance, host)),
        ),
    );
}

function listNames(dir: string, prefix: string): string[] {
    try {
        return readdirSync(dir).filter((name) => name.startsWith(prefix));
    } catch {
        return [];
    }
}

/**
 * Deletes everything network an instance created, found by name so that it also cleans up after
 * a run that died before recording what it made. Deleting a namespace destroys its veth pair.
 */
export function removeNetworkSync(instance: number): void {
    for (const netns of listNames("/run/netns", netnsPrefix(instance))) runSync("ip", ["netns", "delete", netns]);
    for (const link of listNames("/sys/class/net", vethPrefix(instance))) runSync("ip", ["link", "delete", link]);
    if (existsSync(`/sys/class/net/${bridgeName(instance)}`)) runSync("ip", ["link", "delete", bridgeName(instance)]);
}

/**
 * The blackhole route for all testbed subnets makes the machine drop traffic to a testbed address
 * whose bridge is gone (or a cluster range) instead of sending it out of its default route. The
 * registry adds it with the first testbed and deletes it with the last, under its lock.
 */
export function addBlackholeRoute(): void {
    const result = runSync("ip", ["route", "replace", "blackhole", TESTBED_RANGE]);
    if (result.code !== 0) throw new Error(`ip route replace blackhole ${TESTBED_RANGE}: ${result.stderr}`);
}

export function removeBlackholeRoute(): void {
    runSync("ip", ["route", "delete", "blackhole", TESTBED_RANGE]);
}
