import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Host, remoteScript } from "./connection";
import { argsError } from "./issues";
import { RemoteFile } from "./remote-file";
import {
    DEFAULT_SYSCTL,
    FIREWALL_ENTRY,
    renderFirewallScript,
    renderHostnameScript,
    renderHostsBlock,
    renderHostsFileScript,
    renderKernelScript,
    renderModulesConf,
    renderPackagesScript,
    renderSelinuxScript,
    renderSwapOffScript,
    renderSysctlConf,
    renderTimeSyncScript,
} from "./prep-render";

/** Arguments of {@link HostPrep}. */
export interface HostPrepArgs {
    /** The host to prepare. */
    host: Host;
    /** Hostname to set. Default: the host's name. */
    hostname?: string;
    /** Entries of the managed /etc/hosts block (usually every cluster host). Default: none (block left empty). */
    hostsEntries?: { name: string; address: string }[];
    /** Kernel parameters written to /etc/sysctl.d/90-k8s-binary.conf and applied. Default: bridge-nf-call-ip(6)tables=1, ip_forward=1. */
    sysctl?: Record<string, string>;
    /** What to do when a sysctl value cannot be applied (read-only /proc/sys in containers): "fail" or "warn". Default: "fail". */
    sysctlFailure?: "fail" | "warn";
    /** Kernel modules the node cannot work without: loaded now and at boot; absent = failure. Default: ["br_netfilter", "overlay"]. */
    requiredModules?: string[];
    /** Kernel modules loaded when available (e.g. ip_vs for kube-proxy ipvs mode); absence is only reported. Default: []. */
    optionalModules?: string[];
    /** Packages installed through apt-get, dnf or yum when missing. Default: ["conntrack", "ipset", "socat", "curl"]. */
    packages?: string[];
    /** Turn swap off now and at boot (the kubelet refuses swap by default). Default: true. */
    disableSwap?: boolean;
    /** Firewall handling: "open" the `openPorts` in an active firewalld/ufw, "disable" firewalld/ufw, or "leave" it. Default: "open". */
    firewall?: "open" | "disable" | "leave";
    /** What to open with firewall "open": ports as "6443/tcp" or "30000-32767/tcp", IP protocols as "vrrp". Default: []. */
    openPorts?: string[];
    /** Set SELinux to permissive where it is enforcing. Default: true. */
    selinuxPermissive?: boolean;
    /** Fail when the clock is not synchronised (otherwise only reported). Default: false. */
    requireTimeSync?: boolean;
}

const SYSCTL_FILE = "/etc/sysctl.d/90-k8s-binary.conf";
const MODULES_FILE = "/etc/modules-load.d/k8s-binary.conf";

/**
 * Host preparation, once per host whatever its roles: hostname, /etc/hosts block, swap, kernel
 * modules and sysctl, packages, firewall, SELinux, clock. Every step is idempotent and re-runs
 * only when its own inputs change; `report` tells what each step found.
 */
export class HostPrep extends pulumi.ComponentResource {
    /** What the steps found (modules present or missing, swap, firewall, clock), one line each. */
    readonly report: pulumi.Output<string>;
    /** The last step; depend on it to run after the host is ready. */
    readonly ready: command.remote.Command;

    constructor(name: string, args: HostPrepArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:HostPrep", name, {}, opts);
        const host = args.host;
        const issues = (args.openPorts ?? []).flatMap((e, i) =>
            FIREWALL_ENTRY.test(e)
                ? []
                : [{ path: `openPorts[${i}]`, message: `"${e}" is not a firewall opening`, hint: 'write it like "6443/tcp", "30000-32767/udp" or "vrrp"' }],
        );
        if (issues.length > 0) throw argsError(this, "HostPrep", name, issues);
        const sysctl = args.sysctl ?? { ...DEFAULT_SYSCTL };
        const required = args.requiredModules ?? ["br_netfilter", "overlay"];
        const optional = args.optionalModules ?? [];
        const step = (suffix: string, script: string, extra: Partial<command.remote.CommandArgs> = {}, dependsOn: pulumi.Resource[] = []) =>
            new command.remote.Command(
                `${name}-${suffix}`,
                {
                    connection: host.connection,
                    create: remoteScript(host, script),
                    logging: "stderr",
                    ...extra,
                },
                { parent: this, dependsOn },
            );

        const hostname = step("hostname", renderHostnameScript(args.hostname ?? host.name));
        const hostsFile = step("etc-hosts", renderHostsFileScript(), { stdin: renderHostsBlock(args.hostsEntries ?? []) });
        const swap = step("swap", args.disableSwap === false ? `echo "swap: left as is"` : renderSwapOffScript());
        const sysctlFile = new RemoteFile(`${name}-sysctl`, { host, path: SYSCTL_FILE, content: renderSysctlConf(sysctl) }, { parent: this });
        const modulesFile = new RemoteFile(
            `${name}-modules`,
            { host, path: MODULES_FILE, content: renderModulesConf([...required, ...optional]) },
            { parent: this },
        );
        const packages = step("packages", renderPackagesScript(args.packages ?? ["conntrack", "ipset", "socat", "curl"]));
        // Modules before sysctl: the bridge-nf keys exist only once br_netfilter is loaded.
        const kernel = step(
            "kernel",
            renderKernelScript({
                requiredModules: required,
                optionalModules: optional,
                sysctlFile: SYSCTL_FILE,
                sysctlKeys: sysctl,
                sysctlFailure: args.sysctlFailure ?? "fail",
            }),
            {},
            [sysctlFile.command, modulesFile.command],
        );
        const firewall = step("firewall", renderFirewallScript(args.firewall ?? "open", args.openPorts ?? []));
        const selinux = step("selinux", args.selinuxPermissive === false ? `echo "selinux: left as is"` : renderSelinuxScript());
        const steps = [hostname, hostsFile, swap, packages, kernel, firewall, selinux];
        this.ready = step("time-sync", renderTimeSyncScript(args.requireTimeSync ?? false), {}, steps);
        this.report = pulumi.all([...steps, this.ready].map((s) => s.stdout)).apply((outs) =>
            outs
                .map((o) => o.trim())
                .filter((o) => o.length > 0)
                .join("\n"),
        );
        this.registerOutputs({ report: this.report });
    }
}
