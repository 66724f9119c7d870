/**
 * The checked, defaulted form of EtcdCluster's Args (pure): every problem is collected as an
 * Issue with its Args path, so one error lists them all before anything touches a host.
 */
import * as ipaddr from "ipaddr.js";
import type { Issue } from "../host/issues";
import { memberNameIssue } from "../host/member-names";
import { calendarProblem, hostAddressProblem, hostPathProblem } from "../host/value-checks";
import {
    ETCD_BACKUP_DIR,
    ETCD_BACKUP_RETENTION,
    ETCD_BACKUP_SCHEDULE,
    ETCD_CLIENT_PORT,
    ETCD_DATA_DIR,
    ETCD_DEFAULT_ARCH,
    ETCD_DEFAULT_VERSION,
    ETCD_HEALTH_TIMEOUT_SECONDS,
    ETCD_PEER_PORT,
    type EtcdClusterArgs,
} from "./args";
import { ETCD_PATHS, type MemberEndpoint } from "./layout";
import type { BackupSettings } from "./render-backup";
import { MANAGED_FLAGS, type ClusterSettings } from "./render-env";

/** What the component builds, with every default applied. */
export interface EtcdPlan extends ClusterSettings {
    /** The members in Args order (outputs follow it). */
    members: MemberEndpoint[];
    /** Chain order: initial members first, then the joiners, each joining after the one before. */
    order: MemberEndpoint[];
    initialMembers: string[];
    /** initial-cluster-token. */
    token: string;
    backup?: BackupSettings;
    restoreSnapshotPath?: string;
    certificateRotation: Record<string, string>;
    extraSans: { dnsNames: string[]; ipAddresses: string[] };
    healthTimeoutSeconds: number;
}

/** The plan and everything wrong (issues) or doubtful (warnings) in the Args. */
export interface EtcdPlanResult {
    plan: EtcdPlan;
    issues: Issue[];
    warnings: Issue[];
}

const VERSION = /^\d+\.\d+\.\d+([-+][0-9A-Za-z.-]+)?$/;

