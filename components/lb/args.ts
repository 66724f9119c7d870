import type { Host } from "../host/connection";

/** Defaults of the optional Args, stated once; each field's JSDoc names its value. */
export const LB_DEFAULTS = {
    listenPort: 6443,
    maxFails: 2,
    failTimeoutSeconds: 10,
    connectTimeoutSeconds: 2,
    unicast: false,
    preempt: true,
    advertIntervalSeconds: 1,
    installPackages: true,
    /** Priority of the first host in `hosts`. */
    firstPriority: 150,
    /** How much lower each next host's default priority is. */
    priorityStep: 10,
} as const;

/** One load-balancer host and its VRRP settings. */
export interface LBHostArgs {
    /** The machine nginx and keepalived are installed on (reached over SSH). */
    host: Host;
    /**
     * VRRP priority (1–254, distinct across hosts); the highest is the MASTER. Default: derived
     * from the position in `hosts`: 150 for the first host, 10 less for each next one.
     */
    priority?: number;
    /** Network interface that carries the VIP on this host. Default: the component's `interface`. */
    interface?: string;
}

/**
 * Arguments of `NginxKeepalivedLB`. The topology fields are plain values, not `Input`s, so that
 * every check (addresses, priorities, port collisions) runs before any child resource is declared.
 */
export interface NginxKeepalivedLBArgs {
    /** Two or more LB hosts. Default priorities follow this order (the first one is the MASTER). */
    hosts: LBHostArgs[];
    /** The virtual IPv4 address kubeconfigs and kubelets use; must be unused on the host network. */
    vip: string;
    /** Interface that carries the VIP on every LB host (override per host with `LBHostArgs.interface`). */
    interface: string;
    /** VRRP virtual router id (1–255), unique among VRRP routers on the same network segment. */
    virtualRouterId: number;
    /** The apiservers as `address:port` (IPv4), e.g. `10.0.0.11:6443`. At least one; no duplicates. */
    backends: string[];
    /**
     * TCP port nginx listens on, on every address of each LB host. Default: 6443. It must not be
     * the port of an apiserver that runs on an LB host itself (both would bind it).
     */
    listenPort?: number;
    /** nginx `max_fails`: failed connects within `failTimeoutSeconds` that mark a backend down. Default: 2. 0 disables marking. */
    maxFails?: number;
    /** nginx `fail_timeout`: the window counting failures, and how long a failed backend is skipped. Default: 10 (seconds). */
    failTimeoutSeconds?: number;
    /** nginx `proxy_connect_timeout`: how long to wait for a backend before trying the next one. Default: 2 (seconds). */
    connectTimeoutSeconds?: number;
    /**
     * Send VRRP adverts by unicast to the other LB hosts' `address` instead of multicast
     * 224.0.0.18, for networks that drop multicast (many clouds). Default: false.
     */
    unicast?: boolean;
    /**
     * Preemption: a recovered higher-priority host takes the VIP back. With false (`nopreempt`)
     * the VIP stays where it is until that host fails, saving one move. Default: true.
     */
    preempt?: boolean;
    /** VRRP advertisement interval; a BACKUP declares the MASTER dead after about 3 of them. Default: 1 (second). */
    advertIntervalSeconds?: number;
    /**
     * Whether each LB host installs the packages it declares (`lbHostNeeds(args)[host].packages`:
     * nginx with its stream module, keepalived) in a step of its own. Default: true, so the
     * component works standalone. A caller that prepares its hosts from the merged declarations
     * of every component (as `KubernetesCluster` does with `HostPrep`) passes false and makes the
     * LB depend on that preparation: one package step per host, whatever runs there. A flag
     * rather than a "packages ready" resource, because ordering already travels in `dependsOn`.
     */
    installPackages?: boolean;
}

/**
 * The load balancer's endpoint, handed to the components that reach the apiservers through it
 * (kubeconfigs, kubelets) instead of being rebuilt from the spec.
 */
export interface LBEndpoint {
    /** The VIP. */
    host: string;
    /** The port nginx listens on. */
    port: number;
    /** `https://<host>:<port>`. */
    url: string;
}
