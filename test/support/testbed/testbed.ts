import { chmodSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { testbedAvailable } from "./availability";
import { diskPressureProblem } from "./disk";
import { type HostPaths, hostPaths, renderBootScript } from "./boot";
import { cgroupPids, createHostCgroups, hostCgroups, type InstanceCgroups, isPopulated, killCgroup, resetHostCgroups, thawFreezers } from "./cgroup";
import { onProcessExit, teardownInstanceSync } from "./cleanup";
import { allowMirrorPort, createFirewall } from "./firewall";
import { type DirectoryServer, serveDirectory } from "./http";
import {
    checkClusterRanges,
    DEFAULT_POD_CIDR,
    DEFAULT_SERVICE_CIDR,
    gatewayAddress,
    HOST_NAME_PATTERN,
    hostAddress,
    instanceAddress,
    MAX_HOSTS,
    netnsName,
    subnet,
} from "./layout";
import { createNetwork } from "./network";
import { runSync, sleep } from "./proc";
import { claimInstance, releaseInstance } from "./registry";
import { createWhiteoutDevice, prepareHostRoot, renderHostsFile } from "./root";
import { generateKeyPair, renderSshdConfig } from "./sshd";
import { execInHost, type HostTarget, type LaunchedHost, launchHost, waitForBoot, waitForInit } from "./systemd";
import type { Testbed, TestbedHost, TestbedOptions, TestbedTimings, ExecOptions, ExecResult } from "./types";

interface HostState {
    info: TestbedHost;
    paths: HostPaths;
    cgroups: InstanceCgroups;
    launched?: LaunchedHost;
    target?: HostTarget;
}

const DEFAULT_BOOT_TIMEOUT_MS = 120_000;

function since(start: number): number {
    return Math.round(performance.now() - start);
}

class RunningTestbed implements Testbed {
    readonly subnet: string;
    readonly gateway: string;
    readonly hosts: TestbedHost[] = [];
    readonly timings: TestbedTimings = { claimMs: 0, setupMs: 0, bootMs: 0, totalMs: 0, hostBootMs: {} };
    readonly privateKeyPath: string;
    readonly knownHostsPath: string;
    private readonly states = new Map<string, HostState>();
    private readonly servers: DirectoryServer[] = [];
    private readonly unregisterExitHook: () => void;
    private stopped = false;

    constructor(
        readonly instance: number,
        readonly stateDir: string,
        private readonly cgroups: InstanceCgroups,
        readonly reclaimed: readonly number[],
        readonly podCidr: string,
        readonly serviceCidr: string,
        private readonly bootTimeoutMs: number,
    ) {
        this.subnet = subnet(instance);
        this.gateway = gatewayAddress(instance);
        this.privateKeyPath = join(stateDir, "id_ed25519");
        this.knownHostsPath = join(stateDir, "known_hosts");
        this.unregisterExitHook = onProcessExit(() => this.stopSync());
    }

    async setUp(names: string[]): Promise<void> {
        const addresses = names.map((name, index) => ({ name, index, address: hostAddress(this.instance, index) }));
        const paths = names.map((name) => hostPaths(this.stateDir, name));
        for (const { upper, work, containerd } of paths) {
            for (const dir of [upper, work, containerd]) mkdirSync(dir, { recursive: true });
        }
        const whiteoutDevice = join(this.stateDir, "whiteout");
        const [client, hostKeys] = await Promise.all([
            generateKeyPair(this.privateKeyPath, `k8s-binary-bench-${this.instance}`),
            Promise.all(names.map((name, i) => generateKeyPair(join(paths[i].dir, "ssh_host_ed25519_key"), `root@${name}`))),
            createNetwork(this.instance, names),
            createFirewall(this.instance),
            createWhiteoutDevice(whiteoutDevice),
        ]);
        const hostsFile = renderHostsFile(addresses);
        for (const { name, index, address } of addresses) {
            const hostKey = hostKeys[index];
            prepareHostRoot({
                upper: paths[index].upper,
                hostname: name,
                hostsFile,
                sshdConfig: renderSshdConfig(address),
                hostKey,
                authorizedKey: client.publicKey,
                whiteoutDevice,
            });
            createHostCgroups(this.cgroups, name);
            const cgroups = hostCgroups(this.cgroups, name);
            writeFileSync(paths[index].script, renderBootScript(paths[index], cgroups));
            chmodSync(paths[index].script, 0o755);
            const info: TestbedHost = {
                name,
                address,
                connection: { host: address, port: 22, user: "root", privateKey: client.privateKey },
                hostKey: hostKey.publicKey,
                netns: netnsName(this.instance, name),
            };
            this.hosts.push(info);
            this.states.set(name, { info, paths: paths[index], cgroups });
        }
        writeFileSync(this.knownHostsPath, this.hosts.map((host) => `${host.address} ${host.hostKey}\n`).join(""));
    }

    /** Boots one host and waits until it is up; returns the boot's milliseconds. */
    async boot(name: string): Promise<number> {
        const state = this.state(name);
        if (state.launched) throw new Error(`testbed host ${name} is running already`);
        const start = performance.now();
        const deadline = Date.now() + this.bootTimeoutMs;
        // Power on: the host's own address on a link that is up (a crash took both away), and the
        // service range on the wire, where kube-proxy's NAT catches it (there is no default route).
        for (const args of [
            ["addr", "replace", `${state.info.address}/24`, "dev", "eth0"],
            ["link", "set", "eth0", "up"],
            ["route", "replace", this.serviceCidr, "dev", "eth0"],
        ]) {
            const r = runSync("ip", ["-n", state.info.netns, ...args]);
            if (r.code !== 0) throw new Error(`testbed host ${name}: ip ${args.join(" ")}: ${r.stderr}`);
        }
        state.launched = launchHost(state.paths, state.info.netns);
        try {
            const target = { initPid: await waitForInit(state.paths, state.launched, deadline), cgroups: state.cgroups };
            await waitForBoot(target, state.paths, state.launched, deadline);
            state.target = target;
        } catch (error) {
            // A host that did not come up is not left half-running.
            await this.killHost(name).catch(() => undefined);
            throw error;
        }
        const ms = since(start);
        this.timings.hostBootMs[name] = ms;
        return ms;
    }

    private state(name: string): HostState {
        const state = this.states.get(name);
        if (!state) throw new Error(`no testbed host named ${name}`);
        return state;
    }

    host(name: string): TestbedHost {
        return this.state(name).info;
    }

    address(octet: number): string {
        return instanceAddress(this.instance, octet);
    }

    pid1(host: string): number {
        const { target } = this.state(host);
        if (target === undefined) throw new Error(`testbed host ${host} is not running`);
        return target.initPid;
    }

    exec(host: string, command: string, options?: ExecOptions): Promise<ExecResult> {
        const { target } = this.state(host);
        if (target === undefined) return Promise.reject(new Error(`testbed host ${host} is not running`));
        return execInHost(target, command, options);
    }

    async serveDirectory(dir: string): Promise<string> {
        const server = await serveDirectory(dir, this.gateway);
        this.servers.push(server);
        await allowMirrorPort(this.instance, server.port);
        return server.url;
    }

    async killHost(host: string): Promise<void> {
        const state = this.state(host);
        const launched = state.launched;
        if (!launched) return;
        state.target = undefined;
        const cgroup = state.cgroups.unified;
        thawFreezers(state.cgroups.freezer);
        killCgroup(cgroup);
        const deadline = Date.now() + 10_000;
        while (!launched.exited() || isPopulated(cgroup)) {
            if (Date.now() > deadline) throw new Error(`testbed host ${host} did not die within 10 s`);
            // A runc killed while it held a container frozen leaves it so: thaw until all are gone.
            thawFreezers(state.cgroups.freezer);
            await sleep(10);
        }
        resetHostCgroups(this.cgroups, host);
        // A power cut also takes the host off the wire and loses what it configured at run
        // time (a VIP it held): its namespace outlives it, so do both here.
        runSync("ip", ["-n", state.info.netns, "link", "set", "eth0", "down"]);
        runSync("ip", ["-n", state.info.netns, "addr", "flush", "dev", "eth0"]);
        state.launched = undefined;
    }

    bootHost(host: string): Promise<number> {
        return this.boot(host);
    }

    memoryKiB(host: string): number {
        let total = 0;
        for (const pid of cgroupPids(this.state(host).cgroups.unified)) {
            try {
                const match = /^Pss:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, "utf8"));
                total += match ? Number(match[1]) : 0;
            } catch {
                // The process ended meanwhile.
            }
        }
        return total;
    }

    async stop(): Promise<void> {
        await Promise.all(this.servers.splice(0).map((server) => server.close()));
        this.stopSync();
    }

    stopSync(): void {
        if (this.stopped) return;
        this.stopped = true;
        this.unregisterExitHook();
        for (const server of this.servers.splice(0)) void server.close();
        for (const state of this.states.values()) {
            state.launched = undefined;
            state.target = undefined;
        }
        teardownInstanceSync(this.instance, this.stateDir, this.cgroups);
        releaseInstance(this.instance);
    }
}

