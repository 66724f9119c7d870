import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { artifactSource, renderFetch, renderStagedCleanup, STAGING_DIR, type ArtifactSource } from "./artifact-source";
import { Host, remoteScript, shellQuote } from "./connection";
import { argsError, type Issue } from "./issues";
import { artifactOrigin, type ImageArchiveFacts } from "./facts";

/** Arguments of {@link ImageArchive}. */
export interface ImageArchiveArgs {
    /** The host whose containerd imports the image. */
    host: Host;
    /** The fully qualified reference the archive carries, e.g. "registry.k8s.io/pause:3.10.2". */
    ref: string;
    /** URL of the image archive (OCI or docker format), fetched on the host with curl or wget. Exactly one of `url` and `localPath`. */
    url?: string;
    /** Path of the archive on the machine running Pulumi (air-gapped installs); uploaded over SFTP. */
    localPath?: string;
    /** sha256 (hex) of the archive file: checked before anything is imported. */
    sha256: string;
    /** The image's manifest digest (`sha256:<hex>`), which containerd must list for `ref` after the import. */
    digest: string;
    /** containerd namespace. Default: "k8s.io", the one the CRI (and so the kubelet) uses. */
    namespace?: string;
}

/** What the import script needs: the image, its digests, and where the archive comes from. */
export interface ImageImportPlan {
    ref: string;
    sha256: string;
    digest: string;
    namespace: string;
    /** An URL to fetch, or a file already staged on the host. */
    source: ArtifactSource;
}

/** The label that keeps containerd's image garbage collection (and the kubelet's) away from an image. */
export const PINNED_LABEL = "io.cri-containerd.pinned=pinned";

/** The digest containerd lists for the reference, or nothing. */
function currentDigest(ns: string, ref: string): string {
    return `ctr -n ${shellQuote(ns)} images ls ${shellQuote(`name==${ref}`)} 2>/dev/null | awk 'NR > 1 { print $3 }'`;
}

/**
 * Renders the idempotent import: nothing happens while containerd already lists the reference
 * with the wanted digest; otherwise the archive is fetched into a private temp dir, its sha256
 * checked before containerd sees it, imported, and the digest containerd then lists checked. The
 * image is pinned either way.
 */
export function renderImageImportScript(plan: ImageImportPlan): string {
    const ns = shellQuote(plan.namespace);
    const fetch = renderFetch(plan.source, '"$work/image.tar"');
    return [
        `ref=${shellQuote(plan.ref)}`,
        `digest=${shellQuote(plan.digest)}`,
        `want=${shellQuote(plan.sha256)}`,
        `command -v ctr >/dev/null || { echo "ctr is not installed on $(hostname): install containerd before importing $ref" >&2; exit 1; }`,
        `if [ "$(${currentDigest(plan.namespace, plan.ref)})" != "$digest" ]; then`,
        `  work=$(mktemp -d ${STAGING_DIR}/k8s-binary.XXXXXX)`,
        `  trap 'rm -rf "$work"' EXIT`,
        ...fetch.map((l) => `  ${l}`),
        `  got=$(sha256sum "$work/image.tar" | cut -d' ' -f1)`,
        `  if [ "$got" != "$want" ]; then`,
        `    echo "sha256 mismatch for the archive of $ref from $src: expected $want, got $got; nothing was imported" >&2`,
        `    exit 1`,
        `  fi`,
        `  ctr -n ${ns} images import "$work/image.tar" >/dev/null`,
        `  got=$(${currentDigest(plan.namespace, plan.ref)})`,
        `  if [ "$got" != "$digest" ]; then`,
        `    echo "the archive from $src holds $ref as \${got:-nothing}, not $digest" >&2`,
        `    exit 1`,
        `  fi`,
        `fi`,
        ...renderStagedCleanup(plan.source),
        `ctr -n ${ns} images label "$ref" ${PINNED_LABEL} >/dev/null`,
    ].join("\n");
}

