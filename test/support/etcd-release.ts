import { join } from "node:path";
import { familyPath, publishedDigest, tool, versions } from "./toolchain";

/** The etcd release the toolchain built from Go modules, laid out as etcd publishes it. */
export interface EtcdRelease {
    /** The folder holding the tarball and its SHA256SUMS: serve it, or give it as `localPath`. */
    dir: string;
    /** The tarball's file name, e.g. "etcd-v3.6.16-linux-amd64.tar.gz". */
    file: string;
    version: string;
    /** From the published SHA256SUMS, as an operator would copy it into a stack. */
    sha256: string;
    /** The built etcdctl, for checks from this machine. */
    etcdctl: string;
    /** The built etcd, for tests that start it directly. */
    etcd: string;
}

/** The etcd release pinned in toolchain/versions.env (built by `npm test`, or `npm run toolchain`). */
export function builtEtcdRelease(): EtcdRelease {
    const version = versions.ETCD;
    const dir = join(familyPath("etcd"), "release", "etcd", `v${version}`);
    const file = `etcd-v${version}-linux-amd64.tar.gz`;
    return { dir, file, version, sha256: publishedDigest(join(dir, "SHA256SUMS"), file), etcdctl: tool("etcd", "etcdctl"), etcd: tool("etcd", "etcd") };
}
