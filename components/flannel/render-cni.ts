/** The flannel CNI network every node gets (/etc/cni/net.d/10-flannel.conflist). */
import { FLANNEL_CNI_VERSION, FLANNEL_NETWORK_NAME } from "./layout";

/**
 * The conflist as data: the flannel plugin reads the node's subnet and MTU from
 * /run/flannel/subnet.env and delegates to `bridge` (cni0 as the pods' default gateway, hairpin so
 * a pod reaches itself through its Service) with `host-local` addresses; `portmap` serves hostPort.
 * The delegate's `ipMasq` is always false: the bridge would masquerade everything leaving the
 * node's subnet, pod-to-pod traffic to other nodes included; flanneld's `--ip-masq` rules
 * masquerade only what leaves the pod range (seed 002's tuning).
 */
export function cniConflist(): Record<string, unknown> {
    return {
        name: FLANNEL_NETWORK_NAME,
        cniVersion: FLANNEL_CNI_VERSION,
        plugins: [
            { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true, ipMasq: false } },
            { type: "portmap", capabilities: { portMappings: true } },
        ],
    };
}

/** The conflist as a file (indented, with a final newline). */
export function renderCniConflist(): string {
    return `${JSON.stringify(cniConflist(), null, 2)}\n`;
}
