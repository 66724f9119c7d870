/**
 * What the host primitives put on a host, as structured facts: each primitive registers its
 * facts among its outputs (`registerOutputs({ facts })`), so they land in the component's state
 * under the real engine and in the mock runtime's recording, and tools (the offline render)
 * read them instead of parsing scripts back. Facts hold no secret: secret content is only
 * marked `secret: true`, never given, nor a digest of it.
 */
import * as pulumi from "@pulumi/pulumi";

/** The output name under which a host primitive registers its facts. */
export const FACTS_OUTPUT = "facts";

/** A file's or unit's text when it is not a secret; only the mark when it is. */
export type ContentFacts =
    | {
          /** The text as written on the host. */
          content: string;
          /** The text is not a secret. */
          secret: false;
      }
    | {
          /** The text is a Pulumi secret: it travels on stdin only, and no fact holds it or its digest. */
          secret: true;
      };

/** A file written by RemoteFile. */
export type RemoteFileFacts = {
    /** Which primitive. */
    kind: "file";
    /** The host's name (Host.name). */
    host: string;
    /** Absolute path on the host. */
    path: string;
    /** Octal mode, e.g. "0644". */
    mode: string;
    /** Owning user. */
    owner: string;
    /** Owning group. */
    group: string;
} & ContentFacts;

/** A systemd unit installed by SystemdUnit. */
export type SystemdUnitFacts = {
    /** Which primitive. */
    kind: "unit";
    /** The host's name (Host.name). */
    host: string;
    /** Unit name with its suffix, e.g. "etcd.service". */
    unit: string;
    /** Whether it is enabled and started (false: only started by others, e.g. a timer's service). */
    enabled: boolean;
} & ContentFacts;

/** Where an artifact comes from: an URL the host fetches, or a file on the machine running Pulumi, uploaded. */
export type ArtifactOrigin = { url: string } | { localPath: string };

/** A release installed by BinaryRelease. */
export interface BinaryReleaseFacts {
    /** Which primitive. */
    kind: "release";
    /** The host's name (Host.name). */
    host: string;
    /** Release name, e.g. "etcd". */
    name: string;
    /** Release version. */
    version: string;
    /** Where the artifact comes from. */
    source: ArtifactOrigin;
    /** The pinned digest of the artifact, "<algorithm>:<lowercase hex>", e.g. "sha256:ab12…". */
    checksum: string;
    /** The executables installed. */
    binaries: string[];
    /** The versioned directory holding them. */
    installDir: string;
    /** The directory of their stable links. */
    binDir: string;
}

/** A container image imported by ImageArchive. */
export interface ImageArchiveFacts {
    /** Which primitive. */
    kind: "image";
    /** The host's name (Host.name). */
    host: string;
    /** The fully qualified image reference. */
    ref: string;
    /** The image's manifest digest, "sha256:<hex>". */
    digest: string;
    /** The containerd namespace it is imported into. */
    namespace: string;
    /** Where the archive comes from. */
    source: ArtifactOrigin;
    /** The archive file's pinned digest, "sha256:<hex>". */
    archiveChecksum: string;
}

/** The facts of any host primitive. */
export type HostFacts = RemoteFileFacts | SystemdUnitFacts | BinaryReleaseFacts | ImageArchiveFacts;

/** The component type token of each kind of fact: a component of that type must register them. */
export const FACT_KINDS: Record<HostFacts["kind"], string> = {
    file: "k8s-binary:index:RemoteFile",
    unit: "k8s-binary:index:SystemdUnit",
    release: "k8s-binary:index:BinaryRelease",
    image: "k8s-binary:index:ImageArchive",
};

/**
 * The content facts of a text: the text itself when it is not a secret, the mark alone when it
 * is. Reading the text of a secret output would make the facts secret; the branch is taken on
 * `isSecret` first, so the secret text is never read here.
 */
export function contentFacts(text: pulumi.Input<string>): pulumi.Output<ContentFacts> {
    const value = pulumi.output(text);
    return pulumi
        .output(pulumi.isSecret(value))
        .apply((secret) => (secret ? pulumi.output<ContentFacts>({ secret: true }) : value.apply((content): ContentFacts => ({ content, secret: false }))));
}

/** The origin facts of an artifact given as `url` or `localPath`. */
export function artifactOrigin(given: { url?: string; localPath?: string }): ArtifactOrigin {
    return given.localPath !== undefined ? { localPath: given.localPath } : { url: given.url! };
}
