import * as path from "path";
import type { Checksum } from "../host/binary-release";
import type { ReleaseNeed } from "../host/needs";
import type { ClusterSpec, KubernetesBinary, KubernetesSourceSpec } from "./schema";

/** A release file a host needs, resolved once here so components never rebuild URLs. */
export interface ReleaseFile {
    /** Which `binaries` entry it comes from, e.g. `etcd` or `kubernetesNode`. */
    component: string;
    /** Install name on hosts (/opt/k8s-binary/<name>/<version>): one per artifact, e.g. `etcd`, `kube-apiserver`, `kubernetes-server`. */
    name: string;
    /** Release version, without a leading `v`. */
    version: string;
    /** The file's published name, e.g. `etcd-v3.5.21-linux-amd64.tar.gz`. */
    fileName: string;
    /** Where to download it from; unset when `localPath` is. */
    url?: string;
    /** Absolute or relative path of the file on the machine running Pulumi (air-gapped installs); unset when `url` is. */
    localPath?: string;
    /** The digest the file must match: sha256, or sha512 for the Kubernetes server tarball, whose CHANGELOG publishes only that. */
    checksum: Checksum;
    /** A gzip'ed tarball the `binaries` are extracted from, or a single executable (as BinaryRelease takes it). */
    archive: "tar.gz" | "binary";
    /** Executables it provides: installed name, and member path exactly as stored in the archive (`./bridge` in tarballs made with `tar -C dir .`), or the file itself when not an archive. */
    binaries: { name: string; path: string }[];
}

/** Every release file the spec's hosts need, by purpose. */
export interface ResolvedReleases {
    /** kube-apiserver, kube-controller-manager, kube-scheduler (and kubectl when pinned) for control-plane hosts. */
    controlPlane: ReleaseFile[];
    /** kubelet and kube-proxy for worker hosts (from `binaries.kubernetesNode` when set). */
    node: ReleaseFile[];
    /** etcd, etcdctl (and etcdutl from 3.5) for etcd hosts. */
    etcd: ReleaseFile;
    /** containerd for workers, when the runtime is containerd. */
    containerd?: ReleaseFile;
    /** runc for workers, when the runtime is containerd. */
    runc?: ReleaseFile;
    /** CNI plugins (bridge, host-local, loopback, portmap, bandwidth) for workers. */
    cniPlugins?: ReleaseFile;
    /** flanneld, when flannel runs under systemd. */
    flannel?: ReleaseFile;
    /** The flannel CNI plugin, when flannel runs under systemd. */
    flannelCniPlugin?: ReleaseFile;
    /** Docker static binaries, when the runtime is docker. */
    docker?: ReleaseFile;
}

/** Official release locations, the default of every `baseUrl`. */
export const OFFICIAL_BASE_URLS = {
    kubernetes: "https://dl.k8s.io/release",
    etcd: "https://github.com/etcd-io/etcd/releases/download",
    containerd: "https://github.com/containerd/containerd/releases/download",
    runc: "https://github.com/opencontainers/runc/releases/download",
    cniPlugins: "https://github.com/containernetworking/plugins/releases/download",
    flannel: "https://github.com/flannel-io/flannel/releases/download",
    flannelCniPlugin: "https://github.com/flannel-io/cni-plugin/releases/download",
    docker: "https://download.docker.com/linux/static/stable",
} as const;

/** Control-plane binaries; kubectl is added when pinned (always with the server tarball). */
export const CONTROL_PLANE_BINARIES: KubernetesBinary[] = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
/** Binaries every worker runs. */
export const NODE_BINARIES: KubernetesBinary[] = ["kubelet", "kube-proxy"];
/** CNI plugins the flannel conflist and the kubelet use. */
export const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap", "bandwidth"];

interface Located {
    baseUrl?: string;
    localPath?: string;
}

function locate(source: Located, officialBase: string, urlPath: string, fileName: string): Pick<ReleaseFile, "url" | "localPath"> {
    if (source.localPath) return { localPath: path.join(source.localPath, fileName) };
    return { url: `${(source.baseUrl ?? officialBase).replace(/\/+$/, "")}/${urlPath}` };
}

/** The Kubernetes release files providing `names`: one file per binary, or the server tarball for all. */
export function kubernetesFiles(component: string, source: KubernetesSourceSpec, arch: string, names: KubernetesBinary[]): ReleaseFile[] {
    const v = source.version;
    if (source.serverTarball) {
        const fileName = `kubernetes-server-linux-${arch}.tar.gz`;
        return [
            {
                component,
                name: "kubernetes-server",
                version: v,
                fileName,
                ...locate(source, OFFICIAL_BASE_URLS.kubernetes, `v${v}/${fileName}`, fileName),
                checksum: { algorithm: "sha512", digest: source.serverTarball.sha512.toLowerCase() },
                archive: "tar.gz",
                binaries: names.map((name) => ({ name, path: `kubernetes/server/bin/${name}` })),
            },
        ];
    }
    return names.map((name) => {
        const digest = source.sha256?.[name];
        if (!digest) throw new Error(`binaries.${component}.sha256.${name} is not set (the spec checks should have caught this)`);
        return {
            component,
            name,
            version: v,
            fileName: name,
            ...locate(source, OFFICIAL_BASE_URLS.kubernetes, `v${v}/bin/linux/${arch}/${name}`, name),
            checksum: { algorithm: "sha256" as const, digest: digest.toLowerCase() },
            archive: "binary" as const,
            binaries: [{ name, path: name }],
        };
    });
}

/** The control-plane binaries a spec installs: kubectl only when pinned or free with the tarball. */
export function controlPlaneBinaries(source: KubernetesSourceSpec): KubernetesBinary[] {
    return source.serverTarball || source.sha256?.kubectl ? [...CONTROL_PLANE_BINARIES, "kubectl"] : [...CONTROL_PLANE_BINARIES];
}

