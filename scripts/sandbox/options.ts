// The sandbox's command line (pure): a command and the options that pick the cluster.
import { TOPOLOGIES, type TopologyName } from "./topology";

export type Command = "up" | "preview" | "status" | "down";
export type FlannelMode = "daemonset" | "systemd-kube" | "systemd-etcd";
export type FlannelBackend = "vxlan" | "host-gw";

/** What the cluster looks like: kept in the sandbox folder, so a bare `up` repeats the last one. */
export interface SandboxOptions {
    topology: TopologyName;
    flannel: FlannelMode;
    backend: FlannelBackend;
}

export const DEFAULT_OPTIONS: SandboxOptions = { topology: "seed001", flannel: "daemonset", backend: "vxlan" };

export const USAGE = `usage: npm run sandbox -- <command> [options]

commands:
  up        start the hosts (when not running) and run \`pulumi up\` of this program on them
  preview   what \`up\` would change, after you edited the sandbox's stack file
  status    the hosts, the kubeconfig, how to reach them
  down      remove everything the sandbox made (hosts, state, files)

options of up (default: the last up's, else the first of each):
  --topology ${Object.keys(TOPOLOGIES).join("|")}
${Object.entries(TOPOLOGIES)
    .map(([name, t]) => `      ${name}: ${t.summary}`)
    .join("\n")}
  --flannel daemonset|systemd-kube|systemd-etcd
  --backend vxlan|host-gw`;

const CHOICES = {
    "--topology": Object.keys(TOPOLOGIES),
    "--flannel": ["daemonset", "systemd-kube", "systemd-etcd"],
    "--backend": ["vxlan", "host-gw"],
} as const;

/** The parsed command line; `options` holds only what was given. */
export interface ParsedArgs {
    command: Command;
    options: Partial<SandboxOptions>;
}

/** Parses `argv` (after the script's name); throws with the usage on anything it does not know. */
export function parseArgs(argv: string[]): ParsedArgs {
    const [command, ...rest] = argv;
    if (!["up", "preview", "status", "down"].includes(command)) throw new Error(command ? `unknown command "${command}"\n\n${USAGE}` : USAGE);
    const options: Partial<SandboxOptions> = {};
    for (let i = 0; i < rest.length; i++) {
        const [flag, inline] = rest[i].split("=", 2) as [keyof typeof CHOICES, string | undefined];
        const allowed: readonly string[] | undefined = CHOICES[flag];
        if (!allowed) throw new Error(`unknown option "${rest[i]}"\n\n${USAGE}`);
        if (command !== "up") throw new Error(`${flag} is an option of up only: ${command} works on the running sandbox`);
        const value = inline ?? rest[++i];
        if (value === undefined || !allowed.includes(value)) throw new Error(`${flag} takes one of ${allowed.join(", ")}; got ${value ?? "nothing"}`);
        const key = flag.slice(2) as keyof SandboxOptions;
        (options as Record<string, string>)[key] = value;
    }
    return { command: command as Command, options };
}
