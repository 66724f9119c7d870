import type { Host } from "../host/connection";
import type { InstalledRelease } from "../host/binary-release";
import type { CaKeyPair, KeyAlgorithm } from "../pki";

/** etcd version installed when `release.version` is not given. */
export const ETCD_DEFAULT_VERSION = "3.5.17";
/** CPU architecture of the default release URL. */
export const ETCD_DEFAULT_ARCH = "amd64";
/** Port of the client API. */
export const ETCD_CLIENT_PORT = 2379;
/** Port of the peer API. */
export const ETCD_PEER_PORT = 2380;
/** The members' data directory. */
export const ETCD_DATA_DIR = "/var/lib/etcd";
/** Snapshot schedule: every six hours. */
export const ETCD_BACKUP_SCHEDULE = "*-*-* 00/6:00:00";
/** Snapshots kept per member. */
export const ETCD_BACKUP_RETENTION = 8;
/** Where members keep their snapshots. */
export const ETCD_BACKUP_DIR = "/var/backups/etcd";
/** How long one health wait may take, in seconds. */
export const ETCD_HEALTH_TIMEOUT_SECONDS = 180;

/** The upstream release tarball of a version for linux-<arch>. */
export function etcdReleaseUrl(version: string, arch: string): string {
    return `https://github.com/etcd-io/etcd/releases/download/v${version}/etcd-v${version}-linux-${arch}.tar.gz`;
}

/** Where the etcd binaries come from. */
export interface EtcdReleaseArgs {
    /** etcd version installed on every member. Default: {@link ETCD_DEFAULT_VERSION}. */
    version?: string;
    /** CPU architecture of the default URL's tarball ("amd64", "arm64", …). Ignored with `url` or `localPath`. Default: {@link ETCD_DEFAULT_ARCH}. */
    arch?: string;
    /** URL of the release tarball, fetched on each member. Default: the GitHub release of `version` for linux-`arch` ({@link etcdReleaseUrl}). */
    url?: string;
    /** Path of the tarball on the machine running Pulumi (air-gapped installs), uploaded to each member instead of `url`. Default: unset. */
    localPath?: string;
    /** sha256 (hex) of the tarball, from the release's SHA256SUMS: checked on each host before anything is unpacked. Mandatory. */
    sha256: string;
}

/** Scheduled snapshots on every member. */
export interface EtcdBackupArgs {
    /** Install the backup timer. Default: true. */
    enabled?: boolean;
    /** When to take a snapshot, as a systemd OnCalendar expression. Default: {@link ETCD_BACKUP_SCHEDULE} (every six hours). */
    schedule?: string;
    /** How many snapshots each member keeps; older ones are deleted after a successful backup. Default: {@link ETCD_BACKUP_RETENTION}. */
    retention?: number;
    /** Directory of the snapshots on each member (mode 0700). Default: {@link ETCD_BACKUP_DIR}. */
    directory?: string;
}

/** Restoring a snapshot into a new cluster (see docs/etcd-backup-restore.md). */
export interface EtcdRestoreArgs {
    /**
     * Path of the snapshot file on the host of every initial member (copy it there first). Members
     * whose data dir is empty restore it before their first start; members holding data are left alone.
     */
    snapshotPath: string;
}

/** Arguments of {@link EtcdCluster}. */
export interface EtcdClusterArgs {
    /** The member hosts, each with its SSH connection. Host names become member names and certificate SANs. An odd count is expected. */
    members: Host[];
    /**
     * Names of the members that start the cluster together (initial-cluster-state=new) or that
     * already run it. Every other member joins the running cluster, one at a time, through
     * `etcdctl member add`. Default: all members (a new cluster). To grow a running cluster, list
     * the members it has now and add the new hosts to `members` only.
     */
    initialMembers?: string[];
    /** The etcd certificate authority (certificate and key PEM). Default: a new authority created by the component, with `keyAlgorithm`. */
    ca?: CaKeyPair;
    /** Key algorithm of every key the component issues: member server and peer keys, the client key, and its own CA's. Default: "ECDSA" (P-256). */
    keyAlgorithm?: KeyAlgorithm;
    /** The etcd release. With `installed`, it only names the version the members run (no install). */
    release: EtcdReleaseArgs;
    /**
     * The etcd release already installed on each member's host, by member name (e.g. the cluster's
     * one install per host, from {@link etcdReleaseNeed}). The component then installs nothing: it
     * starts after each handle's `command` and restarts a member when its `checksum` changes.
     * Default: unset (the component installs its own BinaryRelease on every member).
     */
    installed?: Record<string, InstalledRelease>;
    /** The members' data directory (mode 0700). Default: {@link ETCD_DATA_DIR}. */
    dataDir?: string;
    /** Port of the client API (TLS, client certificates required). Default: {@link ETCD_CLIENT_PORT}. */
    clientPort?: number;
    /** Port of the peer API (TLS, client certificates required). Default: {@link ETCD_PEER_PORT}. */
    peerPort?: number;
    /** Extra etcd flags by name without dashes, e.g. { "auto-compaction-retention": "8" }; written as ETCD_* variables. Default: none. */
    extraFlags?: Record<string, string>;
    /** initial-cluster-token of a new cluster. Default: the component's name. */
    clusterToken?: string;
    /** CIDR of the hosts' network: a member outside it is an error. Default: unchecked. */
    network?: string;
    /** Extra SANs (DNS names or IPs) on every member's server certificate, e.g. a load-balanced name. Default: none. */
    extraServerSans?: string[];
    /** Per-member rotation lever: change a member's value to re-issue its server and peer certificates (restarts that member only). Default: none. */
    certificateRotation?: Record<string, string>;
    /** Rotation lever of the client certificate: change it to re-issue the certificate (no member restarts). Default: unset. */
    clientCertificateRotation?: string;
    /** Lifetime of the member and client certificates, in hours. Default: 8760 (one year). */
    certificateValidityHours?: number;
    /** Scheduled snapshot backups on every member. Default: enabled with the defaults of {@link EtcdBackupArgs}. */
    backup?: EtcdBackupArgs;
    /** Build the cluster from a snapshot (disaster recovery). Default: unset (start empty). */
    restore?: EtcdRestoreArgs;
    /** How long a health wait (after a start, a restart or a join) may take, in seconds. Default: {@link ETCD_HEALTH_TIMEOUT_SECONDS}. */
    healthTimeoutSeconds?: number;
}

/** What an etcd client (an apiserver, etcdctl) needs, handed on as one value. */
export interface EtcdClientBundle {
    /** Client URLs of the members, in member order. */
    endpoints: string[];
    /** The CA certificate the members are verified with (PEM). */
    caCertPem: string;
    /** The client certificate (PEM); a credential together with its key. */
    clientCertPem: string;
    /** The client certificate's private key (PEM). */
    clientKeyPem: string;
}
