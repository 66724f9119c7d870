/** Packages of the LB per package manager: nginx with its stream module, and keepalived. */
export const LB_PACKAGES = {
    apt: ["nginx", "libnginx-mod-stream", "keepalived"],
    rpm: ["nginx", "nginx-mod-stream", "keepalived"],
} as const;

/**
 * Bash that installs the LB's packages through the host's package manager. It asks dpkg/rpm
 * first and calls apt-get/dnf only for what is missing, so on a prepared host it is a few
 * milliseconds and touches nothing. The distribution's own nginx.service and
 * keepalived.service are left as they are: the LB runs its own units with its own configs.
 */
export function renderPackageInstallScript(): string {
    const apt = LB_PACKAGES.apt.join(" ");
    const rpm = LB_PACKAGES.rpm.join(" ");
    return `missing=()
if command -v dpkg-query >/dev/null 2>&1; then
  for p in ${apt}; do
    dpkg-query -W -f='\${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
  done
  if ((\${#missing[@]})); then
    echo "installing \${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -q --no-install-recommends "\${missing[@]}" || { apt-get update -q && apt-get install -y -q --no-install-recommends "\${missing[@]}"; }
  fi
elif command -v rpm >/dev/null 2>&1; then
  for p in ${rpm}; do
    rpm -q "$p" >/dev/null 2>&1 || missing+=("$p")
  done
  if ((\${#missing[@]})); then
    echo "installing \${missing[*]}"
    if command -v dnf >/dev/null 2>&1; then dnf install -y -q "\${missing[@]}"; else yum install -y -q "\${missing[@]}"; fi
  fi
else
  echo "no dpkg or rpm on this host: install ${apt} yourself" >&2
  exit 1
fi
for b in /usr/sbin/nginx /usr/sbin/keepalived; do
  [[ -x $b ]] || { echo "$b missing after install" >&2; exit 1; }
done
`;
}
