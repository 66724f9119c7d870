/**
 * Digest pinning across artifacts: one digest given for two different files is a copy-paste
 * slip (at most one of them can match), and one file pinned twice must be pinned alike
 * (kubelet in `binaries.kubernetes` and `binaries.kubernetesNode` of the same version).
 */
import { byArchPath, controlPlaneBinaries, digestPath, kubernetesDigest, nodeBinaries, serverTarballDigest, singleDigest } from "./artifacts";
import { childPath, type SpecIssue } from "./errors";
import { ARCHES, KUBERNETES_BINARIES, type Arch, type ClusterSpec, type KubernetesBinary } from "./schema";
import { roleReleases } from "../cluster/host-needs";

interface Pin {
    /** Where the digest is written. */
    path: string;
    /** Which file it pins: the same text means the same file. */
    file: string;
    digest: string;
}

const SINGLE_SOURCES = ["etcd", "containerd", "runc", "cniPlugins", "flannel", "flannelCniPlugin", "docker"] as const;
type SingleKey = (typeof SINGLE_SOURCES)[number];
type KubernetesKey = "kubernetes" | "kubernetesNode";

/** Every digest the spec gives, for every arch, with the file it pins. */
function pins(spec: ClusterSpec): Pin[] {
    const out: Pin[] = [];
    const b = spec.binaries;
    for (const arch of ARCHES) {
        for (const key of ["kubernetes", "kubernetesNode"] as const) {
            const source = b[key];
            if (!source) continue;
            for (const name of KUBERNETES_BINARIES) {
                const digest = kubernetesDigest(source, name, arch, spec.arch);
                if (digest) out.push({ path: digestPath(`binaries.${key}.sha256`, arch, spec.arch, name), file: `${name} ${source.version} ${arch}`, digest });
            }
            const tarball = serverTarballDigest(source, arch, spec.arch);
            if (tarball)
                out.push({
                    path: digestPath(`binaries.${key}.serverTarball.sha512`, arch, spec.arch),
                    file: `kubernetes-server ${source.version} ${arch}`,
                    digest: tarball,
                });
        }
        for (const key of SINGLE_SOURCES) {
            const source = b[key];
            const digest = source && singleDigest(source, arch, spec.arch);
            if (source && digest) out.push({ path: digestPath(`binaries.${key}.sha256`, arch, spec.arch), file: `${key} ${source.version} ${arch}`, digest });
        }
    }
    return out;
}

/** Which hosts of an arch use a `binaries` source, and which Kubernetes binaries of it. */
export interface SourceUse {
    hosts: string[];
    binaries: Set<KubernetesBinary>;
}

/**
 * What the hosts of each arch use of each `binaries` source, from the releases their roles'
 * components install (`roleReleases`, the list the host plans install from).
 */
export function sourceUses(spec: ClusterSpec): Map<Arch, Map<SingleKey | KubernetesKey, SourceUse>> {
    const b = spec.binaries;
    const out = new Map<Arch, Map<SingleKey | KubernetesKey, SourceUse>>();
    for (const host of spec.hosts) {
        const byKey = out.get(host.arch) ?? new Map<SingleKey | KubernetesKey, SourceUse>();
        out.set(host.arch, byKey);
        const use = (key: SingleKey | KubernetesKey, binaries: KubernetesBinary[] = []) => {
            const found = byKey.get(key) ?? { hosts: [], binaries: new Set<KubernetesBinary>() };
            if (!found.hosts.includes(host.name)) found.hosts.push(host.name);
            binaries.forEach((n) => found.binaries.add(n));
            byKey.set(key, found);
        };
        for (const purpose of Object.values(roleReleases(spec, host)).flat()) {
            if (purpose === "controlPlane") use("kubernetes", controlPlaneBinaries(b.kubernetes));
            else if (purpose === "node") use(b.kubernetesNode ? "kubernetesNode" : "kubernetes", nodeBinaries(b.kubernetesNode ?? b.kubernetes));
            else if (b[purpose]) use(purpose);
        }
    }
    return out;
}

const hostList = (hosts: string[]) => (hosts.length > 3 ? `${hosts.slice(0, 3).join(", ")} and ${hosts.length - 3} more` : hosts.join(", "));

/**
 * Digests per arch: every release a host of another arch than the cluster's uses must be pinned
 * for that arch (an error at the missing digest's path); a digest under `…ByArch` for the
 * cluster's own arch is misplaced (an error); one for an arch or binary no host uses is a warning.
 */
