/** Readiness checks run on control-plane hosts (bash snippets for WaitFor). */
import { CONTROLLER_MANAGER_PORT, SCHEDULER_PORT } from "./needs";

/**
 * The local kube-apiserver answers /readyz with 200 (etcd reachable, post-start hooks done).
 * Anonymous requests may read /readyz by default (system:public-info-viewer), so the command
 * holds no credentials; -k because it runs before anything is trusted on the host.
 */
export function renderApiserverReadyCheck(port: number): string {
    return `curl -fsSk --max-time 5 https://127.0.0.1:${port}/readyz`;
}

/**
 * The local kube-controller-manager ({@link CONTROLLER_MANAGER_PORT}) or kube-scheduler ({@link SCHEDULER_PORT}) answers /healthz, which
 * both serve without authentication (their default --authorization-always-allow-paths).
 */
export function renderControllerReadyCheck(port: number): string {
    return `curl -fsSk --max-time 5 https://127.0.0.1:${port}/healthz`;
}

/** The checks of the two controllers on their fixed ports. */
export const CONTROLLER_READY_CHECKS = {
    controllerManager: renderControllerReadyCheck(CONTROLLER_MANAGER_PORT),
    scheduler: renderControllerReadyCheck(SCHEDULER_PORT),
} as const;

/**
 * The apiservers answer /readyz through the endpoint clients use (the load balancer's VIP), run
 * from a control-plane host: what the in-cluster objects and every kubeconfig wait for.
 */
export function renderEndpointReadyCheck(url: string): string {
    return `curl -fsSk --max-time 5 ${url}/readyz`;
}
