/**
 * Where an etcd member's things live on its host, and the small text pieces every renderer shares
 * (URLs, etcdctl invocations). The ETCD_* / ETCDCTL_* names used are valid for etcd 3.4 to 3.6.
 */
import { shellQuote } from "../host/connection";
import { DEFAULT_BIN_DIR } from "../host/binary-release";

/** Where the component puts things on a member host. */
export const ETCD_PATHS = {
    /** Member identity, URLs, TLS, data dir, extra flags: a change restarts the member. */
    memberEnv: "/etc/etcd/etcd.env",
    /** initial-cluster settings: read only at a member's first start, so a change restarts nothing. */
    bootstrapEnv: "/etc/etcd/initial-cluster.env",
    /** etcdctl's TLS settings, for the component's scripts and for operators (`set -a; . FILE`). */
    etcdctlEnv: "/etc/etcd/etcdctl.env",
    caCert: "/etc/etcd/pki/ca.pem",
    serverCert: "/etc/etcd/pki/server.pem",
    serverKey: "/etc/etcd/pki/server-key.pem",
    peerCert: "/etc/etcd/pki/peer.pem",
    peerKey: "/etc/etcd/pki/peer-key.pem",
    clientCert: "/etc/etcd/pki/client.pem",
    clientKey: "/etc/etcd/pki/client-key.pem",
    backupScript: "/usr/local/sbin/etcd-backup",
    /** Where the binaries are linked (BinaryRelease's default): the scripts find etcdctl there on PATH. */
    binDir: DEFAULT_BIN_DIR,
} as const;

export const ETCD_UNIT = "etcd.service";
export const BACKUP_SERVICE = "etcd-backup.service";
export const BACKUP_TIMER = "etcd-backup.timer";

/** One member as the renderers see it. */
export interface MemberEndpoint {
    /** Member name (the host name). */
    name: string;
    /** The address peers and clients reach it on. */
    address: string;
}

/** Formats an address for a URL (IPv6 in brackets). */
export function urlHost(address: string): string {
    return address.includes(":") ? `[${address}]` : address;
}

/** A member's https URL on a port: its client URL on the client port, its peer URL on the peer port. */
export function memberUrl(address: string, port: number): string {
    return `https://${urlHost(address)}:${port}`;
}

/** The local client endpoint every member also listens on (its server certificate names 127.0.0.1). */
export function localClientUrl(port: number): string {
    return `https://127.0.0.1:${port}`;
}

/** Loads etcdctl's TLS settings into a script. */
export const LOAD_ETCDCTL_ENV = `set -a; . ${ETCD_PATHS.etcdctlEnv}; set +a`;

/**
 * etcdctl against endpoints given as one shell word (quoted text or a variable), with bounded
 * timeouts so checks and steps fail instead of hanging.
 */
export function etcdctlWord(endpointsWord: string): string {
    return `etcdctl --endpoints=${endpointsWord} --dial-timeout=3s --command-timeout=10s`;
}

/** etcdctl against a fixed list of endpoints ("https://a:2379,https://b:2379"). */
export function etcdctl(endpoints: string): string {
    return etcdctlWord(shellQuote(endpoints));
}
