import type { ControlPlaneArgs } from "../control-plane";
import type { Host } from "../host";
import { apiserverEndpoint, hostsWithRole } from "../cluster-spec/hosts";
import type { ClusterSpec } from "../cluster-spec/schema";

/** The spec's side of the control plane's Args (pure): everything but the hosts' installs, the authorities and etcd, which exist only while deploying. */
export function controlPlaneArgs(spec: ClusterSpec, hosts: Map<string, Host>): Omit<ControlPlaneArgs, "etcd" | "installed" | "ca" | "frontProxyCa"> {
    const cp = spec.controlPlane;
    const endpoint = apiserverEndpoint(spec);
    return {
        members: hostsWithRole(spec, "control-plane").map((h) => hosts.get(h.name)!),
        clusterName: spec.name,
        version: spec.binaries.kubernetes.version,
        endpoint: { host: endpoint.host, port: endpoint.port },
        apiserverPort: spec.network.apiserverPort,
        serviceCidr: spec.network.serviceCidr,
        podCidr: spec.network.podCidr,
        // flannel's subnet per node is the node's pod CIDR: one setting for both.
        nodeCidrMaskSize: spec.flannel.subnetLen,
        clusterDomain: spec.network.clusterDomain,
        extraSans: cp.extraSans,
        keyAlgorithm: spec.pki.keyAlgorithm,
        certificateValidityHours: spec.pki.certValidityHours,
        certificateRotation: String(spec.pki.rotation),
        csrSigningHours: cp.csrSigningHours,
        encryption: { keyNames: cp.encryptionKeys },
        audit: cp.audit,
        bootstrapToken: { ttlHours: cp.bootstrapToken.ttlHours, rotation: String(cp.bootstrapToken.rotation) },
        extraFlags: cp.extraFlags,
    };
}
