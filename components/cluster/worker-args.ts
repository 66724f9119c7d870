import * as path from "path";
import type { Host } from "../host";
import type { WorkerNodeArgs } from "../worker";
import { apiserverEndpoint, nodeHosts } from "../cluster-spec/hosts";
import type { ClusterSpec, NodeImageSpec } from "../cluster-spec/schema";

/** The spec's side of one node's Args: everything but the installs, the CA and the token, which exist only while deploying. */
export type SpecWorkerArgs = Omit<WorkerNodeArgs, "installed" | "release" | "ca" | "bootstrapToken">;

/**
 * The `index`-th block of `/prefix` inside `cidr` (pure), e.g. the 2nd /24 of 10.244.0.0/16 is
 * 10.244.2.0/24; undefined when the range holds fewer blocks.
 */
export function nthSubnet(cidr: string, prefix: number, index: number): string | undefined {
    const [base, bits] = cidr.split("/");
    const outer = Number(bits);
    if (prefix < outer || index < 0 || index >= 2 ** (prefix - outer)) return undefined;
    const start = base.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    const n = start + index * 2 ** (32 - prefix);
    return `${[24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join(".")}/${prefix}`;
}

/** Where a node fetches (or uploads) an image archive from. */
export function nodeImageSource(image: NodeImageSpec): { url?: string; localPath?: string } {
    return image.localPath !== undefined
        ? { localPath: path.join(image.localPath, image.file) }
        : { url: `${image.baseUrl!.replace(/\/+$/, "")}/${image.file}` };
}

/**
 * Every node's Args from the spec (pure), by host name in spec order: the workers, and the
 * control-plane hosts (tainted) when `controlPlane.registerNodes` is on. Without flannel (mode
 * none), each node's plain bridge network takes the node's index-th block of `flannel.subnetLen`
 * in the pod range: disjoint per node, as the bridge needs (the controller-manager allocates its
 * own node CIDRs from the same range for the Node objects); with flannel, flannel writes the
 * node's CNI network on its Node's subnet.
 */
export function workerNodeArgs(spec: ClusterSpec, hosts: Map<string, Host>): Map<string, SpecWorkerArgs> {
    const endpoint = apiserverEndpoint(spec);
    const n = spec.nodes;
    const kubernetes = spec.binaries.kubernetesNode ?? spec.binaries.kubernetes;
    return new Map(
        nodeHosts(spec).map((h, i) => [
            h.name,
            {
                host: hosts.get(h.name)!,
                controlPlane: h.roles.includes("control-plane"),
                version: kubernetes.version,
                containerdVersion: spec.binaries.containerd?.version,
                endpoint: { host: endpoint.host, port: endpoint.port },
                clusterName: spec.name,
                podCidr: spec.network.podCidr,
                serviceCidr: spec.network.serviceCidr,
                clusterDns: spec.network.clusterDns,
                clusterDomain: spec.network.clusterDomain,
                ...(spec.flannel.mode === "none" ? { podSubnet: nthSubnet(spec.network.podCidr, spec.flannel.subnetLen, i) } : {}),
                sandboxImage: n.sandboxImage,
                maxPods: n.maxPods,
                cgroupV1: n.cgroupV1,
                restrictOomScoreAdj: n.restrictOomScoreAdj,
                proxy: { mode: spec.network.proxyMode, conntrackMaxPerCore: n.conntrackMaxPerCore },
                labels: h.labels,
                taints: h.taints,
                images: n.images.map((image) => ({ ref: image.ref, sha256: image.sha256, digest: image.digest, ...nodeImageSource(image) })),
                keyAlgorithm: spec.pki.keyAlgorithm,
                certificateValidityHours: spec.pki.certValidityHours,
                certificateRotation: String(spec.pki.rotation),
            },
        ]),
    );
}
