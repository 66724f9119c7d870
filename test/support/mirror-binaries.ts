// The `binaries` section of a testbed stack: the toolchain's releases, served from a mirror
// (makeMirror) at `base`, each pinned by the checksum file the mirror publishes beside it; etcd
// uploaded from the machine.
import { join } from "node:path";
import { builtEtcdRelease } from "./etcd-release";
import { publishedDigest, versions as V } from "./toolchain";

/**
 * Kubernetes (the server tarball; `kubernetes` picks one of the toolchain's two, default the
 * current), etcd, containerd, runc and the CNI plugins; with `flannel`, flanneld and its CNI plugin too.
 */
export function mirrorBinaries(
    mirror: string,
    base: string,
    { flannel = false, kubernetes = V.KUBERNETES }: { flannel?: boolean; kubernetes?: string } = {},
): Record<string, unknown> {
    const digest = (dir: string, file: string, checksumFile: string) => publishedDigest(join(mirror, dir, checksumFile), file);
    const etcd = builtEtcdRelease();
    const containerd = `containerd-${V.CONTAINERD}-linux-amd64.tar.gz`;
    const cniPlugins = `cni-plugins-linux-amd64-v${V.CNI_PLUGINS}.tgz`;
    const flanneld = `flannel-v${V.FLANNEL}-linux-amd64.tar.gz`;
    const flannelCni = `cni-plugin-flannel-linux-amd64-v${V.FLANNEL_CNI_PLUGIN}.tgz`;
    return {
        kubernetes: {
            version: kubernetes,
            baseUrl: `${base}/kubernetes`,
            serverTarball: {
                sha512: digest(`kubernetes/v${kubernetes}`, "kubernetes-server-linux-amd64.tar.gz", "kubernetes-server-linux-amd64.tar.gz.sha512"),
            },
        },
        etcd: { version: etcd.version, sha256: etcd.sha256, localPath: etcd.dir },
        containerd: {
            version: V.CONTAINERD,
            baseUrl: `${base}/containerd`,
            sha256: digest(`containerd/v${V.CONTAINERD}`, containerd, `${containerd}.sha256sum`),
        },
        runc: { version: V.RUNC, baseUrl: `${base}/runc`, sha256: digest(`runc/v${V.RUNC}`, "runc.amd64", "runc.sha256sum") },
        cniPlugins: {
            version: V.CNI_PLUGINS,
            baseUrl: `${base}/cni-plugins`,
            sha256: digest(`cni-plugins/v${V.CNI_PLUGINS}`, cniPlugins, `${cniPlugins}.sha256`),
        },
        ...(flannel
            ? {
                  flannel: { version: V.FLANNEL, baseUrl: `${base}/flannel`, sha256: digest(`flannel/v${V.FLANNEL}`, flanneld, `${flanneld}.sha256`) },
                  flannelCniPlugin: {
                      version: V.FLANNEL_CNI_PLUGIN,
                      baseUrl: `${base}/flannel-cni-plugin`,
                      sha256: digest(`flannel-cni-plugin/v${V.FLANNEL_CNI_PLUGIN}`, flannelCni, `${flannelCni}.sha256`),
                  },
              }
            : {}),
    };
}
