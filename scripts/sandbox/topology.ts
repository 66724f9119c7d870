// The sandbox's clusters (pure): which hosts with which roles, and the stack spec for them once
// the keeper has started them and published the mirror.
import type { ImageRecord } from "../../test/support/node-runtime";
import { testbedNodes } from "../../test/support/testbed-nodes";
import type { SandboxOptions } from "./options";

type Role = "etcd" | "control-plane" | "worker" | "lb";

/** A cluster's hosts and their roles, in address order. */
export interface Topology {
    summary: string;
    hosts: { name: string; roles: Role[] }[];
}

/** The first is the default. */
export const TOPOLOGIES = {
    seed001: {
        summary: "seed 001's: lb01+lb02 (nginx, keepalived, a VIP), master01+master02, etcd on master01/node01/node02, workers node01+node02",
        hosts: [
            { name: "master01", roles: ["etcd", "control-plane"] },
            { name: "master02", roles: ["control-plane"] },
            { name: "node01", roles: ["etcd", "worker"] },
            { name: "node02", roles: ["etcd", "worker"] },
            { name: "lb01", roles: ["lb"] },
            { name: "lb02", roles: ["lb"] },
        ],
    },
    small: {
        summary: "cp1 (etcd, the control plane, a tainted node) and the worker w1; no load balancer",
        hosts: [
            { name: "cp1", roles: ["etcd", "control-plane"] },
            { name: "w1", roles: ["worker"] },
        ],
    },
} satisfies Record<string, Topology>;

export type TopologyName = keyof typeof TOPOLOGIES;

/** A started host, as the keeper records it. */
export interface SandboxHost {
    name: string;
    address: string;
    hostKey: string;
}

/** What the keeper started: the hosts and their network, the mirror, the SSH key. */
export interface SandboxHosts {
    hosts: SandboxHost[];
    subnet: string;
    podCidr: string;
    serviceCidr: string;
    /** A free address of the subnet for the load balancer's VIP. */
    vip: string;
    privateKeyPath: string;
}

/**
 * The `k8s-binary:cluster` spec of a sandbox: the topology's hosts at their addresses with their
 * host keys pinned, the releases and images of the mirror, and the settings these hosts need.
 */
export function sandboxSpec(
    topology: Topology,
    options: Omit<SandboxOptions, "topology">,
    started: SandboxHosts,
    binaries: Record<string, unknown>,
    images: readonly ImageRecord[],
    mirrorUrl: string,
): Record<string, unknown> {
    const hosts = topology.hosts.map(({ name, roles }) => {
        const host = started.hosts.find((h) => h.name === name);
        if (!host) throw new Error(`the started hosts lack ${name} (${topology.summary})`);
        return { name, address: host.address, hostKey: host.hostKey, roles };
    });
    const hasLb = hosts.some((h) => h.roles.includes("lb"));
    return {
        name: "sandbox",
        hosts,
        ssh: { user: "root", privateKeyPath: started.privateKeyPath },
        binaries,
        network: { hostSubnets: [started.subnet], podCidr: started.podCidr, serviceCidr: started.serviceCidr },
        // The hosts have no default route: flanneld is told its interface.
        flannel: { mode: options.flannel, backend: options.backend, interface: "eth0" },
        ...(hasLb ? { loadBalancer: { vip: started.vip, interface: "eth0", virtualRouterId: 51 } } : {}),
        // What the hosts (network namespaces on this machine) need; images imported, as nothing is pulled.
        nodes: testbedNodes(
            images.filter((i) => options.flannel === "daemonset" || !/\/flannel(-cni-plugin)?:/.test(i.ref)),
            mirrorUrl,
        ),
    };
}