export function checkArchDigests(spec: ClusterSpec): { errors: SpecIssue[]; warnings: SpecIssue[] } {
    const errors: SpecIssue[] = [];
    const warnings: SpecIssue[] = [];
    const b = spec.binaries;
    const uses = sourceUses(spec);

    for (const [arch, byKey] of uses) {
        if (arch === spec.arch) continue;
        for (const [key, use] of byKey) {
            const runs = `${hostList(use.hosts)} run${use.hosts.length === 1 ? "s" : ""} ${arch} and need${use.hosts.length === 1 ? "s" : ""} this release for it`;
            if (key === "kubernetes" || key === "kubernetesNode") {
                const source = b[key]!;
                if (source.serverTarball) {
                    if (!serverTarballDigest(source, arch, spec.arch))
                        errors.push({
                            path: digestPath(`binaries.${key}.serverTarball.sha512`, arch, spec.arch),
                            message: `is required: ${runs}`,
                            hint: `add the sha512 of kubernetes-server-linux-${arch}.tar.gz ${source.version} from the Kubernetes CHANGELOG, or set these hosts' arch to ${spec.arch}`,
                        });
                    continue;
                }
                for (const name of use.binaries)
                    if (!kubernetesDigest(source, name, arch, spec.arch))
                        errors.push({
                            path: digestPath(`binaries.${key}.sha256`, arch, spec.arch, name),
                            message: `is required: ${runs}`,
                            hint: `add the sha256 of ${name} ${source.version} for linux/${arch} (published as bin/linux/${arch}/${name}.sha256)`,
                        });
            } else if (!singleDigest(b[key]!, arch, spec.arch)) {
                errors.push({
                    path: digestPath(`binaries.${key}.sha256`, arch, spec.arch),
                    message: `is required: ${runs}`,
                    hint: `add the sha256 of the ${key} ${b[key]!.version} release file for linux-${arch}, as the project publishes it, or set these hosts' arch to ${spec.arch}`,
                });
            }
        }
    }

    // Digests given per arch: misplaced for the cluster's own arch, unused for an arch or binary no host uses.
    const given: { key: SingleKey | KubernetesKey; field: string; byArch: Partial<Record<Arch, unknown>> | undefined }[] = [
        ...(["kubernetes", "kubernetesNode"] as const).flatMap((key) => [
            { key, field: `binaries.${key}.sha256`, byArch: b[key]?.sha256ByArch },
            { key, field: `binaries.${key}.serverTarball.sha512`, byArch: b[key]?.serverTarball?.sha512ByArch },
        ]),
        ...SINGLE_SOURCES.map((key) => ({ key, field: `binaries.${key}.sha256`, byArch: b[key]?.sha256ByArch })),
    ];
    for (const { key, field, byArch } of given) {
        for (const arch of ARCHES) {
            const digests = byArch?.[arch];
            if (digests === undefined) continue;
            const path = byArchPath(field, arch);
            if (arch === spec.arch) {
                errors.push({
                    path,
                    message: `is for ${arch}, the cluster's own arch, whose digest goes in ${field}`,
                    hint: `move it to ${field}; the …ByArch maps hold the digests of the other architectures' files`,
                });
                continue;
            }
            const use = uses.get(arch)?.get(key);
            if (!use) {
                warnings.push({
                    path,
                    message: `is unused: no ${arch} host has a role that installs binaries.${key}`,
                    hint: `remove it, or set \`arch: ${arch}\` on the hosts that run this release`,
                });
                continue;
            }
            if (typeof digests === "object" && digests !== null)
                for (const name of Object.keys(digests) as KubernetesBinary[])
                    if ((digests as Record<string, unknown>)[name] !== undefined && !use.binaries.has(name))
                        warnings.push({
                            path: childPath(path, name),
                            message: `is unused: no ${arch} host has a role that runs ${name}`,
                            hint: `remove it, or give the role that runs it to a host with \`arch: ${arch}\``,
                        });
        }
    }
    return { errors, warnings };
}

/** Errors for a digest shared by different files and for one file pinned with different digests. */
export function checkDigests(spec: ClusterSpec): SpecIssue[] {
    const issues: SpecIssue[] = [];
    const byDigest = new Map<string, Pin>();
    const byFile = new Map<string, Pin>();
    for (const pin of pins(spec)) {
        const sameDigest = byDigest.get(pin.digest);
        if (sameDigest && sameDigest.file !== pin.file)
            issues.push({
                path: pin.path,
                message: `is the same digest as ${sameDigest.path}, which pins a different file (${sameDigest.file})`,
                hint: "copy each digest from its own file's published checksum",
            });
        const sameFile = byFile.get(pin.file);
        if (sameFile && sameFile.digest !== pin.digest)
            issues.push({
                path: pin.path,
                message: `pins ${pin.file} with another digest than ${sameFile.path}: at most one of them is right`,
                hint: "use the published checksum in both places",
            });
        if (!sameDigest) byDigest.set(pin.digest, pin);
        if (!sameFile) byFile.set(pin.file, pin);
    }
    return issues;
}
