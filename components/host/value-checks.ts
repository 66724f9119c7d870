/**
 * Checks of values that end up in a host's scripts, unit files or paths, in one place: the
 * components run them on their Args and the cluster spec runs them on the stack file, so
 * `npm run validate` refuses exactly what a deploy would. Each returns what is wrong (never
 * quoting the value: callers decide whether it is safe to show) or undefined when the value is fine.
 */
import * as ipaddr from "ipaddr.js";

/** A host's name as it names an etcd member, a node and certificates: a lower-case DNS label, dots allowed. */
export const HOST_NAME_LABEL = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
/** A DNS name (RFC 1123 subdomain): lower-case labels joined by dots, at most 253 characters. */
export const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;

/** IPv4 ranges a machine or a VIP can use: ordinary unicast, RFC 1918, carrier-grade NAT. */
const USABLE_RANGES = new Set(["unicast", "private", "carrierGradeNat"]);

const RANGE_WORDS: Record<string, string> = {
    unspecified: "an unspecified (0.0.0.0/8) address",
    broadcast: "the limited broadcast address",
    multicast: "a multicast address (224.0.0.0/4)",
    linkLocal: "a link-local address (169.254.0.0/16)",
    loopback: "a loopback address (127.0.0.0/8)",
    reserved: "a reserved or documentation address (RFC 5735/5737)",
    as112: "an AS112 anycast address",
    amt: "an AMT relay anycast address",
};

/** An address another machine can reach this one on: dotted-quad IPv4, not loopback, link-local, multicast or reserved. */
export function hostAddressProblem(address: string): string | undefined {
    if (!ipaddr.IPv4.isValidFourPartDecimal(address)) {
        if (/^[^@]+@/.test(address)) return "holds a user (user@host): give the address alone and the user in its own field";
        if (/^[0-9.]+:\d+$/.test(address)) return "holds a port (host:port): give the address alone and the port in its own field";
        return "is not an IPv4 address in dotted-quad form";
    }
    const range = ipaddr.IPv4.parse(address).range();
    if (USABLE_RANGES.has(range)) return undefined;
    return `is ${RANGE_WORDS[range] ?? `a ${range} address`}, which other hosts cannot reach`;
}

/** Same as {@link hostAddressProblem}, for a whole block (host subnets, pod and service ranges). */
export function blockProblem(cidr: string): string | undefined {
    const [network] = ipaddr.IPv4.parseCIDR(cidr);
    const range = network.range();
    if (USABLE_RANGES.has(range)) return undefined;
    return `lies in ${RANGE_WORDS[range] ?? `a ${range}`} range, not a routable one`;
}

/** Kernel interface names (IFNAMSIZ: 15 bytes); the charset also keeps configs and scripts unambiguous. */
export function interfaceNameProblem(name: string): string | undefined {
    if (!/^[A-Za-z0-9_.-]{1,15}$/.test(name) || name === "." || name === "..") return "is not a network interface name (1-15 letters, digits, '_', '.', '-')";
    return undefined;
}

/**
 * A systemd OnCalendar expression on one line, in its own alphabet: weekdays, dates, times,
 * `..` ranges, `/` repetitions, `~` last days, time zones such as `Europe/Berlin`.
 */
export function calendarProblem(expression: string): string | undefined {
    if (expression.trim() === "") return "is empty";
    if (!/^[A-Za-z0-9*,./:~_+ -]+$/.test(expression))
        return "is not one systemd OnCalendar expression (letters, digits, spaces and * , . / : ~ _ + - only, on one line)";
    return undefined;
}

/** Characters that a path may hold without quoting anywhere: no spaces, quotes, `$`, backslashes, globs or control characters. */
const PATH_CHARS = /^[A-Za-z0-9_./@+,=:~-]+$/;

/** An absolute path on a host, without `..` segments or characters that mean something to a shell. */
export function hostPathProblem(path: string): string | undefined {
    if (!path.startsWith("/")) return "is not an absolute path";
    return pathCharsProblem(path);
}

/** A path on the machine running Pulumi (relative to the project, or `~/...`), same character rules. */
export function localPathProblem(path: string): string | undefined {
    if (looksLikeKeyMaterial(path)) return "holds key material, not a path: give the path of the file holding it";
    return pathCharsProblem(path);
}

function pathCharsProblem(path: string): string | undefined {
    if (!PATH_CHARS.test(path)) return "holds characters a path should not (spaces, quotes, $, `, \\, ;, |, &, <, >, *, ?, brackets or line breaks)";
    if (path.split("/").includes("..")) return "climbs out of its directory with `..`";
    return undefined;
}

/** A login name as useradd takes it (POSIX portable names); `user@host` and `host:port` are named. */
export function userNameProblem(user: string): string | undefined {
    if (user.includes("@")) return "holds a host (user@host): give the user alone";
    if (!/^[A-Za-z_][A-Za-z0-9_.-]{0,31}$/.test(user)) return "is not a user name (letters, digits, '_', '.', '-', at most 32)";
    return undefined;
}

/** A DNS name or an IPv4 address (a jump host); `user@host` and `host:port` are named. */
export function hostNameProblem(name: string): string | undefined {
    if (/^[^@]+@/.test(name)) return "holds a user (user@host): give the host alone and the user in its own field";
    if (/:\d+$/.test(name)) return "holds a port (host:port): give the host alone and the port in its own field";
    if (ipaddr.IPv4.isValidFourPartDecimal(name)) return undefined;
    if (!/^(?=.{1,253}$)[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/.test(name))
        return "is not a DNS name or an IPv4 address";
    return undefined;
}

/**
 * True for text that looks like a key rather than a name or path: a PEM or OpenSSH armour line,
 * or a long unbroken run of base64. Such text is never repeated in a message.
 */
export function looksLikeKeyMaterial(text: string): boolean {
    if (/-----BEGIN [A-Z ]*-----|PRIVATE KEY|\n/.test(text)) return true;
    return (text.match(/[A-Za-z0-9+/]{60,}={0,2}/g) ?? []).some(isBase64Like);
}

/**
 * Random base64 mixes upper case, lower case and digits, with a "/" about once in 64
 * characters; a path's run of letters, digits and "/" (a cache directory with a hex key) has a
 * "/" every few words and rarely all three classes.
 */
function isBase64Like(run: string): boolean {
    const slashes = run.split("/").length - 1;
    return /[A-Z]/.test(run) && /[a-z]/.test(run) && /[0-9]/.test(run) && slashes * 16 <= run.length;
}
