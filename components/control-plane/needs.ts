import type { HostNeeds, ReleaseNeed } from "../host/needs";

/** Secure port of kube-apiserver unless a stack moves it. */
export const DEFAULT_APISERVER_PORT = 6443;
/** Secure port of kube-controller-manager. */
export const CONTROLLER_MANAGER_PORT = 10257;
/** Secure port of kube-scheduler. */
export const SCHEDULER_PORT = 10259;

/** What a control-plane host runs, as the per-host plan needs it. */
export interface ControlPlaneNeedsArgs {
    /** Port kube-apiserver listens on. */
    apiserverPort: number;
    /** Config path of that port, where a clash is reported. Default: "apiserverPort". */
    apiserverPortPath?: string;
    /** The releases of kube-apiserver, kube-controller-manager, kube-scheduler (and kubectl). Default: none (until ControlPlane runs them). */
    releases?: ReleaseNeed[];
}

/** A control-plane host's needs: the apiserver and the controllers' secure ports, openssl and iptables, the control-plane binaries (pure). */
export function controlPlaneHostNeeds(args: ControlPlaneNeedsArgs): Partial<HostNeeds> {
    return {
        ports: [
            { protocol: "tcp", port: args.apiserverPort, what: "kube-apiserver", path: args.apiserverPortPath ?? "apiserverPort" },
            { protocol: "tcp", port: CONTROLLER_MANAGER_PORT, what: "kube-controller-manager" },
            { protocol: "tcp", port: SCHEDULER_PORT, what: "kube-scheduler" },
        ],
        // The rolling restart reads which apiserver the load balancer serves (openssl s_client) and
        // refuses new connections to the one restarting (iptables).
        packages: ["iptables", "openssl"],
        releases: args.releases ?? [],
    };
}
