/**
 * IPv4 blocks as the plans check and compare them (pod and service ranges): parsed, at their
 * network address, and as spans of address numbers.
 */
import * as ipaddr from "ipaddr.js";
import { blockProblem } from "./value-checks";

/** A parsed IPv4 block: its address and prefix length. */
export type Block = [ipaddr.IPv4, number];

/** An address as a number (`10.0.0.1` -> 167772161). */
export function addressNumber(address: ipaddr.IPv4): number {
    return address.octets.reduce((n, o) => n * 256 + o, 0);
}

/** A number as a dotted-quad address, the inverse of {@link addressNumber}. */
export function numberAddress(n: number): string {
    return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".");
}

/** [first, last] address numbers of a block. */
export function span([address, prefix]: Block): [number, number] {
    const size = 2 ** (32 - prefix);
    const first = Math.floor(addressNumber(address) / size) * size;
    return [first, first + size - 1];
}

/** Whether two blocks share an address. */
export function overlaps(a: Block, b: Block): boolean {
    const [a0, a1] = span(a);
    const [b0, b1] = span(b);
    return a0 <= b1 && b0 <= a1;
}

/** Whether block `inner` lies wholly inside `outer`. */
export function within(inner: Block, outer: Block): boolean {
    const [i0, i1] = span(inner);
    const [o0, o1] = span(outer);
    return o0 <= i0 && i1 <= o1;
}

/** Whether `address`, a dotted-quad IPv4 address, lies inside `block` (false for anything else). */
export function inside(address: string, block: Block): boolean {
    return ipaddr.IPv4.isValidFourPartDecimal(address) && ipaddr.IPv4.parse(address).match(block);
}

/**
 * The block `text` names, checked: a dotted-quad IPv4 CIDR, written at its network address, in a
 * routable range. Each problem goes to `issue` at `path`, with `example` in the hint; undefined
 * when the block is unusable (a block outside the routable ranges is reported and still returned).
 */
export function checkedBlock(issue: (path: string, message: string, hint: string) => void, path: string, text: string, example: string): Block | undefined {
    if (!ipaddr.IPv4.isValidCIDR(text) || !ipaddr.IPv4.isValidFourPartDecimal(text.split("/")[0])) {
        issue(path, `"${text}" is not an IPv4 CIDR`, `write it like ${example}`);
        return undefined;
    }
    const parsed = ipaddr.IPv4.parseCIDR(text);
    const [first] = span(parsed);
    if (numberAddress(first) !== parsed[0].toString()) {
        issue(path, `${text} has host bits set`, `write the block's network address: ${numberAddress(first)}/${parsed[1]}`);
        return undefined;
    }
    const range = blockProblem(text);
    if (range) issue(path, `${text} ${range}`, `use a private block, like ${example}`);
    return parsed;
}
