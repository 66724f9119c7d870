/**
 * Pure renderers of everything an etcd member runs on: its environment files, the systemd units
 * and the scripts the component executes on hosts. Plain values in, text out; no clock, no
 * randomness. The ETCD_* / ETCDCTL_* names used here are valid for etcd 3.4 and 3.5 alike.
 */
import { shellQuote } from "../host/connection";

/** Where the component puts things on a member host. */
export const ETCD_PATHS = {
    /** Member identity, URLs, TLS, data dir, extra flags: a change restarts the member. */
    memberEnv: "/etc/etcd/etcd.env",
    /** initial-cluster settings: read only at a member's first start, so a change restarts nothing. */
    bootstrapEnv: "/etc/etcd/initial-cluster.env",
    /** etcdctl's TLS settings, for the component's scripts and for operators (`set -a; . FILE`). */
    etcdctlEnv: "/etc/etcd/etcdctl.env",
    caCert: "/etc/etcd/pki/ca.pem",
    serverCert: "/etc/etcd/pki/server.pem",
    serverKey: "/etc/etcd/pki/server-key.pem",
    peerCert: "/etc/etcd/pki/peer.pem",
    peerKey: "/etc/etcd/pki/peer-key.pem",
    clientCert: "/etc/etcd/pki/client.pem",
    clientKey: "/etc/etcd/pki/client-key.pem",
    backupScript: "/usr/local/sbin/etcd-backup",
    /** Where BinaryRelease links the binaries. */
    binDir: "/usr/local/bin",
} as const;

export const ETCD_UNIT = "etcd.service";
export const BACKUP_SERVICE = "etcd-backup.service";
export const BACKUP_TIMER = "etcd-backup.timer";

/** One member as the renderers see it. */
export interface MemberEndpoint {
    /** Member name (the host name). */
    name: string;
    /** The address peers and clients reach it on. */
    address: string;
}

/** The plain settings shared by all members. */
export interface ClusterSettings {
    clientPort: number;
    peerPort: number;
    dataDir: string;
    /** Extra etcd flags by flag name without dashes ("auto-compaction-retention"), already validated. */
    extraFlags: Record<string, string>;
}

/** Formats an address for a URL (IPv6 in brackets). */
export function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/** A member's https URL on a port: its client URL on the client port, its peer URL on the peer port. */
export function memberUrl(address: string, port: number): string {
    return `https://${urlHost(address)}:${port}`;
}

