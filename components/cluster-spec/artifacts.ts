import * as path from "path";
import type { Checksum } from "../host/binary-release";
import type { ReleaseNeed } from "../host/needs";
import { childPath } from "./errors";
import type { Arch, ClusterSpec, KubernetesBinary, KubernetesSourceSpec } from "./schema";

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

/**
 * Every release file the spec's hosts of one arch need, by purpose. Each field resolves when
 * read; reading one whose digest the spec lacks for this arch throws, naming the config path
 * (the spec checks refuse such a spec first, for every release a host's roles use).
 */
export interface ResolvedReleases {
    /** The architecture of these files. */
    arch: Arch;
    /** kube-apiserver, kube-controller-manager, kube-scheduler (and kubectl when pinned) for control-plane hosts. */
    controlPlane: ReleaseFile[];
    /** kubelet and kube-proxy (and kubectl when pinned) for worker hosts (from `binaries.kubernetesNode` when set). */
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

/** The path of a digest field's entry for `arch` in its `…ByArch` map: `binaries.etcd.sha256` → `binaries.etcd.sha256ByArch.arm64`. */
export function byArchPath(field: string, arch: Arch): string {
    return `${field}ByArch.${arch}`;
}

/** Where a digest for `arch` is written: the source's own field for the cluster's arch, else its entry in the `…ByArch` map. */
export function digestPath(field: string, arch: Arch, clusterArch: Arch, name?: string): string {
    const at = arch === clusterArch ? field : byArchPath(field, arch);
    return name === undefined ? at : childPath(at, name);
}

/** The sha256 of a single-file source for `arch` (`sha256` for the cluster's arch, `sha256ByArch[arch]` for another). */
export function singleDigest(source: { sha256: string; sha256ByArch?: Partial<Record<Arch, string>> }, arch: Arch, clusterArch: Arch): string | undefined {
    return arch === clusterArch ? source.sha256 : source.sha256ByArch?.[arch];
}

/** The sha256 of one Kubernetes binary for `arch`. */
export function kubernetesDigest(source: KubernetesSourceSpec, name: KubernetesBinary, arch: Arch, clusterArch: Arch): string | undefined {
    return arch === clusterArch ? source.sha256?.[name] : source.sha256ByArch?.[arch]?.[name];
}

/** The sha512 of the Kubernetes server tarball for `arch`. */
export function serverTarballDigest(source: KubernetesSourceSpec, arch: Arch, clusterArch: Arch): string | undefined {
    const t = source.serverTarball;
    return arch === clusterArch ? t?.sha512 : t?.sha512ByArch?.[arch];
}

const unpinned = (path: string): never => {
    throw new Error(`binaries.${path} is not set (the spec checks should have caught this)`);
};

/**
 * The Kubernetes release files providing `names` for `arch`: one file per binary, or the server
 * tarball for all. `clusterArch` (default: `arch`) says which digests are the sources' own.
 */
export function kubernetesFiles(
    component: string,
    source: KubernetesSourceSpec,
    arch: Arch,
    names: KubernetesBinary[],
    clusterArch: Arch = arch,
): ReleaseFile[] {
    const v = source.version;
    if (source.serverTarball) {
        const fileName = `kubernetes-server-linux-${arch}.tar.gz`;
        const digest = serverTarballDigest(source, arch, clusterArch) ?? unpinned(digestPath(`${component}.serverTarball.sha512`, arch, clusterArch));
        return [
            {
                component,
                name: "kubernetes-server",
                version: v,
                fileName,
                ...locate(source, OFFICIAL_BASE_URLS.kubernetes, `v${v}/${fileName}`, fileName),
                checksum: { algorithm: "sha512", digest: digest.toLowerCase() },
                archive: "tar.gz",
                binaries: names.map((name) => ({ name, path: `kubernetes/server/bin/${name}` })),
            },
        ];
    }
    return names.map((name) => {
        const digest = kubernetesDigest(source, name, arch, clusterArch) ?? unpinned(digestPath(`${component}.sha256`, arch, clusterArch, name));
        return {
            component,
            name,
            version: v,
            fileName: name,
            // The binaries' published names carry no arch: another arch's live in its own subdirectory of localPath.
            ...locate(source, OFFICIAL_BASE_URLS.kubernetes, `v${v}/bin/linux/${arch}/${name}`, arch === clusterArch ? name : path.join(arch, name)),
            checksum: { algorithm: "sha256" as const, digest: digest.toLowerCase() },
            archive: "binary" as const,
            binaries: [{ name, path: name }],
        };
    });
}

/** `names`, and kubectl when pinned or free with the server tarball. */
function withKubectl(source: KubernetesSourceSpec, names: KubernetesBinary[]): KubernetesBinary[] {
    return source.serverTarball || source.sha256?.kubectl ? [...names, "kubectl"] : [...names];
}

/** The control-plane binaries a spec installs. */
export function controlPlaneBinaries(source: KubernetesSourceSpec): KubernetesBinary[] {
    return withKubectl(source, CONTROL_PLANE_BINARIES);
}

/** The node binaries a spec installs (kubectl is what node removals drain with). */
export function nodeBinaries(source: KubernetesSourceSpec): KubernetesBinary[] {
    return withKubectl(source, NODE_BINARIES);
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
    sha256ByArch?: Partial<Record<Arch, string>>;
}

function single(
    component: keyof typeof OFFICIAL_BASE_URLS,
    source: SingleSource,
    arch: Arch,
    clusterArch: Arch,
    urlDir: string,
    fileName: string,
    archive: ReleaseFile["archive"],
    binaries: { name: string; path: string }[],
): ReleaseFile {
    const digest = singleDigest(source, arch, clusterArch) ?? unpinned(digestPath(`${component}.sha256`, arch, clusterArch));
    return {
        component,
        name: INSTALL_NAMES[component],
        version: source.version,
        fileName,
        ...locate(source, OFFICIAL_BASE_URLS[component], `${urlDir}/${fileName}`, fileName),
        checksum: { algorithm: "sha256", digest: digest.toLowerCase() },
        archive,
        binaries,
    };
}

/**
 * Resolves the release files of a validated spec for the hosts of one arch (default: the
 * cluster's), pure (no I/O). Each field resolves when first read, so a release no host of this
 * arch uses needs no digest for it.
 */
export function resolveReleases(spec: ClusterSpec, arch: Arch = spec.arch): ResolvedReleases {
    const { arch: clusterArch, binaries: b } = spec;
    const one = (
        component: keyof typeof OFFICIAL_BASE_URLS,
        urlDir: string,
        fileName: string,
        archive: ReleaseFile["archive"],
        files: { name: string; path: string }[],
    ) => single(component, b[component as keyof typeof b] as SingleSource, arch, clusterArch, urlDir, fileName, archive, files);
    const resolvers: { [K in keyof Omit<ResolvedReleases, "arch">]-?: () => ResolvedReleases[K] } = {
        controlPlane: () => kubernetesFiles("kubernetes", b.kubernetes, arch, controlPlaneBinaries(b.kubernetes), clusterArch),
        node: () =>
            kubernetesFiles(
                b.kubernetesNode ? "kubernetesNode" : "kubernetes",
                b.kubernetesNode ?? b.kubernetes,
                arch,
                nodeBinaries(b.kubernetesNode ?? b.kubernetes),
                clusterArch,
            ),
        etcd: () => etcdReleaseFile(spec, arch),
        containerd: () => {
            if (!b.containerd) return undefined;
            const v = b.containerd.version;
            return one("containerd", `v${v}`, `containerd-${v}-linux-${arch}.tar.gz`, "tar.gz", [
                { name: "containerd", path: "bin/containerd" },
                { name: "containerd-shim-runc-v2", path: "bin/containerd-shim-runc-v2" },
                { name: "ctr", path: "bin/ctr" },
            ]);
        },
        runc: () => b.runc && one("runc", `v${b.runc.version}`, `runc.${arch}`, "binary", [{ name: "runc", path: `runc.${arch}` }]),
        cniPlugins: () => {
            if (!b.cniPlugins) return undefined;
            const v = b.cniPlugins.version;
            return one(
                "cniPlugins",
                `v${v}`,
                `cni-plugins-linux-${arch}-v${v}.tgz`,
                "tar.gz",
                CNI_PLUGINS.map((name) => ({ name, path: `./${name}` })),
            );
        },
        flannel: () => {
            if (!b.flannel) return undefined;
            const v = b.flannel.version;
            return one("flannel", `v${v}`, `flannel-v${v}-linux-${arch}.tar.gz`, "tar.gz", [
                { name: "flanneld", path: "flanneld" },
                { name: "mk-docker-opts.sh", path: "mk-docker-opts.sh" },
            ]);
        },
        flannelCniPlugin: () => {
            if (!b.flannelCniPlugin) return undefined;
            // Tags carry a -flannelN suffix (v1.7.1-flannel1); the file names do not.
            const v = b.flannelCniPlugin.version;
            const base = v.replace(/-.*$/, "");
            return one("flannelCniPlugin", `v${v}`, `cni-plugin-flannel-linux-${arch}-v${base}.tgz`, "tar.gz", [
                { name: "flannel", path: `./flannel-${arch}` },
            ]);
        },
        docker: () => {
            if (!b.docker) return undefined;
            const dockerArch = arch === "amd64" ? "x86_64" : "aarch64";
            return one(
                "docker",
                dockerArch,
                `docker-${b.docker.version}.tgz`,
                "tar.gz",
                ["dockerd", "docker", "containerd", "containerd-shim-runc-v2", "ctr", "runc", "docker-init", "docker-proxy"].map((name) => ({
                    name,
                    path: `docker/${name}`,
                })),
            );
        },
    };
    const out = { arch } as ResolvedReleases;
    for (const [key, resolve] of Object.entries(resolvers)) {
        let value: unknown;
        let done = false;
        Object.defineProperty(out, key, {
            enumerable: true,
            get: () => {
                if (!done) [value, done] = [resolve(), true];
                return value;
            },
        });
    }
    return out;
}

/** The release files of every arch the spec's hosts run, by arch (each resolved when read). */
export function resolveReleasesByArch(spec: ClusterSpec): Map<Arch, ResolvedReleases> {
    return new Map([...new Set(spec.hosts.map((h) => h.arch))].map((arch) => [arch, resolveReleases(spec, arch)]));
}

/**
 * The etcd release file alone, for `arch` (default: the cluster's): for the cluster's arch its
 * source is complete once the schema accepted the spec, so validation can plan with it.
 */
export function etcdReleaseFile(spec: ClusterSpec, arch: Arch = spec.arch): ReleaseFile {
    const {
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
        arch,
        spec.arch,
        `v${v}`,
        `${dir}.tar.gz`,
        "tar.gz",
        tools.map((name) => ({ name, path: `${dir}/${name}` })),
    );
}
