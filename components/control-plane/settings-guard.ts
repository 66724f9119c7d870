/**
 * The settings a live cluster cannot change (pure): what each is and why not. A guard step on
 * every control-plane host records them at the first `up` and refuses a later change, before any
 * service of the control plane is touched.
 */
import { shellQuote } from "../host/connection";

/** Where a host keeps the settings its cluster was built with. */
export const SETTINGS_FILE = "/etc/kubernetes/k8s-binary-settings";

/** A fixed setting: its config path, its value, why it cannot change. */
export interface FixedSetting {
    path: string;
    value: string;
    why: string;
}

/** The fixed settings of a plan. */
export function fixedSettings(plan: { serviceCidr: string; podCidr: string; clusterDomain: string }): FixedSetting[] {
    return [
        {
            path: "serviceCidr",
            value: plan.serviceCidr,
            why: "every Service holds a ClusterIP from the old range, and the `kubernetes` Service's address is a name on the serving certificates and in every pod's environment",
        },
        {
            path: "podCidr",
            value: plan.podCidr,
            why: "every node already holds a pod CIDR from the old range, and running pods hold addresses in it",
        },
        {
            path: "clusterDomain",
            value: plan.clusterDomain,
            why: "the service-account issuer derives from it (every issued token would stop being valid), and kubelets, CoreDNS and every pod's DNS search path use it",
        },
    ];
}

/** The settings as the guard reads them on stdin: `path=value` lines. */
export function renderSettings(settings: FixedSetting[]): string {
    return settings.map((s) => `${s.path}=${s.value}`).join("\n") + "\n";
}

/**
 * The guard: compares stdin with the recorded settings and fails naming each changed one, what
 * the cluster runs with, what the stack asks for and why it cannot change; records them when
 * the host has none yet (a new cluster or a new host).
 */
export function renderSettingsGuardScript(settings: FixedSetting[]): string {
    const checks = settings.map((s) => {
        const key = shellQuote(s.path);
        const message = `${s.path} (in a stack: network.${s.path}): this live cluster runs with %s; the stack asks for %s. It cannot change on a live cluster: ${s.why}. Put the value back, or build a new cluster with the new value and move the workloads.`;
        return [
            `old=$(sed -n "s|^"${key}"=||p" "$file")`,
            `new=$(printf '%s\\n' "$want" | sed -n "s|^"${key}"=||p")`,
            `if [ -n "$old" ] && [ "$old" != "$new" ]; then printf ${shellQuote(message + "\\n")} "$old" "$new" >&2; bad=1; fi`,
        ].join("\n");
    });
    return [
        `want=$(cat)`,
        `file=${SETTINGS_FILE}`,
        `bad=0`,
        `if [ -f "$file" ]; then`,
        ...checks,
        `fi`,
        `[ "$bad" = 0 ] || exit 1`,
        `mkdir -p "$(dirname "$file")"`,
        `printf '%s\\n' "$want" > "$file.tmp" && mv -f "$file.tmp" "$file"`,
    ].join("\n");
}

/** Removes the record when the host leaves the control plane: added again, to this or another cluster, it starts with none. */
export function renderSettingsRecordRemoval(): string {
    return `rm -f ${SETTINGS_FILE}`;
}