/** The local client endpoint every member also listens on (its server certificate names 127.0.0.1). */
export function localClientUrl(port: number): string {
    return `https://127.0.0.1:${port}`;
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
 * backslash and quote escaped (the file's own quoting rules). Newlines are refused upstream.
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
    "name", "data-dir", "listen-peer-urls", "listen-client-urls", "advertise-client-urls",
    "initial-advertise-peer-urls", "initial-cluster", "initial-cluster-state", "initial-cluster-token",
    "cert-file", "key-file", "trusted-ca-file", "client-cert-auth", "peer-cert-file", "peer-key-file",
    "peer-trusted-ca-file", "peer-client-cert-auth", "config-file",
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
    const extra = Object.keys(cluster.extraFlags).sort().map((k): [string, string] => [flagToEnvName(k), cluster.extraFlags[k]]);
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

/** The etcd service. Identical on every member: all that differs lives in the environment files. */
export function renderEtcdUnit(): string {
    const p = ETCD_PATHS;
    return `[Unit]
Description=etcd key-value store
Documentation=https://etcd.io/docs/
After=network-online.target
Wants=network-online.target

[Service]
# etcd tells systemd when it has joined the cluster and serves clients.
Type=notify
EnvironmentFile=${p.memberEnv}
EnvironmentFile=${p.bootstrapEnv}
ExecStart=${p.binDir}/etcd
Restart=on-failure
RestartSec=5s
LimitNOFILE=65536
# Files etcd creates (WAL, snapshots) are readable by root only.
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}

/** Loads etcdctl's TLS settings into a script. */
const LOAD_ETCDCTL_ENV = `set -a; . ${ETCD_PATHS.etcdctlEnv}; set +a`;

/** Backup settings as the renderers see them. */
export interface BackupSettings {
    /** systemd OnCalendar expression. */
    schedule: string;
    /** Snapshots kept on each member. */
    retention: number;
    /** Directory of the snapshots on each member. */
    directory: string;
}

/**
 * The backup script: a snapshot of the local member, verified with `snapshot status` before it
 * takes its final name, then pruning to the newest `retention` files. Names carry the member and
 * a UTC timestamp, so they sort by age and copies from several members never collide.
 */
export function renderBackupScript(memberName: string, clientPort: number, b: BackupSettings): string {
    const snapshotCli = "$(command -v etcdutl || command -v etcdctl)";
    return `#!/bin/bash
# etcd snapshot backup of member ${memberName}; run by ${BACKUP_SERVICE}.
set -euo pipefail
${LOAD_ETCDCTL_ENV}
dir=${shellQuote(b.directory)}
keep=${b.retention}
install -d -m 0700 "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dir/etcd-snapshot-${memberName}-$stamp.db"
tmp="$dir/.incomplete-${memberName}-$stamp.db"
trap 'rm -f "$tmp" "$tmp.part"' EXIT
etcdctl --endpoints=${localClientUrl(clientPort)} --command-timeout=5m snapshot save "$tmp" >/dev/null
# etcdutl takes over offline snapshot commands from 3.5 on; etcdctl still has them in 3.4.
${snapshotCli} snapshot status "$tmp" -w table
chmod 0600 "$tmp"
mv -f "$tmp" "$final"
trap - EXIT
shopt -s nullglob
snapshots=("$dir"/etcd-snapshot-${memberName}-*.db)
excess=$(( \${#snapshots[@]} - keep ))
for (( i = 0; i < excess; i++ )); do rm -f -- "\${snapshots[$i]}"; done
echo "saved $final; kept $(( \${#snapshots[@]} - (excess > 0 ? excess : 0) )) snapshot(s) in $dir"
`;
}

export function renderBackupService(): string {
    return `[Unit]
Description=etcd snapshot backup
After=${ETCD_UNIT}
Wants=${ETCD_UNIT}

[Service]
Type=oneshot
UMask=0077
ExecStart=${ETCD_PATHS.backupScript}
`;
}

export function renderBackupTimer(schedule: string): string {
    return `[Unit]
Description=Scheduled etcd snapshot backups

[Timer]
OnCalendar=${schedule}
# Fire on time (the default accuracy is one minute) and catch up on a run missed while down.
AccuracySec=1s
Persistent=true
Unit=${BACKUP_SERVICE}

[Install]
WantedBy=timers.target
`;
}

/**
 * etcdctl against endpoints given as one shell word (quoted text or a variable), with bounded
 * timeouts so checks and steps fail instead of hanging.
 */
function etcdctlWord(endpointsWord: string): string {
    return `etcdctl --endpoints=${endpointsWord} --dial-timeout=3s --command-timeout=10s`;
}

function etcdctl(endpoints: string): string {
    return etcdctlWord(shellQuote(endpoints));
}

/**
 * Readiness check run on a member: every member in the cluster's own member list answers
 * `endpoint health` (a quorum read through each of them). The member list is asked through the
 * local endpoint, so the check text never changes when members are added or removed.
 */
export function renderClusterHealthyCheck(clientPort: number): string {
    return [
        LOAD_ETCDCTL_ENV,
        `${etcdctl(localClientUrl(clientPort))} endpoint health --cluster`,
    ].join("\n");
}

/**
 * Readiness check of the whole cluster: every expected member is started and every member is
 * healthy. Members about to be removed may still be listed (removals run after all updates).
 * Run once after the rolling chain; it resolves the component's outputs.
 */
export function renderMembersHealthyCheck(clientPort: number, expected: MemberEndpoint[]): string {
    const names = expected.map((m) => m.name).sort().join(" ");
    const ctl = etcdctl(localClientUrl(clientPort));
    return [
        LOAD_ETCDCTL_ENV,
        `${ctl} endpoint health --cluster`,
        `started=" $(${ctl} member list | awk -F', ' '$2 == "started" { print $3 }' | xargs) "`,
        `for m in ${names}; do`,
        `  case "$started" in *" $m "*) ;; *) echo "member $m has not started (started:$started)"; exit 1 ;; esac`,
        `done`,
    ].join("\n");
}

/**
 * Joins a member to the running cluster, idempotently: `member add` only when its peer URL is not
 * listed yet (moving aside data a former membership of the host left, retrying while etcd refuses
 * the addition), then prints the initial-cluster it must start with (the member list, itself
 * included). Refuses while another added member has not started: etcd accepts one pending
 * member at a time here, and starting with a list that names it would fail.
 */
export function renderJoinScript(member: MemberEndpoint, peerPort: number, dataDir: string, endpoints: string[]): string {
    const peer = memberUrl(member.address, peerPort);
    const ctl = etcdctl(endpoints.join(","));
    return `${LOAD_ETCDCTL_ENV}
name=${shellQuote(member.name)}
peer=${shellQuote(peer)}
data=${shellQuote(dataDir)}
# etcd 3.6 lists members linearizably by default, which needs the quorum that an added but not yet
# started member takes away (1 -> 2 members); the serializable list answers anyway.
help=$(etcdctl member list --help 2>&1) || true
case "$help" in *--consistency*) consistency=--consistency=s ;; *) consistency= ;; esac
list() { ${ctl} member list $consistency; }
members=$(list)
if ! printf '%s\\n' "$members" | awk -F', ' -v p="$peer" '$4 == p { found = 1 } END { exit !found }'; then
  if printf '%s\\n' "$members" | awk -F', ' -v n="$name" '$3 == n { found = 1 } END { exit !found }'; then
    echo "a member named $name with another peer URL is in the cluster; remove it first (etcdctl member remove)" >&2
    exit 1
  fi
  # Data left by an earlier membership of this host would make etcd start as that old member.
  if [ -d "$data/member" ]; then
    aside="$data.removed-$(date -u +%Y%m%dT%H%M%SZ)"
    mv "$data" "$aside"
    echo "moved stale etcd data of a former membership to $aside" >&2
  fi
fi
# etcd refuses an addition while a member that joined seconds ago does not count as active yet
# ("unhealthy cluster"): retry for a minute. A retry after an addition that did go through finds
# the peer URL listed and stops.
deadline=$(( $(date +%s) + 60 ))
until printf '%s\\n' "$members" | awk -F', ' -v p="$peer" '$4 == p { found = 1 } END { exit !found }'; do
  if ! ${ctl} member add "$name" --peer-urls="$peer" >&2; then
    if [ "$(date +%s)" -ge "$deadline" ]; then echo "could not add etcd member $name ($peer)" >&2; exit 1; fi
    sleep 2
  fi
  members=$(list)
done
printf '%s\\n' "$members" | awk -F', ' -v p="$peer" -v n="$name" '
  { nm = $3; if ($4 == p) nm = n; else if (nm == "") { print "member " $1 " (" $4 ") was added but has not started; start or remove it first" > "/dev/stderr"; bad = 1 }
    out = out (out == "" ? "" : ",") nm "=" $4 }
  END { if (bad) exit 1; print "ETCD_INITIAL_CLUSTER=" out }'
`;
}

/** Reads the initial-cluster value out of the join script's output; throws when it is not there. */
export function parseJoinOutput(stdout: string, memberName: string): string {
    const line = stdout.split("\n").map((l) => l.trim()).find((l) => l.startsWith("ETCD_INITIAL_CLUSTER="));
    const value = line?.slice("ETCD_INITIAL_CLUSTER=".length) ?? "";
    if (!/^[^=,\s]+=[^,\s]+(,[^=,\s]+=[^,\s]+)*$/.test(value) || !value.split(",").some((e) => e.startsWith(`${memberName}=`))) {
        throw new Error(`etcd member ${memberName}: the join step printed no usable initial-cluster (got ${JSON.stringify(stdout.trim())})`);
    }
    return value;
}

/**
 * Removes a member from the cluster before its service stops: looks its ID up by peer URL through
 * the other members and removes it through them. The others are those the local member lists now,
 * then `others` (the members when the step was declared, for a local member that no longer
 * answers), then the member itself. Already gone, or the last member (the whole cluster is being
 * destroyed), is success. etcd refuses a removal that would leave too few members connected for a
 * while (a member that joined seconds ago does not count yet), so refusals are retried for up to
 * a minute.
 */
export function renderLeaveScript(member: MemberEndpoint, cluster: { clientPort: number; peerPort: number }, others: string[]): string {
    const peer = memberUrl(member.address, cluster.peerPort);
    const local = localClientUrl(cluster.clientPort);
    return `${LOAD_ETCDCTL_ENV}
peer=${shellQuote(peer)}
deadline=$(( $(date +%s) + 60 ))
while :; do
  current=$(${etcdctl(local)} member list 2>/dev/null | awk -F', ' -v p="$peer" '$4 != p && $5 != "" { gsub(",", " ", $5); print $5 }') || true
  for ep in $current ${[...others, local].map(shellQuote).join(" ")}; do
    members=$(${etcdctlWord('"$ep"')} member list) || continue
    id=$(printf '%s\\n' "$members" | awk -F', ' -v p="$peer" '$4 == p { print $1 }')
    if [ -z "$id" ]; then echo "${member.name} is not a member any more"; exit 0; fi
    # The last member cannot leave: the cluster ends with it (pulumi destroy).
    if [ "$(printf '%s\\n' "$members" | grep -c .)" -le 1 ]; then echo "${member.name} is the last member"; exit 0; fi
    ${etcdctlWord('"$ep"')} member remove "$id" && exit 0
  done
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "could not remove etcd member ${member.name} ($peer); remove it by hand with etcdctl member remove" >&2
    exit 1
  fi
  sleep 2
done
`;
}

/** What a restore needs to know about the member it runs on. */
export interface RestorePlan {
    member: MemberEndpoint;
    snapshotPath: string;
    dataDir: string;
    peerPort: number;
    initialCluster: string;
    token: string;
}

/**
 * Restores a snapshot into the member's data dir before its first start, and only then: a data dir
 * that holds a member already is left alone (so the step is safe to keep and to re-run). The data
 * is restored next to the target and moved into place in one rename.
 */
export function renderRestoreScript(r: RestorePlan): string {
    return `${LOAD_ETCDCTL_ENV}
data=${shellQuote(r.dataDir)}
snap=${shellQuote(r.snapshotPath)}
if [ -d "$data/member" ]; then echo "$data already holds etcd data: restore skipped"; exit 0; fi
if [ ! -f "$snap" ]; then echo "snapshot $snap not found on $(hostname): copy it there first" >&2; exit 1; fi
cli=$(command -v etcdutl || command -v etcdctl)
parent=$(dirname "$data")
mkdir -p "$parent"
work=$(mktemp -d "$parent/.etcd-restore.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$cli" snapshot restore "$snap" \\
  --name ${shellQuote(r.member.name)} \\
  --initial-cluster ${shellQuote(r.initialCluster)} \\
  --initial-cluster-token ${shellQuote(r.token)} \\
  --initial-advertise-peer-urls ${shellQuote(memberUrl(r.member.address, r.peerPort))} \\
  --data-dir "$work/data"
chmod 0700 "$work/data"
rmdir "$data" 2>/dev/null || true
mv "$work/data" "$data"
echo "restored $snap into $data"
`;
}

/** Restarts the member in a rolling update; the unit's first start is SystemdUnit's job. */
export function renderRestartScript(): string {
    return [
        "cat > /dev/null",
        `systemctl restart ${ETCD_UNIT}`,
        `systemctl is-active --quiet ${ETCD_UNIT} || { journalctl -u ${ETCD_UNIT} -n 30 --no-pager >&2; exit 1; }`,
    ].join("\n");
}
