/**
 * The node's preflight (bash, run on the host before anything is installed): it reads what the
 * host can do and fails, naming the WorkerNode option to set, when the plan does not fit the host.
 * Options a host does not need are only reported.
 */
import type { WorkerNodePlan } from "./plan";

/** The kernel modules kube-proxy's ipvs mode uses. */
export const IPVS_MODULES = ["ip_vs", "ip_vs_rr", "ip_vs_wrr", "ip_vs_sh"] as const;
/** The oldest kernel and nft kube-proxy's nftables mode works with. */
export const NFTABLES_MIN = { kernel: "5.13", nft: "1.0.1" } as const;

/**
 * The script. It prints one `found:` line per fact and one `NEEDS:` line per misfit, and exits 1
 * after the last misfit (0 when the plan fits):
 * - cgroup v1 or hybrid (`/sys/fs/cgroup` is not cgroup2fs) needs `cgroupV1: true`;
 * - no CAP_SYS_RESOURCE in the capability bounding set (bit 24 of CapBnd in /proc/self/status)
 *   needs `restrictOomScoreAdj: true`;
 * - `proxy.mode: nftables` needs kernel 5.13, nft 1.0.1 and a kernel that takes an nftables
 *   table (checked with `nft -c`, which changes nothing);
 * - `proxy.mode: ipvs` needs the IPVS modules (loaded, built in, or installed for this kernel).
 */
export function renderPreflight(plan: WorkerNodePlan): string {
    const lines = [
        "#!/bin/bash",
        `# Preflight of WorkerNode ${plan.name}: does this host fit the node's options?`,
        "set -uo pipefail",
        "misfits=0",
        'need() { echo "NEEDS: $*"; misfits=$((misfits + 1)); }',
        'found() { echo "found: $*"; }',
        "# version_ge A B: A >= B, dotted numbers.",
        'version_ge() { [ "$(printf "%s\\n%s\\n" "$2" "$1" | sort -V | head -n1)" = "$2" ]; }',
        "",
        "# cgroups: v2 alone, or v1 (hybrid included).",
        "cgroup_fs=$(stat -fc %T /sys/fs/cgroup 2>/dev/null || echo missing)",
        'if [ "$cgroup_fs" = cgroup2fs ]; then',
        '    found "cgroup v2 (/sys/fs/cgroup is cgroup2fs)"',
        plan.cgroupV1 ? '    echo "note: cgroupV1 is set but this host runs cgroup v2; it does no harm"' : "    :",
        "else",
        '    found "cgroup v1 or hybrid (/sys/fs/cgroup is $cgroup_fs)"',
        plan.cgroupV1
            ? "    :"
            : '    need "this host runs cgroup v1, which kubelet 1.35 and newer refuse: set cgroupV1: true (kubelet failCgroupV1: false), or boot the host with cgroup v2"',
        "fi",
        "",
        "# CAP_SYS_RESOURCE (bit 24) in the capability bounding set.",
        "capbnd=$(awk '/^CapBnd:/ {print $2}' /proc/self/status)",
        'if [ -n "$capbnd" ] && (( (16#$capbnd >> 24) & 1 )); then',
        '    found "CAP_SYS_RESOURCE (CapBnd $capbnd)"',
        plan.restrictOomScoreAdj ? '    echo "note: restrictOomScoreAdj is set but this host has CAP_SYS_RESOURCE; it does no harm"' : "    :",
        "else",
        '    found "no CAP_SYS_RESOURCE (CapBnd ${capbnd:-unreadable})"',
        plan.restrictOomScoreAdj
            ? "    :"
            : '    need "this host lacks CAP_SYS_RESOURCE, so runc cannot lower oom_score_adj and every pod sandbox fails: set restrictOomScoreAdj: true (containerd restrict_oom_score_adj)"',
        "fi",
    ];
    if (plan.proxy.mode === "nftables") {
        lines.push(
            "",
            "# kube-proxy nftables mode: kernel, nft, and a kernel that takes a table.",
            "kernel=$(uname -r | grep -oE '^[0-9]+\\.[0-9]+')",
            `if version_ge "$kernel" ${NFTABLES_MIN.kernel}; then found "kernel $kernel"; else need "kernel $kernel is older than ${NFTABLES_MIN.kernel}, which kube-proxy's nftables mode needs: set proxy.mode: iptables"; fi`,
            "if command -v nft >/dev/null 2>&1; then",
            "    nft_version=$(nft --version | grep -oE '[0-9]+\\.[0-9]+(\\.[0-9]+)?' | head -n1)",
            `    if version_ge "$nft_version" ${NFTABLES_MIN.nft}; then found "nft $nft_version"; else need "nft $nft_version is older than ${NFTABLES_MIN.nft}, which kube-proxy's nftables mode needs: install a newer nftables, or set proxy.mode: iptables"; fi`,
            "    if out=$(echo 'add table ip k8s-binary-preflight' | nft -c -f - 2>&1); then",
            '        found "the kernel takes nftables tables (nft -c)"',
            "    else",
            '        need "the kernel refuses an nftables table ($out): set proxy.mode: iptables"',
            "    fi",
            "else",
            '    need "nft is not installed, which kube-proxy\'s nftables mode needs: install nftables, or set proxy.mode: iptables"',
            "fi",
        );
    }
    if (plan.proxy.mode === "ipvs") {
        lines.push(
            "",
            "# kube-proxy ipvs mode: the IPVS modules, loaded, built in or installed.",
            "release=$(uname -r)",
            "missing=()",
            `for m in ${IPVS_MODULES.join(" ")}; do`,
            '    if [ -d "/sys/module/$m" ] || grep -qE "/$m\\.ko" "/lib/modules/$release/modules.builtin" 2>/dev/null || modinfo "$m" >/dev/null 2>&1; then :; else missing+=("$m"); fi',
            "done",
            'if [ ${#missing[@]} -eq 0 ]; then found "IPVS modules"; else need "this host has no IPVS (${missing[*]} missing), so kube-proxy\'s ipvs mode cannot run: set proxy.mode: nftables or iptables"; fi',
        );
    }
    lines.push(
        "",
        'if [ "$misfits" -gt 0 ]; then',
        `    echo "preflight of ${plan.name}: $misfits option(s) to change (see NEEDS above)" >&2`,
        "    exit 1",
        "fi",
        `echo "preflight of ${plan.name}: the host fits"`,
        "",
    );
    return lines.join("\n");
}
