/**
 * The Kubernetes versions a host runs, and the upgrade rules checked against them (pure). A guard
 * step on every control-plane and node host records the versions it is moved to, and refuses a
 * change the version skew policy forbids before any release is installed (an install switches the
 * binaries' links) or any service restarted.
 */
import { shellQuote } from "../host/connection";
import { allowedNodeLag, parseVersion } from "../cluster-spec/versions";

/** Where a host keeps the Kubernetes versions the last `up` moved it to: `component=version` lines. */
export const VERSIONS_FILE = "/etc/kubernetes/k8s-binary-versions";

/**
 * How many minors apart two apiservers of one cluster may be (version skew policy): an upgrade
 * moves the control plane one minor per `up`, since during the roll old and new serve together.
 */
export const APISERVER_MINOR_SKEW = 1;

/** What one host is asked to run: the apiserver on control-plane hosts, the kubelet on nodes. */
export interface AskedVersions {
    /** The host's name, for the messages. */
    host: string;
    /** `binaries.kubernetes.version`: the control plane's version (asked of every host, for the kubelet's lag). */
    apiserver: string;
    /** Whether the host runs the control plane. */
    controlPlane: boolean;
    /** The kubelet's version when the host is a node (`binaries.kubernetesNode.version`, else `binaries.kubernetes.version`). */
    kubelet?: string;
    /** The config path of the kubelet's version. */
    kubeletPath: string;
}

/**
 * A rule on one recorded component: its running minor must lie in [min, max]. Each bound's refusal
 * may name `{running}` (the recorded version), `{minor}` (its minor) and `{next}` (the minor after it).
 */
export interface VersionRule {
    /** The record's key: "apiserver" or "kubelet". */
    component: string;
    /** What the host is moved to, recorded once the rules pass. */
    asked: string;
    /** The oldest running minor the asked version may follow, with the refusal below it. */
    min: { minor: number; message: string };
    /** The newest running minor the asked version may follow, with the refusal above it. */
    max: { minor: number; message: string };
}

const minorOf = (version: string) => parseVersion(version)!.minor;

/** The rules a host's asked versions set on what it runs (the spec checks made the versions valid). */
export function versionRules(asked: AskedVersions): VersionRule[] {
    const rules: VersionRule[] = [];
    const a = minorOf(asked.apiserver);
    if (asked.controlPlane)
        rules.push({
            component: "apiserver",
            asked: asked.apiserver,
            min: {
                minor: a - APISERVER_MINOR_SKEW,
                message:
                    `binaries.kubernetes.version: ${asked.host} runs kube-apiserver {running}; the stack asks for ${asked.apiserver}, more than one minor newer. ` +
                    `Kubernetes upgrades one minor at a time: while the control plane rolls, old and new apiservers serve together, and the version skew policy allows them one minor apart. ` +
                    `Upgrade to the next minor first (binaries.kubernetes.version: the latest 1.{next}.x patch, then pulumi up), then to ${asked.apiserver}.`,
            },
            max: {
                minor: a,
                message:
                    `binaries.kubernetes.version: ${asked.host} runs kube-apiserver {running}; the stack asks for ${asked.apiserver}, an older minor. ` +
                    `Kubernetes has no in-place minor downgrade: the version skew policy covers upgrades only, and objects the newer apiservers wrote to etcd may not be readable by older ones. ` +
                    `Put back a 1.{minor}.x release (a patch of the running minor may go up or down), or restore the etcd backup taken before the upgrade on a cluster of the older release (docs/etcd-backup-restore.md).`,
            },
        });
    if (asked.kubelet !== undefined) {
        const lag = allowedNodeLag(a);
        rules.push({
            component: "kubelet",
            asked: asked.kubelet,
            min: {
                minor: a - lag,
                message:
                    `binaries.kubernetes.version: ${asked.host} runs kubelet {running}, more than ${lag} minors older than the apiservers the stack asks for (${asked.apiserver}). ` +
                    `The version skew policy allows kubelets at most ${lag} minors behind the apiserver, and the control plane upgrades before the nodes. ` +
                    `Upgrade the nodes first (${asked.kubeletPath}: 1.${a - lag}.x or newer, then pulumi up), then the control plane.`,
            },
            max: {
                minor: minorOf(asked.kubelet),
                message:
                    `${asked.kubeletPath}: ${asked.host} runs kubelet {running}; the stack asks for ${asked.kubelet}, an older minor. ` +
                    `A kubelet has no in-place minor downgrade (the version skew policy covers upgrades only). ` +
                    `Put back a 1.{minor}.x release, or drain the node, take it out of the stack, and add it back as a new node with the older release.`,
            },
        });
    }
    return rules;
}

/** A refusal as a double-quoted shell word, its placeholders the running version's shell expansions. */
function refusal(message: string): string {
    const escaped = message.replace(/[\\"$`]/g, (c) => `\\${c}`);
    return `"${escaped.replace("{running}", "$ran").replace("{minor}", "$minor").replace("{next}", "$((minor + 1))")}"`;
}

/**
 * The guard: for each rule, reads the recorded version and fails with the rule's refusal when its
 * minor lies outside the bounds (every refusal printed, then exit 1, leaving the record as it
 * was); records the asked versions when every rule passes (a host without a record: a new host,
 * or one deployed before the record existed).
 */
export function renderVersionGuardScript(rules: VersionRule[], file = VERSIONS_FILE): string {
    const checks = rules.map((r) => {
        const key = shellQuote(r.component);
        return [
            `ran=$(sed -n "s|^"${key}"=||p" "$file" 2>/dev/null || true)`,
            `if [ -n "$ran" ]; then`,
            `  minor=$(printf '%s' "$ran" | cut -d. -f2)`,
            `  if [ "$minor" -lt ${r.min.minor} ]; then echo ${refusal(r.min.message)} >&2; bad=1; fi`,
            `  if [ "$minor" -gt ${r.max.minor} ]; then echo ${refusal(r.max.message)} >&2; bad=1; fi`,
            `fi`,
        ].join("\n");
    });
    const record = rules.map((r) => `${r.component}=${r.asked}`).join("\n");
    return [
        `file=${shellQuote(file)}`,
        `bad=0`,
        ...checks,
        `[ "$bad" = 0 ] || exit 1`,
        `mkdir -p "$(dirname "$file")"`,
        `printf '%s\\n' ${shellQuote(record)} > "$file.tmp" && mv -f "$file.tmp" "$file"`,
    ].join("\n");
}

/**
 * Removes the record when the host leaves the stack (or runs no Kubernetes any more): nothing runs
 * there to be upgraded, and a record left behind would hold the host to a release it no longer
 * runs when it is added again, refusing it after two upgrades of the cluster.
 */
export function renderVersionRecordRemoval(file = VERSIONS_FILE): string {
    return `rm -f ${shellQuote(file)}`;
}