/** Checks `args` and derives the plan; `name` is the component's (the default cluster token). */
export function planEtcd(name: string, args: EtcdClusterArgs): EtcdPlanResult {
    const issues: Issue[] = [];
    const warnings: Issue[] = [];
    const issue = (path: string, message: string, hint: string) => issues.push({ path, message, hint });
    const absolute = (path: string, value: string) => {
        const problem = hostPathProblem(value);
        if (problem) issue(path, `${JSON.stringify(value)} ${problem}`, "give an absolute path of plain characters");
    };

    const members = args.members.map((h): MemberEndpoint => ({ name: h.name, address: h.address }));
    const names = members.map((m) => m.name);
    if (members.length === 0) issue("members", "is empty", "list at least one member host (three or five for a fault-tolerant cluster)");
    if (members.length > 0 && members.length % 2 === 0) {
        const n = members.length;
        warnings.push({
            path: "members",
            message: `${n} members tolerate no more failures than ${n - 1} do (quorum ${Math.floor(n / 2) + 1})`,
            hint: "use an odd count",
        });
    }

    let network: [ipaddr.IPv4 | ipaddr.IPv6, number] | undefined;
    if (args.network !== undefined) {
        try {
            network = ipaddr.parseCIDR(args.network);
        } catch {
            issue("network", `"${args.network}" is not a CIDR`, "write the hosts' network like 10.0.0.0/24");
        }
    }
    const seenAddresses = new Set<string>();
    members.forEach((m, i) => {
        const nameIssue = memberNameIssue(names, i, { role: "names the etcd member and is a certificate SAN", host: "member host" });
        if (nameIssue) issues.push(nameIssue);
        const where = `members[${i}].address`;
        if (!ipaddr.isValid(m.address)) {
            issue(where, `"${m.address}" is not an IP address`, "give the address the other members reach this host on");
            return;
        }
        const addr = ipaddr.parse(m.address);
        const normal = ipaddr.process(m.address).toString();
        if (seenAddresses.has(normal)) issue(where, `${m.address} is used by more than one member`, "give every member its own address");
        seenAddresses.add(normal);
        const unusable =
            addr.kind() === "ipv4"
                ? hostAddressProblem(m.address)
                : addr.range() === "loopback" || addr.range() === "unspecified"
                  ? "is not reachable"
                  : undefined;
        if (unusable) issue(where, `${m.address} ${unusable}`, "give the address the other members reach this host on");
        if (network && (addr.kind() !== network[0].kind() || !addr.match(network))) {
            issue(where, `${m.address} is outside the hosts' network ${args.network}, so the other members cannot reach it`, "fix the address or `network`");
        }
    });

    const initialMembers = args.initialMembers ?? names;
    if (initialMembers.length === 0) issue("initialMembers", "is empty", "name the members that start the cluster (or that already run it)");
    initialMembers.forEach((n, i) => {
        if (!names.includes(n)) issue(`initialMembers[${i}]`, `"${n}" is not in members`, "name member hosts only");
    });
    const certificateRotation = args.certificateRotation ?? {};
    for (const n of Object.keys(certificateRotation)) {
        if (!names.includes(n)) issue(`certificateRotation.${n}`, `"${n}" is not in members`, "key rotation levers by member name");
    }

    const clientPort = args.clientPort ?? ETCD_CLIENT_PORT;
    const peerPort = args.peerPort ?? ETCD_PEER_PORT;
    for (const [label, port] of [
        ["clientPort", clientPort],
        ["peerPort", peerPort],
    ] as const) {
        if (!Number.isInteger(port) || port < 1 || port > 65535) issue(label, `${port} is not a TCP port`, "give a port in 1..65535");
    }
    if (clientPort === peerPort) issue("peerPort", `clientPort and peerPort are both ${clientPort}`, "give the two APIs their own ports");
    const dataDir = args.dataDir ?? ETCD_DATA_DIR;
    absolute("dataDir", dataDir);
    if (dataDir === "/" || dataDir.startsWith("/etc/etcd")) {
        issue("dataDir", `${dataDir} would mix etcd data with system or configuration files`, `use a directory of its own, like ${ETCD_DATA_DIR}`);
    }

    const extraFlags: Record<string, string> = {};
    for (const [flag, value] of Object.entries(args.extraFlags ?? {})) {
        const bare = flag.replace(/^--?/, "");
        const where = `extraFlags.${flag}`;
        if (!/^[a-z0-9][a-z0-9-]*$/.test(bare)) issue(where, `"${flag}" is not an etcd flag name`, `write flags like "auto-compaction-retention"`);
        else if (MANAGED_FLAGS.includes(bare)) issue(where, `"${bare}" is set by the component`, "use the component's own argument instead");
        if (/[\r\n\0]/.test(value)) issue(where, "the value contains a line break", "give the value on one line");
        extraFlags[bare] = value;
    }
    const token = args.clusterToken ?? name;
    if (/[\r\n\0]/.test(token)) issue("clusterToken", "contains a line break", "give the token on one line");

    const release = args.release;
    const version = release.version ?? ETCD_DEFAULT_VERSION;
    const arch = release.arch ?? ETCD_DEFAULT_ARCH;
    if (!VERSION.test(version)) issue("release.version", `"${version}" is not a version`, `write it like ${ETCD_DEFAULT_VERSION}`);
    if (!/^[a-z0-9_]+$/.test(arch))
        issue("release.arch", `"${arch}" is not a release architecture`, `write it as in the tarball's name, like "amd64" or "arm64"`);
    if (!/^[0-9a-fA-F]{64}$/.test(release.sha256))
        issue("release.sha256", `"${release.sha256}" is not 64 hex characters`, "copy the tarball's line from the release's SHA256SUMS");
    if (release.url !== undefined && release.localPath !== undefined) issue("release", "gives both url and localPath", "keep one of them");

    if (args.installed !== undefined) {
        for (const [member, handle] of Object.entries(args.installed)) {
            const where = `installed.${member}`;
            if (!names.includes(member)) issue(where, `"${member}" is not in members`, "key installed releases by member name");
            if (handle.version !== version)
                issue(`${where}.version`, `is ${handle.version} but release.version is ${version}`, "give release.version the installed version");
            for (const binary of ["etcd", "etcdctl"]) {
                const path = handle.paths[binary];
                if (path !== `${ETCD_PATHS.binDir}/${binary}`) {
                    issue(
                        `${where}.paths.${binary}`,
                        path === undefined ? "is missing" : `is ${path}, not on the members' scripts' PATH`,
                        `install the release with ${binary} linked into ${ETCD_PATHS.binDir} (BinaryRelease's default)`,
                    );
                }
            }
        }
        for (const member of names) {
            if (!(member in args.installed)) issue("installed", `has no release for member ${member}`, "hand over every member's install, or none");
        }
    }

    let backup: BackupSettings | undefined;
    if (args.backup?.enabled !== false) {
        backup = {
            schedule: args.backup?.schedule ?? ETCD_BACKUP_SCHEDULE,
            retention: args.backup?.retention ?? ETCD_BACKUP_RETENTION,
            directory: args.backup?.directory ?? ETCD_BACKUP_DIR,
        };
        if (!Number.isInteger(backup.retention) || backup.retention < 1) {
            issue("backup.retention", `${backup.retention} is not a number of snapshots`, "keep a whole number of snapshots, at least 1");
        }
        const schedule = calendarProblem(backup.schedule);
        if (schedule) issue("backup.schedule", schedule, `write one systemd OnCalendar expression, like "${ETCD_BACKUP_SCHEDULE}"`);
        absolute("backup.directory", backup.directory);
    }
    const restoreSnapshotPath = args.restore?.snapshotPath;
    if (restoreSnapshotPath !== undefined) absolute("restore.snapshotPath", restoreSnapshotPath);

    const healthTimeoutSeconds = args.healthTimeoutSeconds ?? ETCD_HEALTH_TIMEOUT_SECONDS;
    if (!(healthTimeoutSeconds > 0))
        issue("healthTimeoutSeconds", `${healthTimeoutSeconds} is not a positive number of seconds`, `leave it unset for ${ETCD_HEALTH_TIMEOUT_SECONDS}`);
    const validity = args.certificateValidityHours;
    if (validity !== undefined && !(Number.isInteger(validity) && validity > 0)) {
        issue("certificateValidityHours", `${validity} is not a positive whole number of hours`, "leave it unset for one year (8760)");
    }

    const sans = args.extraServerSans ?? [];
    const initial = members.filter((m) => initialMembers.includes(m.name));
    const plan: EtcdPlan = {
        members,
        order: [...initial, ...members.filter((m) => !initialMembers.includes(m.name))],
        initialMembers,
        clientPort,
        peerPort,
        dataDir,
        extraFlags,
        token,
        backup,
        restoreSnapshotPath,
        certificateRotation,
        extraSans: { dnsNames: sans.filter((s) => !ipaddr.isValid(s)), ipAddresses: sans.filter((s) => ipaddr.isValid(s)) },
        healthTimeoutSeconds,
    };
    return { plan, issues, warnings };
}

/** The major.minor of a version, for feature gates ("3.5.17" -> [3, 5]). */
export function minorVersion(version: string): [number, number] {
    const [major, minor] = version.split(".").map((p) => parseInt(p, 10));
    return [major, minor];
}
