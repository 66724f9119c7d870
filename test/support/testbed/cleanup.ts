import { rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, resolve } from "node:path";
import { type InstanceCgroups, killCgroup, removeInstanceCgroups, thawFreezers, waitUntilEmptySync } from "./cgroup";
import { removeFirewallSync } from "./firewall";
import { removeNetworkSync } from "./network";

/** Prefix of every testbed state directory in the temporary directory. */
export const STATE_DIR_PREFIX = "k8s-binary-bench-";

/** True for a path `mkdtemp` made for a testbed: the only directories teardown deletes. */
export function isTestbedStateDir(path: string): boolean {
    const full = resolve(path);
    return dirname(full) === resolve(tmpdir()) && basename(full).startsWith(STATE_DIR_PREFIX);
}

/**
 * Removes every trace of an instance from the machine: its hosts' processes (all in the
 * instance's v2 cgroup, which holds nothing else), namespaces, links, nft table, cgroups and state
 * directory. Works on a half-built instance and on one whose owner died; the host mounts live
 * only in the hosts' mount namespaces and vanish with their processes. Synchronous, so exit
 * hooks can run it.
 */
export function teardownInstanceSync(instance: number, stateDir: string | undefined, cgroups: InstanceCgroups): void {
    const unified = cgroups.unified;
    thawFreezers(cgroups.freezer);
    if (unified !== undefined) {
        killCgroup(unified);
        // A runc killed while it held a container frozen leaves it so: thaw until all are gone.
        waitUntilEmptySync(unified, 10_000, () => thawFreezers(cgroups.freezer));
    }
    removeNetworkSync(instance);
    removeFirewallSync(instance);
    removeInstanceCgroups(cgroups);
    if (stateDir !== undefined && isTestbedStateDir(stateDir)) rmSync(stateDir, { recursive: true, force: true });
}

const exitHooks = new Set<() => void>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function runExitHooks(): void {
    for (const hook of [...exitHooks]) {
        exitHooks.delete(hook);
        try {
            hook();
        } catch (error) {
            console.error("testbed cleanup failed:", error);
        }
    }
    uninstall();
}

function onSignal(signal: NodeJS.Signals): void {
    const alone = process.listenerCount(signal) === 1;
    runExitHooks();
    // Nobody else handles this signal: with the default action restored, re-raise it so the
    // process still dies of it.
    if (alone) process.kill(process.pid, signal);
}

const signalHandlers = new Map(SIGNALS.map((signal) => [signal, () => onSignal(signal)]));

function install(): void {
    process.on("exit", runExitHooks);
    for (const [signal, handler] of signalHandlers) process.on(signal, handler);
}

function uninstall(): void {
    process.removeListener("exit", runExitHooks);
    for (const [signal, handler] of signalHandlers) process.removeListener(signal, handler);
}

/**
 * Runs `hook` when the process exits or is ended by SIGINT, SIGTERM or SIGHUP, unless the returned
 * function is called first. A SIGKILLed process runs nothing: its hosts die with it (parent-death
 * signal) and the next testbed start reclaims the rest.
 */
export function onProcessExit(hook: () => void): () => void {
    if (exitHooks.size === 0) install();
    exitHooks.add(hook);
    return () => {
        exitHooks.delete(hook);
        if (exitHooks.size === 0) uninstall();
    };
}
