/** What etcd needs on a member's host, declared for the cluster's one install and one firewall per host. */
import type { HostNeeds, ReleaseNeed } from "../host/needs";
import { ETCD_CLIENT_PORT, ETCD_DEFAULT_ARCH, ETCD_DEFAULT_VERSION, ETCD_PEER_PORT, etcdReleaseUrl, type EtcdClusterArgs, type EtcdReleaseArgs } from "./args";
import { minorVersion } from "./plan";

/** The etcd release a member runs, as a need: etcd and etcdctl, and etcdutl from 3.5 on (offline snapshot restore and status). */
export function etcdReleaseNeed(release: EtcdReleaseArgs): ReleaseNeed {
    const version = release.version ?? ETCD_DEFAULT_VERSION;
    const [major, minor] = minorVersion(version);
    const withEtcdutl = major > 3 || (major === 3 && minor >= 5);
    return {
        name: "etcd",
        version,
        url: release.localPath === undefined ? (release.url ?? etcdReleaseUrl(version, release.arch ?? ETCD_DEFAULT_ARCH)) : undefined,
        localPath: release.localPath,
        checksum: { algorithm: "sha256", digest: release.sha256.toLowerCase() },
        archive: "tar.gz",
        binaries: withEtcdutl ? ["etcd", "etcdctl", "etcdutl"] : ["etcd", "etcdctl"],
    };
}

/** Everything a member needs on its host: the client and peer ports open, and the release. */
export function etcdHostNeeds(args: Pick<EtcdClusterArgs, "release" | "clientPort" | "peerPort">): Partial<HostNeeds> {
    return {
        ports: [
            { protocol: "tcp", port: args.clientPort ?? ETCD_CLIENT_PORT, what: "etcd clients" },
            { protocol: "tcp", port: args.peerPort ?? ETCD_PEER_PORT, what: "etcd peers" },
        ],
        releases: [etcdReleaseNeed(args.release)],
    };
}
