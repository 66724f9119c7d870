import { shellQuote } from "./connection";

/** The markers around the block HostPrep manages in /etc/hosts; lines outside are never touched. */
export const HOSTS_BEGIN = "# BEGIN k8s-binary managed hosts";
export const HOSTS_END = "# END k8s-binary managed hosts";

/** Kernel parameters Kubernetes nodes need (seed 001's k8s.conf, minus turning IPv6 off). */
export const DEFAULT_SYSCTL: Readonly<Record<string, string>> = {
    "net.bridge.bridge-nf-call-ip6tables": "1",
    "net.bridge.bridge-nf-call-iptables": "1",
    "net.ipv4.ip_forward": "1",
};

/** The managed /etc/hosts block: one line per host, sorted by name for a stable file. */
export function renderHostsBlock(entries: { name: string; address: string }[]): string {
    const lines = [...entries].sort((a, b) => a.name.localeCompare(b.name)).map((e) => `${e.address} ${e.name}`);
    return [HOSTS_BEGIN, ...lines, HOSTS_END].join("\n") + "\n";
}

/** /etc/sysctl.d/90-k8s-binary.conf, keys sorted. */
export function renderSysctlConf(params: Record<string, string>): string {
    const keys = Object.keys(params).sort();
    return ["# Managed by k8s-binary", ...keys.map((k) => `${k} = ${params[k]}`)].join("\n") + "\n";
}

/** /etc/modules-load.d/k8s-binary.conf: modules loaded at boot. */
export function renderModulesConf(modules: string[]): string {
    return ["# Managed by k8s-binary", ...[...new Set(modules)].sort()].join("\n") + "\n";
}

/** Sets the hostname now and across reboots. */
export function renderHostnameScript(hostname: string): string {
    const h = shellQuote(hostname);
    return [
        `if [ "$(cat /etc/hostname 2>/dev/null)" != ${h} ]; then echo ${h} > /etc/hostname; fi`,
        `if [ "$(hostname)" != ${h} ]; then`,
        `  hostnamectl set-hostname ${h} 2>/dev/null || hostname ${h}`,
        `fi`,
    ].join("\n");
}

/** Replaces the managed block of /etc/hosts with stdin (or appends it), atomically. */
export function renderHostsFileScript(): string {
    return [
        `block=$(cat)`,
        `tmp=$(mktemp /etc/.hosts.k8s-binary.XXXXXX)`,
        `trap 'rm -f "$tmp"' EXIT`,
        `awk -v b=${shellQuote(HOSTS_BEGIN)} -v e=${shellQuote(HOSTS_END)} '$0==b{skip=1;next} $0==e{skip=0;next} !skip' /etc/hosts > "$tmp"`,
        `printf '%s\\n' "$block" >> "$tmp"`,
        `chmod 0644 "$tmp"`,
        `if cmp -s "$tmp" /etc/hosts; then exit 0; fi`,
        // /etc/hosts may be a bind mount (containers): copy over it rather than rename.
        `cat "$tmp" > /etc/hosts`,
    ].join("\n");
}

/** Turns swap off now and keeps it off: fstab swap lines commented, swap units masked. */
export function renderSwapOffScript(): string {
    return [
        `if [ -n "$(tail -n +2 /proc/swaps)" ]; then swapoff -a; fi`,
        `if grep -Eq '^[^#].*[[:space:]]swap[[:space:]]' /etc/fstab 2>/dev/null; then`,
        `  sed -ri 's/^([^#].*[[:space:]]swap[[:space:]].*)$/# disabled by k8s-binary: \\1/' /etc/fstab`,
        `fi`,
        // systemd-gpt-auto and zram generators create swap without fstab.
        `if command -v systemctl >/dev/null; then systemctl mask --quiet swap.target 2>/dev/null || true; fi`,
        `echo "swap: off ($(tail -n +2 /proc/swaps | wc -l) active)"`,
    ].join("\n");
}

/**
 * What a module provides once active, for kernels that build it in without a /sys/module entry
 * and hosts without /lib/modules (containers): its sysctls or its /proc entries.
 */
