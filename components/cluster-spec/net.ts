import * as ipaddr from "ipaddr.js";

/** An IPv4 block, parsed once: its text, network address and prefix length. */
export interface Cidr {
    /** The block as written, e.g. `10.244.0.0/16`. */
    text: string;
    /** Its network address. */
    network: ipaddr.IPv4;
    /** Its prefix length. */
    prefix: number;
}

/** True for a dotted-quad IPv4 address such as `192.168.80.10` (no shorthand forms). */
export function isIPv4(text: string): boolean {
    return ipaddr.IPv4.isValidFourPartDecimal(text);
}

/** True for an IPv4 block in dotted-quad form with a prefix, such as `10.96.0.0/12`. */
export function isIPv4Cidr(text: string): boolean {
    return ipaddr.IPv4.isValidCIDRFourPartDecimal(text);
}

/** Parses an IPv4 block; the caller has checked it with `isIPv4Cidr`. */
export function parseCidr(text: string): Cidr {
    const [, prefix] = ipaddr.IPv4.parseCIDR(text);
    return { text, network: ipaddr.IPv4.networkAddressFromCIDR(text), prefix };
}

/** The canonical form of a block (`10.244.1.0/16` → `10.244.0.0/16`). */
export function canonicalCidr(text: string): string {
    const block = parseCidr(text);
    return `${block.network.toString()}/${block.prefix}`;
}

/** True when an address lies inside a block. */
export function contains(block: Cidr, address: string): boolean {
    return ipaddr.IPv4.parse(address).match(block.network, block.prefix);
}

/** True when two blocks share at least one address (blocks are either nested or disjoint). */
export function overlaps(a: Cidr, b: Cidr): boolean {
    return a.network.match(b.network, b.prefix) || b.network.match(a.network, a.prefix);
}

/** The address `offset` places after the block's network address (0 is the network address itself). */
export function nthAddress(block: Cidr, offset: number): string {
    const base = block.network.toByteArray().reduce((acc, byte) => acc * 256 + byte, 0);
    let value = base + offset;
    const bytes: number[] = [];
    for (let i = 0; i < 4; i++) {
        bytes.unshift(value % 256);
        value = Math.floor(value / 256);
    }
    return ipaddr.fromByteArray(bytes).toString();
}

/** The block's broadcast (last) address. */
export function broadcastAddress(block: Cidr): string {
    return ipaddr.IPv4.broadcastAddressFromCIDR(`${block.network.toString()}/${block.prefix}`).toString();
}

/** How many addresses the block holds. */
export function size(block: Cidr): number {
    return 2 ** (32 - block.prefix);
}
