/**
 * Checks of an EtcdCluster's plain arguments, run before any resource is declared: bad input
 * fails the program with every problem listed, before anything touches a host.
 */
import * as ipaddr from "ipaddr.js";
import { calendarProblem, hostAddressProblem, hostPathProblem } from "../host/value-checks";
import { MANAGED_FLAGS } from "./render";

/** The plain part of the arguments the checks need. */
export interface EtcdPlan {
    members: { name: string; address: string }[];
    initialMembers: string[];
    clientPort: number;
    peerPort: number;
    dataDir: string;
    extraFlags: Record<string, string>;
    network?: string;
    version: string;
    sha256: string;
    backup?: { schedule: string; retention: number; directory: string };
    restoreSnapshotPath?: string;
    certificateRotation: Record<string, string>;
}

export interface ValidationResult {
    errors: string[];
    warnings: string[];
}

const MEMBER_NAME = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;

export function validateEtcdPlan(plan: EtcdPlan): ValidationResult {
    const errors: string[] = [];
    const warnings: string[] = [];
    const names = plan.members.map((m) => m.name);

    if (plan.members.length === 0) errors.push("members is empty: an etcd cluster needs at least one member");
    if (plan.members.length > 0 && plan.members.length % 2 === 0) {
        const n = plan.members.length;
        warnings.push(`${n} members tolerate no more failures than ${n - 1} do (quorum ${Math.floor(n / 2) + 1}); use an odd count`);
    }
    for (const dup of duplicates(names)) errors.push(`member name "${dup}" is listed more than once`);
    for (const dup of duplicates(plan.members.map((m) => normalizeAddress(m.address)))) {
        errors.push(`address ${dup} is used by more than one member`);
    }

    let network: [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined;
    if (plan.network !== undefined) {
        try {
            network = ipaddr.parseCIDR(plan.network);
        } catch {
            errors.push(`network "${plan.network}" is not a CIDR like 10.0.0.0/24`);
        }
    }
    for (const m of plan.members) {
        if (!MEMBER_NAME.test(m.name)) {
            errors.push(`member name "${m.name}" must be a lower-case DNS label (letters, digits, '-', '.'): it names the etcd member and is a certificate SAN`);
        }
        if (!ipaddr.isValid(m.address)) {
            errors.push(`member ${m.name}: address "${m.address}" is not an IP address`);
            continue;
        }
        const addr = ipaddr.parse(m.address);
        const unusable = addr.kind() === "ipv4" ? hostAddressProblem(m.address) : addr.range() === "loopback" || addr.range() === "unspecified" ? "is not reachable" : undefined;
        if (unusable) errors.push(`member ${m.name}: address ${m.address} ${unusable}`);
        if (network && (addr.kind() !== network[0].kind() || !addr.match(network))) {
            errors.push(`member ${m.name}: address ${m.address} is outside the hosts' network ${plan.network}, so the other members cannot reach it`);
        }
    }

    if (plan.initialMembers.length === 0) {
        errors.push("initialMembers is empty: name the members that start the cluster (or that already run it)");
    }
    for (const n of plan.initialMembers) {
        if (!names.includes(n)) errors.push(`initialMembers names "${n}", which is not in members`);
    }
    for (const n of Object.keys(plan.certificateRotation)) {
        if (!names.includes(n)) errors.push(`certificateRotation names "${n}", which is not in members`);
    }

    for (const [label, port] of [["clientPort", plan.clientPort], ["peerPort", plan.peerPort]] as const) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) errors.push(`${label} ${port} is not a TCP port`);
    }
    if (plan.clientPort === plan.peerPort) errors.push(`clientPort and peerPort are both ${plan.clientPort}`);
    checkAbsolute(errors, "dataDir", plan.dataDir);
    if (plan.dataDir === "/" || plan.dataDir.startsWith("/etc/etcd")) {
        errors.push(`dataDir ${plan.dataDir} would mix etcd data with system or configuration files`);
    }

    for (const [flag, value] of Object.entries(plan.extraFlags)) {
        const bare = flag.replace(/^--?/, "");
        if (!/^[a-z0-9][a-z0-9-]*$/.test(bare)) errors.push(`extraFlags: "${flag}" is not an etcd flag name like "auto-compaction-retention"`);
        else if (MANAGED_FLAGS.includes(bare)) errors.push(`extraFlags: "${bare}" is set by the component; use its own argument instead`);
        if (/[\r\n\0]/.test(value)) errors.push(`extraFlags: the value of "${flag}" contains a line break`);
    }

    if (!/^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/.test(plan.version)) errors.push(`release.version "${plan.version}" is not a version like 3.5.17`);
    if (!/^[0-9a-fA-F]{64}$/.test(plan.sha256)) errors.push(`release.sha256 "${plan.sha256}" is not 64 hex characters`);

    if (plan.backup) {
        if (!Number.isInteger(plan.backup.retention) || plan.backup.retention < 1) {
            errors.push(`backup.retention ${plan.backup.retention} must be a whole number of snapshots, at least 1`);
        }
        const schedule = calendarProblem(plan.backup.schedule);
        if (schedule) errors.push(`backup.schedule ${schedule}: write one systemd OnCalendar expression, like "*-*-* 00/6:00:00"`);
        checkAbsolute(errors, "backup.directory", plan.backup.directory);
    }
    if (plan.restoreSnapshotPath !== undefined) checkAbsolute(errors, "restore.snapshotPath", plan.restoreSnapshotPath);
    return { errors, warnings };
}

function checkAbsolute(errors: string[], label: string, path: string): void {
    const problem = hostPathProblem(path);
    if (problem) errors.push(`${label} ${JSON.stringify(path)} ${problem}`);
}

function normalizeAddress(address: string): string {
    return ipaddr.isValid(address) ? ipaddr.process(address).toString() : address;
}

function duplicates(values: string[]): string[] {
    const seen = new Set<string>();
    const dup = new Set<string>();
    for (const v of values) (seen.has(v) ? dup : seen).add(v);
    return [...dup];
}

/** Splits extra SANs into DNS names and IP addresses. */
export function splitSans(sans: string[]): { dnsNames: string[]; ipAddresses: string[] } {
    return {
        dnsNames: sans.filter((s) => !ipaddr.isValid(s)),
        ipAddresses: sans.filter((s) => ipaddr.isValid(s)),
    };
}

/** The major.minor of a version, for feature gates ("3.5.17" -> [3, 5]). */
export function minorVersion(version: string): [number, number] {
    const [major, minor] = version.split(".").map((p) => parseInt(p, 10));
    return [major, minor];
}
