/** kube-controller-manager's flags. */
import { CP_PATHS, type ControlPlaneMember } from "./layout";
import type { ControlPlanePlan } from "./plan";
import { CONTROLLER_MANAGER_ARGS_VAR, renderFlagsEnv } from "./render-env";

/**
 * Every flag of a member's kube-controller-manager by bare name, extra flags merged last. It signs
 * kubelet certificates with the cluster CA, splits podCidr into node pod CIDRs (flannel's subnets),
 * and runs the bootstrap-token controllers besides the default ones. The flags are the same on
 * every member (`_member` keeps the signature of the other renderers).
 */
export function controllerManagerFlags(plan: ControlPlanePlan, _member?: ControlPlaneMember): Record<string, string> {
    const p = CP_PATHS;
    const flags: Record<string, string> = {
        kubeconfig: p.controllerManagerKubeconfig,
        "authentication-kubeconfig": p.controllerManagerKubeconfig,
        "authorization-kubeconfig": p.controllerManagerKubeconfig,
        "bind-address": "127.0.0.1",
        "allocate-node-cidrs": "true",
        "cluster-cidr": plan.podCidr,
        "node-cidr-mask-size": String(plan.nodeCidrMaskSize),
        "service-cluster-ip-range": plan.serviceCidr,
        "cluster-signing-cert-file": p.caCert,
        "cluster-signing-key-file": p.caKey,
        "cluster-signing-duration": `${plan.csrSigningHours}h`,
        "root-ca-file": p.caCert,
        "service-account-private-key-file": p.serviceAccountKey,
        "use-service-account-credentials": "true",
        "leader-elect": "true",
        controllers: "*,bootstrapsigner,tokencleaner",
        "requestheader-client-ca-file": p.frontProxyCaCert,
        "client-ca-file": p.caCert,
        "cluster-name": plan.clusterName,
    };
    return { ...flags, ...plan.extraFlags.controllerManager };
}

/** kube-controller-manager.env: {@link CONTROLLER_MANAGER_ARGS_VAR} holding the flags. */
export function renderControllerManagerEnv(flags: Record<string, string>): string {
    return renderFlagsEnv(CONTROLLER_MANAGER_ARGS_VAR, flags);
}
