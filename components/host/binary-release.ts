import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { artifactSource, renderFetch, renderStagedCleanup, STAGING_DIR, type ArtifactSource } from "./artifact-source";
import { Host, remoteScript, shellQuote } from "./connection";
import { argsError, type Issue } from "./issues";
import { artifactOrigin, type BinaryReleaseFacts } from "./facts";
import type { ReleaseNeed } from "./needs";

/** Arguments of {@link BinaryRelease}. */
export interface BinaryReleaseArgs {
    /** The host the binaries are installed on. */
    host: Host;
    /** Release name, used in the install path: /opt/k8s-binary/<name>/<version>. E.g. "etcd". */
    name: string;
    /** Release version, used in the install path. E.g. "3.5.17". */
    version: string;
    /** URL of the artifact, fetched on the host with curl or wget. Exactly one of `url` and `localPath`. */
    url?: string;
    /** Path of the artifact on the machine running Pulumi (air-gapped installs); uploaded over SFTP. */
    localPath?: string;
    /** Expected sha256 (hex) of the artifact: checked before anything is unpacked. Exactly one of `sha256` and `sha512`. */
    sha256?: string;
    /** Expected sha512 (hex), for artifacts whose publisher gives only that (Kubernetes tarballs). Exactly one of `sha256` and `sha512`. */
    sha512?: string;
    /** What the artifact is: a gzipped tarball, or a single executable. */
    archive: "tar.gz" | "binary";
    /** Names of the executables to install (searched anywhere inside a tarball; for a single binary, its one name). */
    binaries: string[];
    /** Member path inside the tarball for binaries whose file is named otherwise (e.g. { flannel: "./flannel-amd64" }). Default: found by name. */
    archivePaths?: Record<string, string>;
    /** Directory of the stable links. Default: {@link DEFAULT_BIN_DIR}. */
    binDir?: string;
}

/** Where a release's stable links go unless told otherwise. */
export const DEFAULT_BIN_DIR = "/usr/local/bin";

/** Where releases are unpacked on hosts. */
export const RELEASE_ROOT = "/opt/k8s-binary";

/** A digest the artifact is checked against. */
export interface Checksum {
    algorithm: "sha256" | "sha512";
    /** Lowercase hex. */
    digest: string;
}

export interface InstallPlan {
    name: string;
    version: string;
    checksum: Checksum;
    archive: "tar.gz" | "binary";
    binaries: string[];
    archivePaths: Record<string, string>;
    binDir: string;
    /** Where the artifact comes from: an URL to fetch, or a file already staged on the host. */
    source: ArtifactSource;
    /** Who uses the version directory (the resource's name): its marker keeps the directory while others leave. */
    owner: string;
}

/**
 * Renders the idempotent install script. Order matters for "wrong checksum leaves the host
 * untouched": download to a private temp dir, verify, unpack there, move the finished version
 * directory into place in one rename, and only then switch the links. The version directory is
 * shared by every resource installing the same release on the host (a host holding several
 * roles): each leaves a marker in `.owners`, an installed release counts only with every binary
 * in place, and a release of the same name and version with another digest is refused while
 * others use the directory.
 */
