import type { RunOptions, RunResult } from "./proc";

/* The testbed's public types: what tests see of it. */

/** Options of `startTestbed`. */
export interface TestbedOptions {
    /** Host names (lowercase, `[a-z][a-z0-9-]*`, at most 20 characters), in address order: the first is 10.77.N.11. */
    hosts: string[];
    /** Give up when the hosts have not booted after this many milliseconds. Default: 120000. */
    bootTimeoutMs?: number;
    /**
     * The clusters' pod range (`Testbed.podCidr`). Both ranges must lie in 10.77.224.0/19, which no
     * instance's subnet uses and the machine blackholes, and must not overlap. Default: 10.77.224.0/20.
     */
    podCidr?: string;
    /** The clusters' service range (`Testbed.serviceCidr`), routed out of every host's eth0. Default: 10.77.240.0/24. */
    serviceCidr?: string;
}

/** SSH settings of a testbed host, shaped like @pulumi/command's `ConnectionArgs`. */
export interface TestbedConnection {
    host: string;
    port: number;
    user: string;
    /** The testbed's private key (OpenSSH ed25519), generated when the testbed started. */
    privateKey: string;
}

/** One host of the testbed; structurally a `Host` of components/host/connection.ts. */
export interface TestbedHost {
    /** Host name, also its hostname and the suffix of its network namespace. */
    name: string;
    /** Its address on the testbed bridge, 10.77.N.(11 + position). */
    address: string;
    connection: TestbedConnection;
    /** Its SSH host public key (`ssh-ed25519 AAAA...`), stable across `killHost`/`bootHost`. */
    hostKey: string;
    /** Its network namespace on the machine, `kbN-<name>` (for `ip netns exec`). */
    netns: string;
}

/** Result of `Testbed.exec`: exit code (128 + signal number when a signal ended it), stdout, stderr. */
export type ExecResult = RunResult;

/** Options of `Testbed.exec`: `input` (written to standard input), `timeoutMs` (SIGKILL after). */
export type ExecOptions = RunOptions;

/** Wall-clock milliseconds the start took. */
export interface TestbedTimings {
    /** Taking the registry lock, reclaiming dead instances, claiming a number. */
    claimMs: number;
    /** Bridge, namespaces, keys and host roots. */
    setupMs: number;
    /** All hosts booting in parallel until the last one is up (systemd done, ssh.service active). */
    bootMs: number;
    /** Whole `startTestbed`. */
    totalMs: number;
    /** Per host: its last boot, from launch until up. */
    hostBootMs: Record<string, number>;
}

/** A running testbed: hosts with systemd and sshd on a private bridge. */
export interface Testbed {
    /** The instance number N: the testbed owns 10.77.N.0/24. */
    readonly instance: number;
    /** `10.77.N.0/24` */
    readonly subnet: string;
    /** `10.77.N.1`: the machine's address on the bridge, the only one the hosts reach besides each other. */
    readonly gateway: string;
    readonly hosts: readonly TestbedHost[];
    readonly timings: TestbedTimings;
    /** Instances of dead runs this start cleaned up. */
    readonly reclaimed: readonly number[];
    /** The pod range for the clusters tests build on the hosts (`TestbedOptions.podCidr`). */
    readonly podCidr: string;
    /** The service range; every host routes it out of eth0, so ClusterIPs work without a default route. */
    readonly serviceCidr: string;
    /** The testbed's private key as a file (mode 600), for the `ssh` client: `ssh -i`. */
    readonly privateKeyPath: string;
    /** A known_hosts file with every host's address and host key: `ssh -o UserKnownHostsFile=... -o StrictHostKeyChecking=yes`. */
    readonly knownHostsPath: string;
    /** Temporary directory with the testbed's key and, per host, its disk and logs (`<host>/console.log`); removed by `stop()`. */
    readonly stateDir: string;
    /** The host of that name; throws when there is none. */
    host(name: string): TestbedHost;
    /** `10.77.N.<octet>`; octets 100-254 are never host addresses (use them for virtual IPs). */
    address(octet: number): string;
    /**
     * PID 1 (systemd) of a running host, as the machine numbers it: `nsenter --target <pid1> --mount
     * ...` enters the host, `/proc/<pid1>/root` is its root. It changes with every boot.
     */
    pid1(host: string): number;
    /**
     * Runs a bash command as root inside a host through its namespaces and cgroups, without SSH.
     * Never rejects on a non-zero exit.
     */
    exec(host: string, command: string, options?: ExecOptions): Promise<ExecResult>;
    /** Serves a directory over HTTP on the gateway address, the one port of the machine the hosts reach; returns its base URL (no trailing slash). */
    serveDirectory(dir: string): Promise<string>;
    /** SIGKILLs every process of a host at once, as a power cut would: its link goes down and its addresses (a VIP it held) are lost. Its disk stays. */
    killHost(host: string): Promise<void>;
    /** Boots a stopped host again from its kept disk; resolves when it is up, with the boot's milliseconds. */
    bootHost(host: string): Promise<number>;
    /** Proportional set size of all of a host's processes, in KiB. */
    memoryKiB(host: string): number;
    /** Ends every host and removes everything the testbed made on the machine. */
    stop(): Promise<void>;
}