/** Renders the removal: the image goes only while it is still the one this resource imported. */
export function renderImageRemoveScript(plan: Pick<ImageImportPlan, "ref" | "digest" | "namespace">): string {
    return [
        `if command -v ctr >/dev/null && [ "$(${currentDigest(plan.namespace, plan.ref)})" = ${shellQuote(plan.digest)} ]; then`,
        `  ctr -n ${shellQuote(plan.namespace)} images rm ${shellQuote(plan.ref)} >/dev/null`,
        `fi`,
    ].join("\n");
}

/**
 * A container image on a host, for clusters that reach no registry: an image archive fetched from
 * a mirror (or uploaded), verified by sha256, imported into containerd, checked against its
 * manifest digest, and pinned so garbage collection never removes it. Re-running with the same
 * digest changes nothing.
 */
export class ImageArchive extends pulumi.ComponentResource {
    /** The manifest digest, resolving once the image is imported: put it in a SystemdUnit's `restartOn`. */
    readonly digest: pulumi.Output<string>;
    /** The import step (for `dependsOn`). */
    readonly command: command.remote.Command;
    /** What this puts on the host, registered as the `facts` output. */
    readonly facts: ImageArchiveFacts;

    constructor(name: string, args: ImageArchiveArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:ImageArchive", name, {}, opts);
        const issues = imageArgsIssues(args);
        if (issues.length > 0) throw argsError(this, "ImageArchive", name, issues);
        const namespace = args.namespace ?? "k8s.io";
        const sha256 = args.sha256.toLowerCase();
        const { source, dependsOn } = artifactSource(name, args.host, args, sha256, this);
        const plan: ImageImportPlan = { ref: args.ref, sha256, digest: args.digest, namespace, source };
        this.command = new command.remote.Command(
            `${name}-import`,
            {
                connection: args.host.connection,
                create: remoteScript(args.host, renderImageImportScript(plan)),
                delete: remoteScript(args.host, renderImageRemoveScript(plan)),
                logging: "stderr",
            },
            // The engine applies a component's dependsOn to none of its children: the import waits for it itself (containerd up).
            { parent: this, dependsOn: pulumi.output(opts?.dependsOn ?? []).apply((d) => [...dependsOn, ...(Array.isArray(d) ? d : [d])]) },
        );
        this.digest = this.command.create.apply(() => args.digest);
        this.facts = {
            kind: "image",
            host: args.host.name,
            ref: args.ref,
            digest: args.digest,
            namespace,
            source: artifactOrigin(args),
            archiveChecksum: `sha256:${sha256}`,
        };
        this.registerOutputs({ digest: this.digest, facts: this.facts });
    }
}

function imageArgsIssues(args: ImageArchiveArgs): Issue[] {
    const issues: Issue[] = [];
    if ((args.url === undefined) === (args.localPath === undefined))
        issues.push({ path: "url", message: "give exactly one of url and localPath", hint: "a mirror URL, or the archive's path on this machine" });
    if (!/^[0-9a-fA-F]{64}$/.test(args.sha256))
        issues.push({ path: "sha256", message: `"${args.sha256}" is not 64 hex characters`, hint: "give the archive file's sha256" });
    if (!/^sha256:[0-9a-f]{64}$/.test(args.digest))
        issues.push({ path: "digest", message: `"${args.digest}" is not sha256:<64 hex>`, hint: "give the image manifest's digest" });
    // A reference containerd names in full: registry host, path, and a tag (or a digest).
    if (!/^[a-z0-9.-]+(:\d+)?\/[a-z0-9._/-]+(:[A-Za-z0-9._-]+|@sha256:[0-9a-f]{64})$/.test(args.ref))
        issues.push({
            path: "ref",
            message: `"${args.ref}" is not a fully qualified image reference`,
            hint: "write registry/path:tag, e.g. registry.k8s.io/pause:3.10.2",
        });
    if (args.namespace !== undefined && !/^[A-Za-z0-9._-]+$/.test(args.namespace))
        issues.push({ path: "namespace", message: `"${args.namespace}" must be a plain name`, hint: "letters, digits, '.', '_', '-'" });
    return issues;
}
