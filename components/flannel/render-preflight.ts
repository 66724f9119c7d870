/**
 * A node's flannel preflight (bash, run on the host before flannel is installed): it reads what the
 * host can do and fails, naming the option to change, when the plan does not fit the host.
 */
import { shellQuote } from "../host/connection";
import type { FlannelNodePlan, FlannelPlan } from "./plan";

/** The kernel module each backend needs (host-gw needs none: plain routes). */
export const BACKEND_MODULES = { vxlan: "vxlan", wireguard: "wireguard", udp: "tun", "host-gw": undefined } as const;

/**
 * The script. It prints one `found:` line per fact, one `NEEDS:` line per misfit and `note:` lines
 * for what it cannot check, and exits 1 after the last misfit (0 when the plan fits):
 * - the backend's kernel module (vxlan, wireguard, or tun for udp), loaded, built in, or installed
 *   for this kernel; udp also needs /dev/net/tun;
 * - host-gw: one L2 segment for all nodes cannot be checked from one host (note only);
 * - the interface `--iface` names exists (a name, or an address on one of the host's interfaces);
 * - with `mtu`: that interface (or the default route's) takes the backend MTU (pods' MTU plus the
 *   backend's overhead);
 * - systemd modes: iptables (or nft with `nftables`) for flanneld's masquerade and forward rules.
 */
export function renderPreflight(plan: FlannelPlan, node?: FlannelNodePlan): string {
    const iface = node?.interface;
    const module = BACKEND_MODULES[plan.backend];
    const lines = [
        "#!/bin/bash",
        `# flannel preflight of FlannelNetwork ${plan.name}${node ? ` on ${node.name}` : ""}: does this host fit the ${plan.backend} backend?`,
        "set -uo pipefail",
        "misfits=0",
        'need() { echo "NEEDS: $*"; misfits=$((misfits + 1)); }',
        'found() { echo "found: $*"; }',
        "# has_module M: loaded, built in, or installed for the running kernel.",
        'has_module() { [ -d "/sys/module/$1" ] || grep -qE "/$1\\.ko" "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null || modinfo "$1" >/dev/null 2>&1; }',
    ];
    if (module !== undefined) {
        const other = plan.backend === "vxlan" ? "host-gw (nodes on one L2 segment) or wireguard" : "vxlan";
        lines.push(
            "",
            `# The ${plan.backend} backend's kernel module.`,
            `if has_module ${module}; then found "kernel module ${module}"; else need "the kernel has no ${module} module, which flannel's ${plan.backend} backend needs: install it (linux-modules-extra or the distribution's equivalent), or set backend: ${other}"; fi`,
        );
    }
    if (plan.backend === "udp") {
        lines.push(
            `if [ -c /dev/net/tun ]; then found "/dev/net/tun"; else need "there is no /dev/net/tun, which flannel's udp backend opens: load the tun module, or set backend: vxlan"; fi`,
        );
    }
    if (plan.backend === "host-gw") {
        lines.push(
            "",
            'echo "note: host-gw needs every node on one L2 segment (each node is the next hop to its pods); one host cannot check that: give hostSubnets to have the plan check it, or use vxlan with directRouting"',
        );
    }
    lines.push("", "# The interface between nodes.");
    if (iface !== undefined) {
        lines.push(
            `iface=${shellQuote(iface)}`,
            'if [[ "$iface" =~ ^[0-9.]+$ ]]; then',
            '    dev=$(ip -o -4 addr show | awk -v a="$iface" \'{split($4, p, "/"); if (p[1] == a) {print $2; exit}}\')',
            '    if [ -n "$dev" ]; then found "address $iface on $dev"; else need "no interface of this host has the address $iface (interface): give one of its addresses or an interface name"; dev=; fi',
            'elif [ -e "/sys/class/net/$iface" ]; then',
            '    found "interface $iface"; dev=$iface',
            "else",
            '    need "this host has no interface $iface (interface): give one of $(ls /sys/class/net | tr "\\n" " ")"; dev=',
            "fi",
        );
    } else {
        lines.push(
            "dev=$(ip -o -4 route show default 2>/dev/null | awk '{for (i = 1; i < NF; i++) if ($i == \"dev\") {print $(i + 1); exit}}')",
            'if [ -n "$dev" ]; then found "default route through $dev"; else need "this host has no IPv4 default route, and flanneld picks that interface when none is given: set interface"; fi',
        );
    }
    if (plan.backendMtu !== undefined) {
        lines.push(
            "",
            `# The pods' MTU ${plan.mtu} plus ${plan.backend}'s ${plan.overhead} bytes.`,
            'if [ -n "$dev" ]; then',
            '    mtu=$(cat "/sys/class/net/$dev/mtu" 2>/dev/null || echo 0)',
            `    if [ "$mtu" -ge ${plan.backendMtu} ]; then found "MTU $mtu on $dev"; else need "$dev has MTU $mtu, less than the ${plan.backendMtu} the pods' mtu ${plan.mtu} needs with ${plan.backend}'s ${plan.overhead} bytes of overhead: set mtu to $((mtu - ${plan.overhead})) or less, or leave it unset"; fi`,
            "fi",
        );
    }
    if (plan.mode !== "daemonset") {
        const tool = plan.nftables ? "nft" : "iptables";
        lines.push(
            "",
            `# flanneld's ${plan.nftables ? "nftables" : "iptables"} rules (masquerade, forward).`,
            `if command -v ${tool} >/dev/null 2>&1; then found "${tool}"; else need "${tool} is not installed, and flanneld writes its masquerade and forward rules with it: install ${plan.nftables ? "nftables, or unset nftables" : "iptables"}"; fi`,
        );
    }
    lines.push(
        "",
        'if [ "$misfits" -gt 0 ]; then',
        `    echo "flannel preflight${node ? ` of ${node.name}` : ""}: $misfits thing(s) to change (see NEEDS above)" >&2`,
        "    exit 1",
        "fi",
        `echo "flannel preflight${node ? ` of ${node.name}` : ""}: the host fits"`,
        "",
    );
    return lines.join("\n");
}
