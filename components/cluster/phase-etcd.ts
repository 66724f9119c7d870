import type * as pulumi from "@pulumi/pulumi";
import { EtcdCluster } from "../etcd";
import type { Host, HostPlan } from "../host";
import { CertificateAuthority } from "../pki";
import type { ReleaseFile } from "../spec/artifacts";
import { hostsWithRole } from "../spec/hosts";
import type { ClusterSpec } from "../spec/schema";

/** Phase 2: the etcd cluster on the etcd hosts, from the release their host plans installed. */
export function deployEtcd(parent: pulumi.Resource, name: string, spec: ClusterSpec, hosts: Map<string, Host>, plans: Map<string, HostPlan>, release: ReleaseFile) {
    const members = hostsWithRole(spec, "etcd").map((h) => hosts.get(h.name)!);
    const ca = new CertificateAuthority(`${name}-etcd-ca`, {
        commonName: `${spec.name}-etcd-ca`,
        algorithm: spec.pki.keyAlgorithm,
        validityHours: spec.pki.caValidityHours,
        rotation: String(spec.pki.caRotation),
    }, { parent });
    const etcd = new EtcdCluster(`${name}-etcd`, {
        members,
        installed: Object.fromEntries(members.map((m) => [m.name, plans.get(m.name)!.release(release.name, release.version)])),
        initialMembers: spec.etcd.initialMembers,
        backup: spec.etcd.backup,
        ca,
        keyAlgorithm: spec.pki.keyAlgorithm,
        network: spec.network.hostSubnets.length === 1 ? spec.network.hostSubnets[0] : undefined,
        certificateValidityHours: spec.pki.certValidityHours,
        certificateRotation: Object.fromEntries(members.map((h) => [h.name, String(spec.pki.rotation)])),
        clientCertificateRotation: String(spec.pki.rotation),
    }, { parent, dependsOn: members.map((m) => plans.get(m.name)!.prep.ready) });
    return { ca, etcd };
}
