import { renderPackagesScript } from "../host/prep-render";

/** The LB's packages, named as on Debian (RPM names are derived): nginx with its stream module, and keepalived. */
export const LB_PACKAGES = ["nginx", "libnginx-mod-stream", "keepalived"];

/**
 * Installs the LB's packages when missing (a no-op on a prepared host) and checks that both
 * daemons are there. The distribution's own nginx.service and keepalived.service are left as
 * they are: the LB runs its own units with its own configs.
 */
export function renderPackageInstallScript(): string {
    return [
        renderPackagesScript(LB_PACKAGES),
        `for b in /usr/sbin/nginx /usr/sbin/keepalived; do`,
        `  [ -x "$b" ] || { echo "$b missing after install" >&2; exit 1; }`,
        `done`,
    ].join("\n");
}
