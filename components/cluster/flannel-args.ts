import type { FlannelEtcdArgs, FlannelNetworkArgs } from "../flannel";
import type { Host } from "../host";
import { memberUrl } from "../etcd/layout";
import { ETCD_CLIENT_PORT } from "../etcd/args";
import { apiserverEndpoint, flannelHosts, hostsWithRole } from "../cluster-spec/hosts";
import type { ClusterSpec } from "../cluster-spec/schema";

/** The spec's side of FlannelNetwork's Args: everything but the installs, the authorities and the provider, which exist only while deploying. */
export type SpecFlannelArgs = Omit<FlannelNetworkArgs, "installed" | "release" | "ca" | "etcd" | "provider"> & { etcd?: Omit<FlannelEtcdArgs, "ca"> };

/** Whether flanneld runs under systemd (from the releases the host plans install). */
export function flannelRunsUnderSystemd(spec: ClusterSpec): boolean {
    return spec.flannel.mode === "systemd-kube" || spec.flannel.mode === "systemd-etcd";
}

/**
 * FlannelNetwork's Args from the spec (pure); undefined in mode none. The pod range is the
 * controller-manager's cluster CIDR and `subnetLen` its `--node-cidr-mask-size` (control-plane-args
 * passes the same setting), so flannel's subnets are the nodes' pod CIDRs. flannel writes its
 * rules with nftables when kube-proxy does. systemd-etcd writes its network config from the first
 * etcd member.
 */
export function flannelArgs(spec: ClusterSpec, hosts: Map<string, Host>): SpecFlannelArgs | undefined {
    const f = spec.flannel;
    if (f.mode === "none") return undefined;
    const endpoint = apiserverEndpoint(spec);
    const etcdHosts = hostsWithRole(spec, "etcd");
    return {
        mode: f.mode,
        backend: f.backend,
        directRouting: f.directRouting,
        ipMasq: f.ipMasq,
        ...(f.mtu !== undefined ? { mtu: f.mtu } : {}),
        podCidr: spec.network.podCidr,
        subnetLen: f.subnetLen,
        ...(f.interface !== undefined ? { interface: f.interface } : {}),
        hostSubnets: spec.network.hostSubnets,
        nftables: spec.network.proxyMode === "nftables",
        nodes: flannelHosts(spec).map((h) => ({ host: hosts.get(h.name)! })),
        ...(f.mode === "systemd-kube" ? { endpoint: { host: endpoint.host, port: endpoint.port } } : {}),
        clusterName: spec.name,
        ...(f.mode === "systemd-etcd"
            ? {
                  etcd: { endpoints: etcdHosts.map((h) => memberUrl(h.address, ETCD_CLIENT_PORT)), configHost: hosts.get(etcdHosts[0].name)! },
                  etcdPrefix: f.etcdPrefix,
              }
            : {}),
        image: f.image,
        cniPluginImage: f.cniPluginImage,
        keyAlgorithm: spec.pki.keyAlgorithm,
        certificateValidityHours: spec.pki.certValidityHours,
        certificateRotation: String(spec.pki.rotation),
    };
}
