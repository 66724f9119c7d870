import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Host, remoteScript, shellQuote } from "./connection";
import { argsError, type Issue } from "./issues";
import { contentFacts, type RemoteFileFacts } from "./facts";
import { sha256Hex } from "./fingerprint";
import { pathSlug } from "./names";

/** Arguments of {@link RemoteFile}. */
export interface RemoteFileArgs {
    /** The host the file is written on. */
    host: Host;
    /** Absolute path of the file on the host. Changing it writes the new path and removes the old. */
    path: string;
    /** The file's content. May be a secret: it travels on stdin only and is never logged. */
    content: pulumi.Input<string>;
    /** Octal mode of the file. Default: "0644"; use "0600" for keys and tokens. */
    mode?: string;
    /** Owner of the file. Default: "root". */
    owner?: string;
    /** Group of the file. Default: the owner's name when owner is set, else "root". */
    group?: string;
}

/**
 * Where a file's owning resource is recorded: when a resource is renamed, Pulumi creates the new
 * one before deleting the old, and the old one's delete must then leave the file alone.
 */
export const OWNER_DIR = "/var/lib/k8s-binary/owners";

/** Renders the script that writes stdin to `path` atomically with the given mode and owner. */
export function renderWriteFileScript(path: string, mode: string, owner: string, group: string, resource: string): string {
    const p = shellQuote(path);
    return [
        `path=${p}`,
        `mkdir -p ${OWNER_DIR}`,
        `echo ${shellQuote(resource)} > ${OWNER_DIR}/$(printf %s "$path" | sha256sum | cut -c1-32)`,
        `dir=$(dirname "$path")`,
        `mkdir -p "$dir"`,
        // mktemp creates the file 0600, so secret content is never readable by others, even briefly.
        `tmp=$(mktemp "$dir/.k8s-binary.XXXXXX")`,
        `trap 'rm -f "$tmp"' EXIT`,
        `cat > "$tmp"`,
        `chown ${shellQuote(`${owner}:${group}`)} "$tmp"`,
        `chmod ${shellQuote(mode)} "$tmp"`,
        `mv -f "$tmp" "$path"`,
        `trap - EXIT`,
    ].join("\n");
}

/** Renders the removal script: the file goes only while this resource still owns it. */
export function renderRemoveFileScript(path: string, resource: string): string {
    return [
        `path=${shellQuote(path)}`,
        `marker=${OWNER_DIR}/$(printf %s "$path" | sha256sum | cut -c1-32)`,
        `if [ "$(cat "$marker" 2>/dev/null)" = ${shellQuote(resource)} ]; then rm -f "$path" "$marker"; fi`,
    ].join("\n");
}

/**
 * A file on a host, written atomically (temp file + rename) from content sent on stdin.
 * A content change rewrites it in place; deleting the resource removes the file.
 */
export class RemoteFile extends pulumi.ComponentResource {
    /** The path on the host. */
    readonly path: string;
    /**
     * sha256 of the content as written: it resolves only after the write succeeded, so a step
     * that takes it (a SystemdUnit's `restartOn`) runs after the file is in place.
     */
    readonly contentHash: pulumi.Output<string>;
    /** The command that writes the file (for `dependsOn`). */
    readonly command: command.remote.Command;
    /** What this puts on the host, registered as the `facts` output (content only when not secret). */
    readonly facts: pulumi.Output<RemoteFileFacts>;

    constructor(name: string, args: RemoteFileArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:RemoteFile", name, {}, opts);
        const issues = fileArgsIssues(args);
        if (issues.length > 0) throw argsError(this, "RemoteFile", name, issues);
        const mode = args.mode ?? "0644";
        const owner = args.owner ?? "root";
        const group = args.group ?? (args.owner ? args.owner : "root");
        this.path = args.path;
        this.command = new command.remote.Command(
            `${name}-write`,
            {
                connection: args.host.connection,
                create: remoteScript(args.host, renderWriteFileScript(args.path, mode, owner, group, name)),
                delete: remoteScript(args.host, renderRemoveFileScript(args.path, name)),
                stdin: args.content,
                // A new path is a new file: write it, then delete the old one.
                triggers: [args.path],
                logging: "stderr",
            },
            { parent: this },
        );
        this.contentHash = this.command.stdin.apply((s) => sha256Hex(s ?? ""));
        this.facts = contentFacts(args.content).apply((c) => ({ kind: "file" as const, host: args.host.name, path: args.path, mode, owner, group, ...c }));
        this.registerOutputs({ path: this.path, contentHash: this.contentHash, facts: this.facts });
    }
}

function fileArgsIssues(args: RemoteFileArgs): Issue[] {
    const issues: Issue[] = [];
    if (!args.path.startsWith("/")) issues.push({ path: "path", message: `"${args.path}" on ${args.host.name} must be absolute`, hint: "start it with /" });
    if (args.mode !== undefined && !/^[0-7]{3,4}$/.test(args.mode))
        issues.push({ path: "mode", message: `"${args.mode}" must be octal`, hint: 'write it like "0644"' });
    return issues;
}

/** The conventional resource name of a file on a host: `<host>-<path slug>`. */
export function remoteFileName(host: Host, path: string): string {
    return `${host.name}-${pathSlug(path)}`;
}
