import type { ConnectionArgs, Host } from "../host/connection";
import type { SshCredentials } from "./load";
import type { ClusterSpec, HostSpec, Role } from "./schema";

/** The spec's hosts as components take them: SSH connection (bastion, pinned host key) and sudo resolved. */
export function clusterHosts(spec: ClusterSpec, credentials: SshCredentials): Host[] {
    const ssh = spec.ssh;
    const auth = {
        ...(credentials.privateKey !== undefined ? { privateKey: credentials.privateKey } : {}),
        ...(credentials.agentSocketPath !== undefined ? { agentSocketPath: credentials.agentSocketPath } : {}),
    };
    const proxy = ssh.bastion && {
        host: ssh.bastion.address,
        port: ssh.bastion.port,
        user: ssh.bastion.user ?? ssh.user,
        ...auth,
        ...(ssh.bastion.hostKey ? { hostKey: ssh.bastion.hostKey } : {}),
    };
    return spec.hosts.map((h) => {
        const user = h.sshUser ?? ssh.user;
        const connection: ConnectionArgs = {
            host: h.address,
            port: h.sshPort ?? ssh.port,
            user,
            ...auth,
            ...(h.hostKey ? { hostKey: h.hostKey } : {}),
            ...(proxy ? { proxy } : {}),
        };
        return { name: h.name, address: h.address, connection, sudo: ssh.sudo ?? user !== "root" };
    });
}

/** The hosts holding a role, in spec order. */
export function hostsWithRole(spec: ClusterSpec, role: Role): HostSpec[] {
    return spec.hosts.filter((h) => h.roles.includes(role));
}

/** Whether a host runs a kubelet: a worker, or a control-plane host when `controlPlane.registerNodes` is on. */
export function isNodeHost(spec: Pick<ClusterSpec, "controlPlane">, host: Pick<HostSpec, "roles">): boolean {
    return host.roles.includes("worker") || (spec.controlPlane.registerNodes && host.roles.includes("control-plane"));
}

/** The hosts running a kubelet (WorkerNode), in spec order. */
export function nodeHosts(spec: Pick<ClusterSpec, "hosts" | "controlPlane">): HostSpec[] {
    return spec.hosts.filter((h) => isNodeHost(spec, h));
}

/**
 * Whether flannel runs on a host (its CNI network; flanneld under systemd): every kubelet's host,
 * and in mode systemd-etcd the control-plane hosts too, whose apiservers then reach pods (the kube
 * subnet manager needs a Node, which a control plane that does not register one lacks). None in mode none.
 */
export function isFlannelHost(spec: Pick<ClusterSpec, "controlPlane" | "flannel">, host: Pick<HostSpec, "roles">): boolean {
    if (spec.flannel.mode === "none") return false;
    return isNodeHost(spec, host) || (spec.flannel.mode === "systemd-etcd" && host.roles.includes("control-plane"));
}

/** The hosts flannel runs on, in spec order. */
export function flannelHosts(spec: ClusterSpec): HostSpec[] {
    return spec.hosts.filter((h) => isFlannelHost(spec, h));
}

/**
 * Where clients and kubelets reach the apiservers: the VIP and lb port when a load balancer is
 * configured, else the first control-plane host on the apiserver port.
 */
export function apiserverEndpoint(spec: ClusterSpec): { host: string; port: number; url: string } {
    const lb = spec.loadBalancer;
    const host = lb ? lb.vip : hostsWithRole(spec, "control-plane")[0].address;
    const port = lb ? lb.port : spec.network.apiserverPort;
    return { host, port, url: `https://${host}:${port}` };
}
