/** Readiness checks run on control-plane hosts (bash snippets for WaitFor). */
import { shellQuote } from "../host/connection";
import { CP_PATHS } from "./layout";
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

/**
 * The local apiserver is ready, and the load balancer at `host:port` sends connections to it
 * again: the certificate served through the endpoint is this host's own (each host has its own
 * serving certificate). A load balancer that marked the apiserver down while it restarted
 * re-admits it only after its fail timeout; until then the next host must not go down, or no
 * apiserver is left to it. A few tries per check, as connections rotate over the apiservers.
 */
export function renderApiserverBackInRotationCheck(port: number, endpoint: { host: string; port: number }): string {
    const target = shellQuote(`${endpoint.host}:${endpoint.port}`);
    return [
        renderApiserverReadyCheck(port) + " > /dev/null",
        `mine=$(openssl x509 -noout -fingerprint -sha256 -in ${CP_PATHS.apiserverCert})`,
        `for try in 1 2 3 4 5 6; do`,
        `  served=$(timeout 5 openssl s_client -connect ${target} < /dev/null 2> /dev/null | openssl x509 -noout -fingerprint -sha256 2> /dev/null) || true`,
        `  [ "$served" = "$mine" ] && exit 0`,
        `done`,
        `echo "ready here, but ${endpoint.host}:${endpoint.port} has not sent a connection to this apiserver yet"`,
        `exit 1`,
    ].join("\n");
}
