/** Renderers of a member's environment files: etcd.env, initial-cluster.env and etcdctl.env. */
import { ETCD_PATHS, ETCD_UNIT, localClientUrl, memberUrl, type MemberEndpoint } from "./layout";

/** The plain settings shared by all members. */
export interface ClusterSettings {
    clientPort: number;
    peerPort: number;
    dataDir: string;
    /** Extra etcd flags by flag name without dashes ("auto-compaction-retention"), already validated. */
    extraFlags: Record<string, string>;
}

/** `name=peerURL,...` in the given order. */
export function renderInitialCluster(members: MemberEndpoint[], peerPort: number): string {
    return members.map((m) => `${m.name}=${memberUrl(m.address, peerPort)}`).join(",");
}

/** The etcd flag an environment variable stands for: "auto-compaction-retention" -> ETCD_AUTO_COMPACTION_RETENTION. */
export function flagToEnvName(flag: string): string {
    return `ETCD_${flag.toUpperCase().replace(/-/g, "_")}`;
}

/**
 * A value for a systemd EnvironmentFile line: bare when it is plain, else double-quoted with
 * backslash and quote escaped (the file's own quoting rules). Newlines are refused by the plan.
 */
export function envValue(value: string): string {
    if (/^[A-Za-z0-9_.,:/=@%+-]*$/.test(value)) return value;
    return `"${value.replace(/\\/g, "\\\\").replace(/"/g, '\\"')}"`;
}

function envLines(vars: [string, string][]): string {
    return vars.map(([k, v]) => `${k}=${envValue(v)}`).join("\n");
}

/** Flags the component sets itself: extra flags may not override them. */
export const MANAGED_FLAGS = [
    "name",
    "data-dir",
    "listen-peer-urls",
    "listen-client-urls",
    "advertise-client-urls",
    "initial-advertise-peer-urls",
    "initial-cluster",
    "initial-cluster-state",
    "initial-cluster-token",
    "cert-file",
    "key-file",
    "trusted-ca-file",
    "client-cert-auth",
    "peer-cert-file",
    "peer-key-file",
    "peer-trusted-ca-file",
    "peer-client-cert-auth",
    "config-file",
];

/** The member's environment file (read by etcd.service): identity, URLs, TLS on both sides, data dir. */
export function renderMemberEnv(member: MemberEndpoint, cluster: ClusterSettings): string {
    const p = ETCD_PATHS;
    const vars: [string, string][] = [
        ["ETCD_NAME", member.name],
        ["ETCD_DATA_DIR", cluster.dataDir],
        ["ETCD_LISTEN_PEER_URLS", memberUrl(member.address, cluster.peerPort)],
        ["ETCD_LISTEN_CLIENT_URLS", `${memberUrl(member.address, cluster.clientPort)},${localClientUrl(cluster.clientPort)}`],
        ["ETCD_ADVERTISE_CLIENT_URLS", memberUrl(member.address, cluster.clientPort)],
        ["ETCD_INITIAL_ADVERTISE_PEER_URLS", memberUrl(member.address, cluster.peerPort)],
        ["ETCD_CERT_FILE", p.serverCert],
        ["ETCD_KEY_FILE", p.serverKey],
        ["ETCD_TRUSTED_CA_FILE", p.caCert],
        ["ETCD_CLIENT_CERT_AUTH", "true"],
        ["ETCD_PEER_CERT_FILE", p.peerCert],
        ["ETCD_PEER_KEY_FILE", p.peerKey],
        ["ETCD_PEER_TRUSTED_CA_FILE", p.caCert],
        ["ETCD_PEER_CLIENT_CERT_AUTH", "true"],
        // zap is the only logger of 3.5 and available in 3.4 (whose default, capnslog, is deprecated).
        ["ETCD_LOGGER", "zap"],
    ];
    const extra = Object.keys(cluster.extraFlags)
        .sort()
        .map((k): [string, string] => [flagToEnvName(k), cluster.extraFlags[k]]);
    return [
        `# etcd member ${member.name}: read by ${ETCD_UNIT}; a change restarts this member only.`,
        envLines(vars),
        ...(extra.length > 0 ? ["# extra flags", envLines(extra)] : []),
        "",
    ].join("\n");
}

/** How a member starts the first time. */
export interface BootstrapSettings {
    /** `name=peerURL,...` of the cluster it starts into. */
    initialCluster: string;
    /** "new": the members form a new cluster together; "existing": it joins a running one. */
    state: "new" | "existing";
    /** initial-cluster-token: keeps separate clusters from mistaking each other's members. */
    token: string;
}

/** The first-start settings; etcd ignores them once the member has data. */
export function renderBootstrapEnv(b: BootstrapSettings): string {
    return [
        "# Used only at this member's first start (empty data dir); etcd ignores it afterwards.",
        envLines([
            ["ETCD_INITIAL_CLUSTER", b.initialCluster],
            ["ETCD_INITIAL_CLUSTER_STATE", b.state],
            ["ETCD_INITIAL_CLUSTER_TOKEN", b.token],
        ]),
        "",
    ].join("\n");
}

/**
 * TLS settings for etcdctl. No endpoint: etcdctl refuses an endpoint set both here and on its
 * command line. No ETCDCTL_API: v3 is the default from 3.4, and 3.6 warns about it on every call.
 */
export function renderEtcdctlEnv(): string {
    const p = ETCD_PATHS;
    return [
        "# etcdctl settings: `set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=https://127.0.0.1:2379 member list`",
        envLines([
            ["ETCDCTL_CACERT", p.caCert],
            ["ETCDCTL_CERT", p.clientCert],
            ["ETCDCTL_KEY", p.clientKey],
        ]),
        "",
    ].join("\n");
}
