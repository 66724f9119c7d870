import type { Host } from "../host/connection";
import { hostAddressProblem, interfaceNameProblem } from "../host/value-checks";
import type { NginxKeepalivedLBArgs } from "./args";

/** A backend apiserver, parsed. */
export interface LBBackend {
    address: string;
    port: number;
}

/** One LB host with everything derived: role, priority, interface, unicast peers. */
export interface LBHostPlan {
    host: Host;
    role: "MASTER" | "BACKUP";
    priority: number;
    interface: string;
    /** Addresses of the other LB hosts (used only with unicast). */
    peers: string[];
}

/** The validated, defaulted form of `NginxKeepalivedLBArgs` that the renderers take. */
export interface LBPlan {
    /** Hosts sorted by priority, highest (the MASTER) first. */
    hosts: LBHostPlan[];
    vip: string;
    virtualRouterId: number;
    backends: LBBackend[];
    listenPort: number;
    maxFails: number;
    failTimeoutSeconds: number;
    connectTimeoutSeconds: number;
    unicast: boolean;
    preempt: boolean;
    advertIntervalSeconds: number;
}

export const DEFAULT_LB_LISTEN_PORT = 6443;
const FIRST_PRIORITY = 150;
const PRIORITY_STEP = 10;

function fail(message: string): never {
    throw new Error(`NginxKeepalivedLB: ${message}`);
}

function ipv4(value: string, what: string): string {
    const problem = hostAddressProblem(value);
    if (problem) fail(`${what} "${value}" ${problem}`);
    return value;
}

function integer(value: number | undefined, fallback: number, min: number, max: number, what: string): number {
    const v = value ?? fallback;
    if (!Number.isInteger(v) || v < min || v > max) fail(`${what} must be an integer in ${min}..${max}, got ${v}`);
    return v;
}

function interfaceName(value: string, what: string): string {
    const problem = interfaceNameProblem(value);
    if (problem) fail(`${what} ${JSON.stringify(value)} ${problem}`);
    return value;
}

/** Parses `address:port`; exported for the tests of malformed backends. */
export function parseBackend(value: string): LBBackend {
    const m = /^([0-9.]+):([0-9]{1,5})$/.exec(value);
    if (!m) fail(`backend "${value}" must be IPv4 address:port`);
    const address = ipv4(m[1], "backend address");
    const port = integer(Number(m[2]), 0, 1, 65535, `port of backend "${value}"`);
    return { address, port };
}

/**
 * Checks the Args and derives roles, priorities and peers. Throws one clear error on the first
 * problem, before any resource exists. Pure: no I/O, same input gives the same plan.
 */
export function planLB(args: NginxKeepalivedLBArgs): LBPlan {
    if (!Array.isArray(args.hosts) || args.hosts.length < 2) {
        fail(`needs two or more hosts for failover, got ${args.hosts?.length ?? 0}`);
    }
    const vip = ipv4(args.vip, "vip");
    const defaultInterface = interfaceName(args.interface, "interface");
    const virtualRouterId = integer(args.virtualRouterId, 0, 1, 255, "virtualRouterId");
    const listenPort = integer(args.listenPort, DEFAULT_LB_LISTEN_PORT, 1, 65535, "listenPort");

    const names = new Set<string>();
    const addresses = new Set<string>();
    for (const h of args.hosts) {
        if (names.has(h.host.name)) fail(`host name "${h.host.name}" appears twice`);
        names.add(h.host.name);
        ipv4(h.host.address, `address of host ${h.host.name}`);
        if (addresses.has(h.host.address)) fail(`host address ${h.host.address} appears twice`);
        addresses.add(h.host.address);
    }
    if (addresses.has(vip)) fail(`vip ${vip} is the address of an LB host; it must be an unused address`);

    if (!Array.isArray(args.backends) || args.backends.length === 0) fail("needs at least one backend");
    const seen = new Set<string>();
    const backends = args.backends.map((b) => {
        const parsed = parseBackend(b);
        const key = `${parsed.address}:${parsed.port}`;
        if (seen.has(key)) fail(`backend ${key} appears twice`);
        seen.add(key);
        if (parsed.address === vip) fail(`backend ${key} points at the vip itself`);
        const lbHost = args.hosts.find((h) => h.host.address === parsed.address);
        if (lbHost && parsed.port === listenPort) {
            fail(
                `listen port ${listenPort} collides with the apiserver ${key} on LB host ${lbHost.host.name}: ` +
                    `both would bind ${listenPort} there. Set listenPort to a free port (e.g. 8443) or run the LB on other hosts`,
            );
        }
        return parsed;
    });

    const ranked = args.hosts.map((h, i) => ({
        args: h,
        priority: integer(h.priority, FIRST_PRIORITY - PRIORITY_STEP * i, 1, 254, `priority of host ${h.host.name}`),
    }));
    const priorities = new Set<number>();
    for (const r of ranked) {
        if (priorities.has(r.priority)) fail(`priority ${r.priority} is given to two hosts; priorities must be distinct`);
        priorities.add(r.priority);
    }
    ranked.sort((a, b) => b.priority - a.priority);

    const hosts: LBHostPlan[] = ranked.map((r, i) => ({
        host: r.args.host,
        role: i === 0 ? "MASTER" : "BACKUP",
        priority: r.priority,
        interface: r.args.interface === undefined ? defaultInterface : interfaceName(r.args.interface, `interface of host ${r.args.host.name}`),
        peers: ranked.filter((o) => o !== r).map((o) => o.args.host.address),
    }));

    return {
        hosts,
        vip,
        virtualRouterId,
        backends,
        listenPort,
        maxFails: integer(args.maxFails, 2, 0, 1000, "maxFails"),
        failTimeoutSeconds: integer(args.failTimeoutSeconds, 10, 1, 3600, "failTimeoutSeconds"),
        connectTimeoutSeconds: integer(args.connectTimeoutSeconds, 2, 1, 600, "connectTimeoutSeconds"),
        unicast: args.unicast ?? false,
        preempt: args.preempt ?? true,
        advertIntervalSeconds: integer(args.advertIntervalSeconds, 1, 1, 255, "advertIntervalSeconds"),
    };
}

/** The order keepalived restarts roll in: every BACKUP (lowest priority first), the MASTER last. */
export function restartOrder(plan: LBPlan): LBHostPlan[] {
    return [...plan.hosts].reverse();
}
