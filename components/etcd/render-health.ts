/** Readiness checks run on members (bash snippets for WaitFor). */
import { etcdctl, LOAD_ETCDCTL_ENV, localClientUrl, type MemberEndpoint } from "./layout";

/**
 * Readiness check run on a member: every member in the cluster's own member list answers
 * `endpoint health` (a quorum read through each of them). The member list is asked through the
 * local endpoint, so the check text never changes when members are added or removed.
 */
export function renderClusterHealthyCheck(clientPort: number): string {
    return [LOAD_ETCDCTL_ENV, `${etcdctl(localClientUrl(clientPort))} endpoint health --cluster`].join("\n");
}

/**
 * Readiness check of the whole cluster: every expected member is started and every member is
 * healthy. Members about to be removed may still be listed (removals run after all updates).
 * Run once after the rolling chain; it resolves the component's outputs.
 */
export function renderMembersHealthyCheck(clientPort: number, expected: MemberEndpoint[]): string {
    const names = expected
        .map((m) => m.name)
        .sort()
        .join(" ");
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