export function renderInstallScript(plan: InstallPlan): string {
    const dest = `${RELEASE_ROOT}/${plan.name}/${plan.version}`;
    const fetch = renderFetch(plan.source, '"$work/artifact"');
    const unpack = plan.archive === "tar.gz" ? [`tar -xzf "$work/artifact" -C "$work/unpacked"`] : [`cp "$work/artifact" "$work/unpacked/${plan.binaries[0]}"`];
    const names = plan.binaries.map(shellQuote).join(" ");
    return [
        `dest=${shellQuote(dest)}`,
        `want=${shellQuote(plan.checksum.digest)}`,
        `owner=${shellQuote(plan.owner)}`,
        `installed() {`,
        `  [ "$(cat "$dest/.checksum" 2>/dev/null)" = "$want" ] || return 1`,
        `  for b in ${names}; do [ -f "$dest/$b" ] && [ -x "$dest/$b" ] || return 1; done`,
        `}`,
        `if ! installed; then`,
        `  others=$(ls -A "$dest/.owners" 2>/dev/null | grep -vxF "$owner" | xargs) || true`,
        `  have=$(cat "$dest/.checksum" 2>/dev/null) || true`,
        `  if [ -n "$others" ] && [ -n "$have" ] && [ "$have" != "$want" ]; then`,
        `    echo "$dest holds ${plan.name} ${plan.version} with digest $have for $others; a release of that name and version with digest $want cannot share it (give it another version or name)" >&2`,
        `    exit 1`,
        `  fi`,
        `  work=$(mktemp -d ${STAGING_DIR}/k8s-binary.XXXXXX)`,
        `  trap 'rm -rf "$work"' EXIT`,
        ...fetch.map((l) => `  ${l}`),
        `  got=$(${plan.checksum.algorithm}sum "$work/artifact" | cut -d' ' -f1)`,
        `  if [ "$got" != "$want" ]; then`,
        `    echo "${plan.checksum.algorithm} mismatch for ${plan.name} ${plan.version} from $src: expected $want, got $got; nothing was installed" >&2`,
        `    exit 1`,
        `  fi`,
        `  mkdir "$work/unpacked" "$work/version"`,
        ...unpack.map((l) => `  ${l}`),
        ...plan.binaries.map((b) => {
            const member = plan.archivePaths[b];
            const find =
                member !== undefined
                    ? `found=$work/unpacked/${shellQuote(member.replace(/^\.\//, ""))}; [ -f "$found" ] || found=""`
                    : `found=$(find "$work/unpacked" -type f -name ${shellQuote(b)} | head -n 1)`;
            return [
                `  ${find}`,
                `  if [ -z "$found" ]; then echo "${plan.name} ${plan.version}: no file ${member ?? `named ${b}`} in the artifact from $src" >&2; exit 1; fi`,
                `  install -m 0755 "$found" "$work/version/${b}"`,
            ].join("\n");
        }),
        `  echo "$want" > "$work/version/.checksum"`,
        // The other users' markers move with the repaired directory.
        `  if [ -d "$dest/.owners" ]; then cp -a "$dest/.owners" "$work/version/"; fi`,
        `  mkdir -p "$(dirname "$dest")"`,
        `  rm -rf "$dest"`,
        `  mv "$work/version" "$dest"`,
        `fi`,
        `mkdir -p "$dest/.owners" && touch "$dest/.owners/$owner"`,
        ...renderStagedCleanup(plan.source),
        `mkdir -p ${shellQuote(plan.binDir)}`,
        `for b in ${names}; do`,
        // Swap each link atomically so a running service never sees a missing binary.
        `  ln -sfn "$dest/$b" ${shellQuote(plan.binDir)}/.$b.k8s-binary`,
        `  mv -Tf ${shellQuote(plan.binDir)}/.$b.k8s-binary ${shellQuote(plan.binDir)}/$b`,
        `  [ -x ${shellQuote(plan.binDir)}/$b ] || { echo "${plan.binDir}/$b does not lead to an executable after linking" >&2; exit 1; }`,
        `done`,
    ].join("\n");
}

/**
 * Renders the removal script: this resource's marker goes; while other resources still use the
 * version, nothing else does; the last user drops the links that point into the version, then
 * the version itself.
 */
export function renderUninstallScript(plan: Pick<InstallPlan, "name" | "version" | "binaries" | "binDir" | "owner">): string {
    const dest = `${RELEASE_ROOT}/${plan.name}/${plan.version}`;
    return [
        `dest=${shellQuote(dest)}`,
        `rm -f "$dest/.owners/"${shellQuote(plan.owner)}`,
        `others=$(ls -A "$dest/.owners" 2>/dev/null | xargs) || true`,
        `if [ -n "$others" ]; then echo "$dest stays: $others still use it"; exit 0; fi`,
        `for b in ${plan.binaries.map(shellQuote).join(" ")}; do`,
        `  link=${shellQuote(plan.binDir)}/$b`,
        `  if [ "$(readlink "$link" 2>/dev/null)" = "$dest/$b" ]; then rm -f "$link"; fi`,
        `done`,
        `rm -rf "$dest"`,
    ].join("\n");
}

/**
 * A release installed on a host, as handed to the components that run its binaries: they
 * depend on `command` and restart on `checksum` instead of installing it themselves.
 */
export interface InstalledRelease {
    /** Release name, e.g. "etcd". */
    readonly name: string;
    /** Release version. */
    readonly version: string;
    /** The versioned directory holding the binaries. */
    readonly installDir: string;
    /** Each binary's stable path (the link), by name. */
    readonly paths: Record<string, string>;
    /** The artifact's verified digest, resolving once installed: put it in a SystemdUnit's `restartOn`. */
    readonly checksum: pulumi.Output<string>;
    /** The install step (for `dependsOn`). */
    readonly command: pulumi.Resource;
}

/** BinaryRelease's Args for a declared release need. */
export function releaseArgsFor(host: Host, need: ReleaseNeed, binDir?: string): BinaryReleaseArgs {
    return {
        host,
        name: need.name,
        version: need.version,
        url: need.url,
        localPath: need.localPath,
        [need.checksum.algorithm]: need.checksum.digest,
        archive: need.archive,
        binaries: need.binaries,
        archivePaths: need.archivePaths,
        binDir,
    };
}

/**
 * Release binaries on a host: fetched (or uploaded), checksum-verified before unpacking,
 * installed under /opt/k8s-binary/<name>/<version> with stable links in binDir. Re-running
 * with the same version and checksum only re-asserts the links.
 */
