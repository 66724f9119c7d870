import type { Host } from "../host";
import type { CaKeyPair } from "../pki";
import type { EtcdClusterArgs } from "../etcd";
import { etcdReleaseFile } from "../cluster-spec/artifacts";
import { hostsWithRole } from "../cluster-spec/hosts";
import type { Arch, ClusterSpec } from "../cluster-spec/schema";

/**
 * The etcd cluster's Args from the spec, one source for its host declarations and its
 * deployment. The release is the spec's resolved file for `arch` (mirror, local path, checksum);
 * etcd publishes sha256 sums, so that is the file's checksum by construction. A host's
 * declaration passes the host's arch; the deployment hands every member its own host's install
 * (`installed`), so there the release only names the version, which is the same for every arch.
 */
export function etcdArgs(
    spec: ClusterSpec,
    hosts: Map<string, Host>,
    extra: Pick<EtcdClusterArgs, "installed"> & { ca?: CaKeyPair } = {},
    arch: Arch = spec.arch,
): EtcdClusterArgs {
    const file = etcdReleaseFile(spec, arch);
    const members = hostsWithRole(spec, "etcd").map((h) => hosts.get(h.name)!);
    return {
        members,
        release: { version: file.version, url: file.url, localPath: file.localPath, sha256: file.checksum.digest, arch },
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