const MODULE_EVIDENCE: Readonly<Record<string, string>> = {
    br_netfilter: "[ -e /proc/sys/net/bridge/bridge-nf-call-iptables ]",
    overlay: "grep -qw overlay /proc/filesystems",
    ip_vs: "[ -e /proc/net/ip_vs ]",
    nf_conntrack: "[ -e /proc/sys/net/netfilter/nf_conntrack_max ]",
};

/**
 * Loads kernel modules and applies sysctl values. A module that is built in, or missing where
 * modprobe is unavailable, is reported; only required modules that are absent fail the step.
 */
export function renderKernelScript(opts: {
    requiredModules: string[];
    optionalModules: string[];
    sysctlFile: string;
    sysctlKeys: Record<string, string>;
    sysctlFailure: "fail" | "warn";
}): string {
    const check = (m: string) =>
        [
            `[ -d /sys/module/${m} ]`,
            `grep -qw "^${m}" /proc/modules 2>/dev/null`,
            `grep -qs "/${m}.ko" "/lib/modules/$(uname -r)/modules.builtin"`,
            ...(MODULE_EVIDENCE[m] ? [MODULE_EVIDENCE[m]] : []),
        ].join(" || ");
    const lines = [`missing=""`];
    const all = [...opts.requiredModules.map((m) => [m, true] as const), ...opts.optionalModules.map((m) => [m, false] as const)];
    for (const [m, required] of all) {
        lines.push(
            `if ${check(m)}; then echo "module ${m}: present"`,
            `elif command -v modprobe >/dev/null && modprobe ${m} 2>/dev/null; then echo "module ${m}: loaded"`,
            required ? `else missing="$missing ${m}"; echo "module ${m}: MISSING"` : `else echo "module ${m}: not available (optional)"`,
            `fi`,
        );
    }
    lines.push(`if [ -n "$missing" ]; then echo "required kernel modules missing:$missing" >&2; exit 1; fi`);
    lines.push(`sysctl -q -p ${shellQuote(opts.sysctlFile)} >/dev/null 2>&1 || true`);
    lines.push(`wrong=""`);
    for (const key of Object.keys(opts.sysctlKeys).sort()) {
        lines.push(`v=$(sysctl -n ${key} 2>/dev/null || echo unavailable); [ "$v" = ${shellQuote(opts.sysctlKeys[key])} ] || wrong="$wrong ${key}=$v"`);
    }
    const verdict =
        opts.sysctlFailure === "fail"
            ? `if [ -n "$wrong" ]; then echo "sysctl values not applied (wanted those in ${opts.sysctlFile}):$wrong" >&2; exit 1; fi`
            : `if [ -n "$wrong" ]; then echo "sysctl: not applied:$wrong"; else echo "sysctl: applied"; fi`;
    lines.push(verdict);
    return lines.join("\n");
}

/** Debian package names that RPM distributions spell differently. */
export const RPM_PACKAGE_NAMES: Readonly<Record<string, string>> = {
    conntrack: "conntrack-tools",
    "libnginx-mod-stream": "nginx-mod-stream",
};

/**
 * Installs missing packages, named as on Debian, with the host's package manager: apt-get, or
 * dnf/yum with the RPM names. It asks dpkg/rpm first, so on a prepared host it touches nothing;
 * apt-get refreshes its lists only when an install from the current ones fails.
 */
export function renderPackagesScript(packages: string[]): string {
    if (packages.length === 0) return `echo "packages: none requested"`;
    const debian = [...new Set(packages)].sort();
    const rpm = [...new Set(debian.map((p) => RPM_PACKAGE_NAMES[p] ?? p))].sort();
    return [
        `missing=()`,
        `if command -v dpkg-query >/dev/null; then`,
        `  for p in ${debian.map(shellQuote).join(" ")}; do`,
        `    dpkg-query -W -f='\${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")`,
        `  done`,
        `  if [ \${#missing[@]} -gt 0 ]; then`,
        `    export DEBIAN_FRONTEND=noninteractive`,
        `    apt-get install -y -q --no-install-recommends "\${missing[@]}" || { apt-get update -q && apt-get install -y -q --no-install-recommends "\${missing[@]}"; }`,
        `  fi`,
        `elif command -v rpm >/dev/null; then`,
        `  for p in ${rpm.map(shellQuote).join(" ")}; do rpm -q "$p" >/dev/null 2>&1 || missing+=("$p"); done`,
        `  if [ \${#missing[@]} -gt 0 ]; then`,
        `    if command -v dnf >/dev/null; then dnf install -y -q "\${missing[@]}"; else yum install -y -q "\${missing[@]}"; fi`,
        `  fi`,
        `else echo "no dpkg or rpm on $(hostname): install ${debian.join(" ")} by hand" >&2; exit 1; fi`,
        `echo "packages: \${#missing[@]} installed (\${missing[*]:-none missing}), ${debian.length} wanted"`,
    ].join("\n");
}

