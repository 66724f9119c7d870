/** The check each node runs once flannel is up there (pure): its subnet file agrees with the plan. */
import { FLANNEL_PATHS } from "./layout";
import type { FlannelPlan } from "./plan";

/** How long the check waits for flanneld's subnet file, in seconds. */
export const SUBNET_FILE_WAIT_SECONDS = 120;

/**
 * Bash (stdin read and dropped) that waits for /run/flannel/subnet.env, then fails naming the
 * setting when its `FLANNEL_NETWORK` is not the plan's `podCidr` or its `FLANNEL_SUBNET` is not a
 * `/subnetLen` (in the kube modes the node's `spec.podCIDR`, sized by the controller-manager's
 * `--node-cidr-mask-size`, which must equal subnetLen); prints the node's subnet when both agree.
 */
export function renderSubnetCheckScript(plan: Pick<FlannelPlan, "name" | "mode" | "podCidr" | "subnetLen">): string {
    const file = FLANNEL_PATHS.subnetEnv;
    const sizedBy =
        plan.mode === "systemd-etcd"
            ? "flanneld's etcd config"
            : "the Node's spec.podCIDR, sized by the controller-manager's --node-cidr-mask-size, which must equal subnetLen";
    return [
        "cat > /dev/null",
        `for _ in $(seq 1 ${SUBNET_FILE_WAIT_SECONDS}); do [ -s ${file} ] && break; sleep 1; done`,
        `[ -s ${file} ] || { echo "flannel (FlannelNetwork ${plan.name}) wrote no ${file} within ${SUBNET_FILE_WAIT_SECONDS} s: see flanneld's log" >&2; exit 1; }`,
        `. ${file}`,
        `if [ "\${FLANNEL_NETWORK:-}" != "${plan.podCidr}" ]; then echo "${file} has FLANNEL_NETWORK=\${FLANNEL_NETWORK:-}, but podCidr is ${plan.podCidr}: flanneld runs with another network config" >&2; exit 1; fi`,
        `if [ "\${FLANNEL_SUBNET#*/}" != "${plan.subnetLen}" ]; then echo "this node's subnet \${FLANNEL_SUBNET:-} is not a /${plan.subnetLen} (subnetLen); it comes from ${sizedBy}" >&2; exit 1; fi`,
        `echo "$FLANNEL_SUBNET"`,
    ].join("\n");
}