/** Install names of the single-file releases. */
const INSTALL_NAMES: Record<keyof typeof OFFICIAL_BASE_URLS, string> = {
    kubernetes: "kubernetes",
    etcd: "etcd",
    containerd: "containerd",
    runc: "runc",
    cniPlugins: "cni-plugins",
    flannel: "flannel",
    flannelCniPlugin: "flannel-cni-plugin",
    docker: "docker",
};

/**
 * What a host needs of a release file, for the per-host plan. `binaries` narrows it to the
 * executables one component uses (default: all the file provides).
 */
export function releaseNeed(file: ReleaseFile, binaries: string[] = file.binaries.map((b) => b.name)): ReleaseNeed {
    // Binaries whose member file is named otherwise (flannel-amd64) get its path; the rest are found by name.
    const archivePaths = Object.fromEntries(
        file.binaries
            .filter((b) => binaries.includes(b.name) && file.archive === "tar.gz" && path.posix.basename(b.path) !== b.name)
            .map((b) => [b.name, b.path]),
    );
    return {
        name: file.name,
        version: file.version,
        url: file.url,
        localPath: file.localPath,
        checksum: file.checksum,
        archive: file.archive,
        binaries,
        archivePaths,
    };
}

interface SingleSource extends Located {
    version: string;
    sha256: string;
}

function single(
    component: keyof typeof OFFICIAL_BASE_URLS,
    source: SingleSource,
    urlDir: string,
    fileName: string,
    archive: ReleaseFile["archive"],
    binaries: { name: string; path: string }[],
): ReleaseFile {
    return {
        component,
        name: INSTALL_NAMES[component],
        version: source.version,
        fileName,
        ...locate(source, OFFICIAL_BASE_URLS[component], `${urlDir}/${fileName}`, fileName),
        checksum: { algorithm: "sha256", digest: source.sha256.toLowerCase() },
        archive,
        binaries,
    };
}

/** Resolves every release file of a validated spec (pure: no I/O). */
export function resolveReleases(spec: ClusterSpec): ResolvedReleases {
    const { arch, binaries: b } = spec;
    const out: ResolvedReleases = {
        controlPlane: kubernetesFiles("kubernetes", b.kubernetes, arch, controlPlaneBinaries(b.kubernetes)),
        node: kubernetesFiles(b.kubernetesNode ? "kubernetesNode" : "kubernetes", b.kubernetesNode ?? b.kubernetes, arch, NODE_BINARIES),
        etcd: etcdReleaseFile(spec),
    };
    if (b.containerd) {
        const v = b.containerd.version;
        out.containerd = single("containerd", b.containerd, `v${v}`, `containerd-${v}-linux-${arch}.tar.gz`, "tar.gz", [
            { name: "containerd", path: "bin/containerd" },
            { name: "containerd-shim-runc-v2", path: "bin/containerd-shim-runc-v2" },
            { name: "ctr", path: "bin/ctr" },
        ]);
    }
    if (b.runc) {
        const fileName = `runc.${arch}`;
        out.runc = single("runc", b.runc, `v${b.runc.version}`, fileName, "binary", [{ name: "runc", path: fileName }]);
    }
    if (b.cniPlugins) {
        const v = b.cniPlugins.version;
        out.cniPlugins = single(
            "cniPlugins",
            b.cniPlugins,
            `v${v}`,
            `cni-plugins-linux-${arch}-v${v}.tgz`,
            "tar.gz",
            CNI_PLUGINS.map((name) => ({ name, path: `./${name}` })),
        );
    }
    if (b.flannel) {
        const v = b.flannel.version;
        out.flannel = single("flannel", b.flannel, `v${v}`, `flannel-v${v}-linux-${arch}.tar.gz`, "tar.gz", [
            { name: "flanneld", path: "flanneld" },
            { name: "mk-docker-opts.sh", path: "mk-docker-opts.sh" },
        ]);
    }
    if (b.flannelCniPlugin) {
        // Tags carry a -flannelN suffix (v1.7.1-flannel1); the file names do not.
        const v = b.flannelCniPlugin.version;
        const base = v.replace(/-.*$/, "");
        out.flannelCniPlugin = single("flannelCniPlugin", b.flannelCniPlugin, `v${v}`, `cni-plugin-flannel-linux-${arch}-v${base}.tgz`, "tar.gz", [
            { name: "flannel", path: `./flannel-${arch}` },
        ]);
    }
    if (b.docker) {
        const dockerArch = arch === "amd64" ? "x86_64" : "aarch64";
        out.docker = single(
            "docker",
            b.docker,
            dockerArch,
            `docker-${b.docker.version}.tgz`,
            "tar.gz",
            ["dockerd", "docker", "containerd", "containerd-shim-runc-v2", "ctr", "runc", "docker-init", "docker-proxy"].map((name) => ({
                name,
                path: `docker/${name}`,
            })),
        );
    }
    return out;
}

/** The etcd release file alone: its source is complete once the schema accepted the spec, so validation can plan with it. */
export function etcdReleaseFile(spec: ClusterSpec): ReleaseFile {
    const {
        arch,
        binaries: { etcd: source },
    } = spec;
    const v = source.version;
    const dir = `etcd-v${v}-linux-${arch}`;
    const tools = ["etcd", "etcdctl"];
    const [major, minor] = v.split(".").map(Number);
    if (major > 3 || (major === 3 && minor >= 5)) tools.push("etcdutl");
    return single(
        "etcd",
        source,
        `v${v}`,
        `${dir}.tar.gz`,
        "tar.gz",
        tools.map((name) => ({ name, path: `${dir}/${name}` })),
    );
}
