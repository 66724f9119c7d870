import type { Host } from "../host/connection";
import type { Issue } from "../host/issues";
import { hostAddressProblem, interfaceNameProblem } from "../host/value-checks";
import { LB_DEFAULTS, type NginxKeepalivedLBArgs } from "./args";

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
    installPackages: boolean;
}

/** The plan when the Args are valid, otherwise every problem found in them. */
export type LBPlanResult = { plan: LBPlan; issues: [] } | { plan: undefined; issues: Issue[] };

const BACKEND = /^([0-9.]+):([0-9]{1,5})$/;

/**
 * Checks the Args and derives roles, priorities and peers. Collects every problem, each with
 * its path in the Args (`hosts[1].interface`, `backends[0]`), instead of stopping at the first.
 * Pure: no I/O, same input gives the same result.
 */
export function planLB(args: NginxKeepalivedLBArgs): LBPlanResult {
    const issues: Issue[] = [];
    const add = (path: string, message: string, hint: string) => issues.push({ path, message, hint });
    const address = (path: string, value: string, hint: string) => {
        const problem = hostAddressProblem(value);
        if (problem) add(path, `${JSON.stringify(value)} ${problem}`, hint);
    };
    const iface = (path: string, value: string) => {
        const problem = interfaceNameProblem(value);
        if (problem) add(path, `${JSON.stringify(value)} ${problem}`, "give the interface name as `ip link` shows it, e.g. eth0");
    };
    const integer = (path: string, value: number | undefined, fallback: number, min: number, max: number): number => {
        const v = value ?? fallback;
        if (!Number.isInteger(v) || v < min || v > max)
            add(path, `must be an integer in ${min}..${max}, got ${v}`, `give a whole number from ${min} to ${max}`);
        return v;
    };

    const hostArgs = Array.isArray(args.hosts) ? args.hosts : [];
    if (hostArgs.length < 2) add("hosts", `needs two or more hosts for failover, got ${hostArgs.length}`, "list a second LB host");
    address("vip", args.vip, "give an unused IPv4 address on the LB hosts' network");
    iface("interface", args.interface);
    const virtualRouterId = integer("virtualRouterId", args.virtualRouterId, 0, 1, 255);
    const listenPort = integer("listenPort", args.listenPort, LB_DEFAULTS.listenPort, 1, 65535);

    const names = new Map<string, number>();
    const addresses = new Map<string, number>();
    const priorities = new Map<number, number>();
    const ranked = hostArgs.map((h, i) => {
        const at = `hosts[${i}]`;
        const first = names.get(h.host.name);
        if (first !== undefined) add(`${at}.host.name`, `"${h.host.name}" is also the name of hosts[${first}]`, "list every LB host once");
        else names.set(h.host.name, i);
        address(`${at}.host.address`, h.host.address, "give the host's IPv4 address");
        const sameAddress = addresses.get(h.host.address);
        if (sameAddress !== undefined)
            add(`${at}.host.address`, `${h.host.address} is also the address of hosts[${sameAddress}]`, "give each LB host its own address");
        else addresses.set(h.host.address, i);
        if (h.interface !== undefined) iface(`${at}.interface`, h.interface);
        const fallback = LB_DEFAULTS.firstPriority - LB_DEFAULTS.priorityStep * i;
        const priority = integer(`${at}.priority`, h.priority, fallback, 1, 254);
        const samePriority = priorities.get(priority);
        if (samePriority !== undefined) {
            const given = h.priority === undefined ? ` (the default for position ${i})` : "";
            add(`${at}.priority`, `${priority}${given} is also the priority of hosts[${samePriority}]`, "give every LB host a distinct priority");
        } else priorities.set(priority, i);
        return { args: h, priority };
    });
    const vipHolder = addresses.get(args.vip);
    if (vipHolder !== undefined) add("vip", `${args.vip} is the address of hosts[${vipHolder}]`, "give an unused address: keepalived adds it to the MASTER");

    const backendArgs = Array.isArray(args.backends) ? args.backends : [];
    if (backendArgs.length === 0) add("backends", "needs at least one backend", "list the apiservers as address:port");
    const seen = new Map<string, number>();
    const backends = backendArgs.map((value, i): LBBackend => {
        const at = `backends[${i}]`;
        const m = BACKEND.exec(value);
        if (!m) {
            add(at, `${JSON.stringify(value)} is not IPv4 address:port`, "write it like 10.0.0.11:6443");
            return { address: value, port: 0 };
        }
        const backend = { address: m[1], port: Number(m[2]) };
        address(at, backend.address, "give the apiserver's IPv4 address");
        if (backend.port < 1 || backend.port > 65535) add(at, `port ${backend.port} is not in 1..65535`, "give the apiserver's port, e.g. 6443");
        const key = `${backend.address}:${backend.port}`;
        const first = seen.get(key);
        if (first !== undefined) add(at, `${key} is also backends[${first}]`, "list every apiserver once");
        else seen.set(key, i);
        if (backend.address === args.vip) add(at, `${key} points at the vip itself`, "give the apiserver's own address");
        const lbHost = addresses.get(backend.address);
        if (lbHost !== undefined && backend.port === listenPort) {
            add(
                "listenPort",
                `${listenPort} collides with the apiserver ${at} (${key}) on LB host ${hostArgs[lbHost].host.name}: both would bind ${listenPort} there`,
                "set listenPort to a free port (e.g. 8443) or run the LB on other hosts",
            );
        }
        return backend;
    });

    const rest = {
        maxFails: integer("maxFails", args.maxFails, LB_DEFAULTS.maxFails, 0, 1000),
        failTimeoutSeconds: integer("failTimeoutSeconds", args.failTimeoutSeconds, LB_DEFAULTS.failTimeoutSeconds, 1, 3600),
        connectTimeoutSeconds: integer("connectTimeoutSeconds", args.connectTimeoutSeconds, LB_DEFAULTS.connectTimeoutSeconds, 1, 600),
        advertIntervalSeconds: integer("advertIntervalSeconds", args.advertIntervalSeconds, LB_DEFAULTS.advertIntervalSeconds, 1, 255),
    };
    if (issues.length > 0) return { plan: undefined, issues };

    ranked.sort((a, b) => b.priority - a.priority);
    const hosts: LBHostPlan[] = ranked.map((r, i) => ({
        host: r.args.host,
        role: i === 0 ? "MASTER" : "BACKUP",
        priority: r.priority,
        interface: r.args.interface ?? args.interface,
        peers: ranked.filter((o) => o !== r).map((o) => o.args.host.address),
    }));
    return {
        plan: {
            hosts,
            vip: args.vip,
            virtualRouterId,
            backends,
            listenPort,
            ...rest,
            unicast: args.unicast ?? LB_DEFAULTS.unicast,
            preempt: args.preempt ?? LB_DEFAULTS.preempt,
            installPackages: args.installPackages ?? LB_DEFAULTS.installPackages,
        },
        issues: [],
    };
}

/** The order keepalived restarts roll in: every BACKUP (lowest priority first), the MASTER last. */
export function restartOrder(plan: LBPlan): LBHostPlan[] {
    return [...plan.hosts].reverse();
}
