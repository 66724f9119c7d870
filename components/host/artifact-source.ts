import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Host, shellQuote } from "./connection";

/** Where a release or image archive comes from: an URL the host fetches, or a file uploaded to the host first. */
export type ArtifactSource = { url: string } | { stagedPath: string };

/** Where uploads wait on a host for the step that verifies and installs them. */
export const STAGING_DIR = "/var/tmp";

/**
 * The script lines that put the artifact at `target` (a path inside the step's private temp dir)
 * and name its origin `$src` for error messages. A staged upload is copied, and removed by the
 * lines of {@link renderStagedCleanup} once the step is done with it.
 */
export function renderFetch(source: ArtifactSource, target: string): string[] {
    if ("stagedPath" in source) return [`src=${shellQuote(source.stagedPath)}`, `cp "$src" ${target}`];
    return [
        `src=${shellQuote(source.url)}`,
        `if command -v curl >/dev/null; then curl -fsSL --retry 3 -o ${target} "$src"`,
        `elif command -v wget >/dev/null; then wget -q -O ${target} "$src"`,
        `else echo "neither curl nor wget is installed on $(hostname); install one or use localPath" >&2; exit 1; fi`,
    ];
}

/** Removes a staged upload (nothing for an URL): the last lines of a step that used one. */
export function renderStagedCleanup(source: ArtifactSource): string[] {
    return "stagedPath" in source ? [`rm -f ${shellQuote(source.stagedPath)}`] : [];
}

/**
 * The source of an artifact given as `url` or `localPath`: a local file is uploaded over SFTP to a
 * staging file named by its digest (so a changed file is a new upload), and the returned resources
 * are what the installing step must wait for.
 */
export function artifactSource(
    name: string,
    host: Host,
    given: { url?: string; localPath?: string },
    digest: string,
    parent: pulumi.Resource,
): { source: ArtifactSource; dependsOn: pulumi.Resource[] } {
    if (given.localPath === undefined) return { source: { url: given.url! }, dependsOn: [] };
    const stagedPath = `${STAGING_DIR}/k8s-binary-${digest.slice(0, 32)}-${path.basename(given.localPath)}`;
    const upload = new command.remote.CopyToRemote(
        `${name}-upload`,
        {
            connection: host.connection,
            source: new pulumi.asset.FileAsset(given.localPath),
            remotePath: stagedPath,
            triggers: [digest],
        },
        { parent },
    );
    return { source: { stagedPath }, dependsOn: [upload] };
}