/**
 * Starts a testbed: claims a free instance number N (cleaning up after dead runs first), makes the
 * bridge 10.77.N.1/24, and boots every host with systemd as PID 1 and sshd on its own address.
 * Throws with the reason when the machine cannot run a testbed (see `testbedAvailable`). The testbed
 * tears itself down when the process exits or is interrupted; call `stop()` when done anyway.
 */
export async function startTestbed(options: TestbedOptions): Promise<Testbed> {
    const names = options.hosts;
    if (names.length === 0 || names.length > MAX_HOSTS) throw new Error(`a testbed has 1 to ${MAX_HOSTS} hosts`);
    for (const name of names) {
        if (!HOST_NAME_PATTERN.test(name)) throw new Error(`bad testbed host name "${name}" (want ${HOST_NAME_PATTERN})`);
    }
    if (new Set(names).size !== names.length) throw new Error("testbed host names must be unique");

    const podCidr = options.podCidr ?? DEFAULT_POD_CIDR;
    const serviceCidr = options.serviceCidr ?? DEFAULT_SERVICE_CIDR;
    checkClusterRanges(podCidr, serviceCidr);
    const availability = testbedAvailable();
    if (!availability.ok) throw new Error(availability.reason);
    const disk = diskPressureProblem();
    if (disk) throw new Error(disk);

    const start = performance.now();
    const claim = claimInstance();
    const claimMs = since(start);
    const testbed = new RunningTestbed(
        claim.instance,
        claim.stateDir,
        claim.cgroups,
        claim.reclaimed,
        podCidr,
        serviceCidr,
        options.bootTimeoutMs ?? DEFAULT_BOOT_TIMEOUT_MS,
    );
    try {
        const setupStart = performance.now();
        await testbed.setUp(names);
        const setupMs = since(setupStart);
        const bootStart = performance.now();
        await Promise.all(names.map((name) => testbed.boot(name)));
        Object.assign(testbed.timings, { claimMs, setupMs, bootMs: since(bootStart), totalMs: since(start) });
    } catch (error) {
        testbed.stopSync();
        throw error;
    }
    return testbed;
}
