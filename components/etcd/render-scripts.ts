/** Scripts the component runs on members: join, leave and restore. */
import { shellQuote } from "../host/connection";
import { etcdctl, etcdctlWord, LOAD_ETCDCTL_ENV, localClientUrl, memberUrl, type MemberEndpoint } from "./layout";

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
    const line = stdout
        .split("\n")
        .map((l) => l.trim())
        .find((l) => l.startsWith("ETCD_INITIAL_CLUSTER="));
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
# A leader that leaves forces an election (requests stall about a second): it hands the lead to a
# started voting member first. A member that does not lead refuses, harmlessly.
to=$(${etcdctl(local)} member list 2>/dev/null | awk -F', ' -v p="$peer" '$4 != p && $3 != "" && $6 != "true" { print $1; exit }') || true
if [ -n "$to" ] && ${etcdctl(local)} move-leader "$to" >/dev/null 2>&1; then echo "${member.name} handed the lead to $to" >&2; fi
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