/** A firewall opening: a port or range with its protocol ("6443/tcp", "30000-32767/tcp"), or an IP protocol by name ("vrrp"). */
export const FIREWALL_ENTRY = /^(\d{1,5}(-\d{1,5})?\/(tcp|udp)|vrrp)$/;

/**
 * Firewall: "open" adds the given ports (and IP protocols such as vrrp) to an active firewalld or
 * ufw (nothing to do when neither runs), "disable" stops and disables them (what the seeds do),
 * "leave" touches nothing.
 */
export function renderFirewallScript(mode: "open" | "disable" | "leave", entries: string[]): string {
    if (mode === "leave") return `echo "firewall: left as is"`;
    if (mode === "disable") {
        return [
            `for s in firewalld ufw; do`,
            `  if systemctl is-enabled --quiet "$s" 2>/dev/null || systemctl is-active --quiet "$s" 2>/dev/null; then systemctl disable --now "$s"; echo "firewall: $s disabled"; fi`,
            `done`,
        ].join("\n");
    }
    const sorted = [...new Set(entries)].sort();
    const ports = sorted.filter((e) => e.includes("/"));
    const protocols = sorted.filter((e) => !e.includes("/"));
    return [
        `if systemctl is-active --quiet firewalld 2>/dev/null; then`,
        ...ports.map((p) => `  firewall-cmd --quiet --permanent --add-port=${p}`),
        ...protocols.map((p) => `  firewall-cmd --quiet --permanent --add-protocol=${p}`),
        `  firewall-cmd --quiet --reload; echo "firewall: firewalld opened ${sorted.join(" ")}"`,
        `elif command -v ufw >/dev/null && ufw status 2>/dev/null | grep -q "Status: active"; then`,
        ...ports.map((p) => `  ufw allow ${p.replace("-", ":")} >/dev/null`),
        // ufw has no rule syntax for IP protocol 112; VRRP adverts go to multicast 224.0.0.18.
        ...protocols.filter((p) => p === "vrrp").map(() => `  ufw allow to 224.0.0.18 >/dev/null`),
        `  echo "firewall: ufw opened ${sorted.join(" ")}"`,
        `else echo "firewall: none active"; fi`,
    ].join("\n");
}

/** SELinux to permissive now and at boot, as the kubelet of release binaries is not labelled. */
export function renderSelinuxScript(): string {
    return [
        `if command -v getenforce >/dev/null && [ "$(getenforce)" = Enforcing ]; then setenforce 0; fi`,
        `if [ -f /etc/selinux/config ]; then sed -ri 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config; fi`,
        `echo "selinux: $(getenforce 2>/dev/null || echo absent)"`,
    ].join("\n");
}

/** Reports clock synchronisation; with `require`, an unsynchronised clock fails (etcd and TLS need agreeing clocks). */
export function renderTimeSyncScript(require: boolean): string {
    return [
        `state=unknown`,
        `if command -v timedatectl >/dev/null; then state=$(timedatectl show -p NTPSynchronized --value 2>/dev/null || echo unknown); fi`,
        `if [ "$state" != yes ] && command -v chronyc >/dev/null && chronyc -n tracking 2>/dev/null | grep -q "Leap status *: Normal"; then state=yes; fi`,
        `echo "time sync: $state ($(date -u +%Y-%m-%dT%H:%M:%SZ))"`,
        ...(require
            ? [`if [ "$state" != yes ]; then echo "the clock of $(hostname) is not synchronised: enable chrony or systemd-timesyncd" >&2; exit 1; fi`]
            : []),
    ].join("\n");
}
