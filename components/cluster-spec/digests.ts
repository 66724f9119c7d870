/**
 * Digest pinning across artifacts: one digest given for two different files is a copy-paste
 * slip (at most one of them can match), and one file pinned twice must be pinned alike
 * (kubelet in `binaries.kubernetes` and `binaries.kubernetesNode` of the same version).
 */
import { childPath, type SpecIssue } from "./errors";
import { KUBERNETES_BINARIES, type ClusterSpec } from "./schema";

interface Pin {
    /** Where the digest is written. */
    path: string;
    /** Which file it pins: the same text means the same file. */
    file: string;
    digest: string;
}

/** Every digest the spec gives, with the file it pins. */
function pins(spec: ClusterSpec): Pin[] {
    const out: Pin[] = [];
    const b = spec.binaries;
    for (const key of ["kubernetes", "kubernetesNode"] as const) {
        const source = b[key];
        if (!source) continue;
        for (const name of KUBERNETES_BINARIES) {
            const digest = source.sha256?.[name];
            if (digest) out.push({ path: childPath(`binaries.${key}.sha256`, name), file: `${name} ${source.version} ${spec.arch}`, digest });
        }
        if (source.serverTarball)
            out.push({
                path: `binaries.${key}.serverTarball.sha512`,
                file: `kubernetes-server ${source.version} ${spec.arch}`,
                digest: source.serverTarball.sha512,
            });
    }
    for (const key of ["etcd", "containerd", "runc", "cniPlugins", "flannel", "flannelCniPlugin", "docker"] as const) {
        const source = b[key];
        if (source) out.push({ path: `binaries.${key}.sha256`, file: `${key} ${source.version} ${spec.arch}`, digest: source.sha256 });
    }
    return out;
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
