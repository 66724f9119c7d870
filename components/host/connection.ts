import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";

/** The SSH connection settings of @pulumi/command, re-exported so Args need one import only. */
export type ConnectionArgs = command.types.input.remote.ConnectionArgs;

/** A machine the cluster is installed on, as every component sees it. */
export interface Host {
    /** Unique host name: used in resource names (so URNs never collide) and as the hostname set by HostPrep. */
    name: string;
    /** The address other hosts reach this one on (an IPv4 address in the cluster's host subnet). */
    address: string;
    /** How the program reaches the host over SSH (user, port, key or agent, bastion, pinned host key). */
    connection: pulumi.Input<ConnectionArgs>;
    /** Run every remote script through `sudo -n` because the SSH user is not root. Default: false. */
    sudo?: boolean;
}

/**
 * Quotes a string for a POSIX shell: the result is one word whatever it contains. Plain words
 * stay bare, so the scripts in `pulumi preview` diffs read like the commands they are.
 */
export function shellQuote(value: string): string {
    if (/^[A-Za-z0-9@%+=:,./_-]+$/.test(value)) return value;
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/**
 * Turns a bash script into the command line a `remote.Command` runs: strict mode, and `sudo -n`
 * when the host needs it (`-n` fails at once instead of waiting for a password prompt that
 * cannot come without a PTY). Standard input passes through to the script untouched, which is
 * how secret content reaches hosts.
 */
export function remoteScript(host: Pick<Host, "sudo">, script: string): string {
    const body = `set -euo pipefail\n${script.trim()}\n`;
    const prefix = host.sudo ? "sudo -n " : "";
    return `${prefix}/bin/bash -c ${shellQuote(body)}`;
}
