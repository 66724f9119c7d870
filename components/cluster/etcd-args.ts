import type { Host } from "../host";
import type { CaKeyPair } from "../pki";
import type { EtcdClusterArgs } from "../etcd";
import { etcdReleaseFile } from "../cluster-spec/artifacts";
import { hostsWithRole } from "../cluster-spec/hosts";
import type { ClusterSpec } from "../cluster-spec/schema";

/**
 * The etcd cluster's Args from the spec, one source for its host declarations and its
 * deployment. The release is the spec's resolved file (mirror, local path, checksum); etcd
 * publishes sha256 sums, so that is the file's checksum by construction.
 */
export function etcdArgs(spec: ClusterSpec, hosts: Map<string, Host>, extra: Pick<EtcdClusterArgs, "installed"> & { ca?: CaKeyPair } = {}): EtcdClusterArgs {
    const file = etcdReleaseFile(spec);
    const members = hostsWithRole(spec, "etcd").map((h) => hosts.get(h.name)!);
    return {
        members,
        release: { version: file.version, url: file.url, localPath: file.localPath, sha256: file.checksum.digest, arch: spec.arch },
        ...extra,
        initialMembers: spec.etcd.initialMembers,
        backup: spec.etcd.backup,
        keyAlgorithm: spec.pki.keyAlgorithm,
        network: spec.network.hostSubnets.length === 1 ? spec.network.hostSubnets[0] : undefined,
        certificateValidityHours: spec.pki.certValidityHours,
        certificateRotation: Object.fromEntries(members.map((h) => [h.name, String(spec.pki.rotation)])),
        clientCertificateRotation: String(spec.pki.rotation),
    };
}