export class BinaryRelease extends pulumi.ComponentResource implements InstalledRelease {
    /** Release name. */
    readonly name: string;
    /** Release version. */
    readonly version: string;
    /** The versioned directory holding the binaries. */
    readonly installDir: string;
    /** Each binary's stable path (the link), by name. */
    readonly paths: Record<string, string>;
    /** The artifact's verified digest, resolving once installed: put it in a SystemdUnit's `restartOn`. */
    readonly checksum: pulumi.Output<string>;
    /** The install step (for `dependsOn`). */
    readonly command: command.remote.Command;
    /** What this puts on the host, registered as the `facts` output. */
    readonly facts: BinaryReleaseFacts;

    constructor(name: string, args: BinaryReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:BinaryRelease", name, {}, opts);
        const issues = releaseArgsIssues(args);
        if (issues.length > 0) throw argsError(this, "BinaryRelease", name, issues);
        this.name = args.name;
        this.version = args.version;
        const binDir = args.binDir ?? DEFAULT_BIN_DIR;
        const checksum: Checksum =
            args.sha256 !== undefined
                ? { algorithm: "sha256", digest: args.sha256.toLowerCase() }
                : { algorithm: "sha512", digest: args.sha512!.toLowerCase() };
        this.installDir = `${RELEASE_ROOT}/${args.name}/${args.version}`;
        this.paths = Object.fromEntries(args.binaries.map((b) => [b, `${binDir}/${b}`]));

        const { source, dependsOn } = artifactSource(name, args.host, args, checksum.digest, this);
        const plan: InstallPlan = {
            name: args.name,
            version: args.version,
            checksum,
            archive: args.archive,
            binaries: args.binaries,
            archivePaths: args.archivePaths ?? {},
            binDir,
            source,
            owner: name,
        };
        this.command = new command.remote.Command(
            `${name}-install`,
            {
                connection: args.host.connection,
                create: remoteScript(args.host, renderInstallScript(plan)),
                delete: remoteScript(args.host, renderUninstallScript(plan)),
                logging: "stderr",
            },
            { parent: this, dependsOn },
        );
        this.checksum = this.command.create.apply(() => checksum.digest);
        this.facts = {
            kind: "release",
            host: args.host.name,
            name: args.name,
            version: args.version,
            source: artifactOrigin(args),
            checksum: `${checksum.algorithm}:${checksum.digest}`,
            binaries: [...args.binaries],
            installDir: this.installDir,
            binDir,
        };
        this.registerOutputs({ installDir: this.installDir, checksum: this.checksum, facts: this.facts });
    }
}

function releaseArgsIssues(args: BinaryReleaseArgs): Issue[] {
    const issues: Issue[] = [];
    const add = (path: string, message: string, hint: string) => issues.push({ path, message, hint });
    if ((args.url === undefined) === (args.localPath === undefined))
        add("url", "give exactly one of url and localPath", "a URL the host fetches, or the artifact's path on this machine");
    if ((args.sha256 === undefined) === (args.sha512 === undefined))
        add("sha256", "give exactly one of sha256 and sha512", "pin the artifact with the digest its publisher gives");
    if (args.sha256 !== undefined && !/^[0-9a-fA-F]{64}$/.test(args.sha256))
        add("sha256", `"${args.sha256}" is not 64 hex characters`, "copy it from the release's checksum file");
    if (args.sha512 !== undefined && !/^[0-9a-fA-F]{128}$/.test(args.sha512))
        add("sha512", `"${args.sha512}" is not 128 hex characters`, "copy it from the release's checksum file");
    if (args.binaries.length === 0) add("binaries", "is empty", "name at least one executable to install");
    if (args.archive === "binary" && args.binaries.length !== 1)
        add("binaries", `a single-binary artifact installs exactly one binary, not ${args.binaries.length}`, "name the one executable");
    for (const [i, b] of args.binaries.entries())
        if (!/^[A-Za-z0-9._-]+$/.test(b)) add(`binaries[${i}]`, `"${b}" must be a plain file name`, "no slashes or spaces");
    for (const [b, member] of Object.entries(args.archivePaths ?? {})) {
        if (!args.binaries.includes(b)) add(`archivePaths.${b}`, `names "${b}", which is not in binaries`, "add it to binaries or drop the entry");
        if (member.split("/").includes("..") || member.startsWith("/"))
            add(`archivePaths.${b}`, `"${member}" must be a relative path inside the archive`, "give the member path as tar lists it");
    }
    if (!/^[A-Za-z0-9._-]+$/.test(args.name)) add("name", `"${args.name}" must be a plain path segment`, "letters, digits, '.', '_', '-'");
    if (!/^[A-Za-z0-9._+-]+$/.test(args.version)) add("version", `"${args.version}" must be a plain path segment`, "letters, digits, '.', '_', '+', '-'");
    return issues;
}
