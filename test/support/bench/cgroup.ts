import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { CGROUP_HIERARCHIES, cgroupDir } from "./layout";
import { sleep, sleepSync } from "./proc";

/** Creates a host's cgroup in every hierarchy its systemd will see. */
export function createHostCgroups(instance: number, host: string): void {
    for (const hierarchy of CGROUP_HIERARCHIES) mkdirSync(cgroupDir(hierarchy, instance, host), { recursive: true });
}

/**
 * SIGKILLs every process in a v2 cgroup subtree at once. Only bench hosts are ever placed in the
 * bench's cgroups, so this kills nothing the bench did not start.
 */
export function killCgroup(dir: string): void {
    try {
        writeFileSync(join(dir, "cgroup.kill"), "1");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
}

/** True while any process lives in the v2 cgroup subtree. */
export function isPopulated(dir: string): boolean {
    try {
        return /^populated 1$/m.test(readFileSync(join(dir, "cgroup.events"), "utf8"));
    } catch {
        return false;
    }
}

export async function waitUntilEmpty(dir: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (isPopulated(dir)) {
        if (Date.now() > deadline) throw new Error(`processes still alive in ${dir} after ${timeoutMs} ms`);
        await sleep(20);
    }
}

export function waitUntilEmptySync(dir: string, timeoutMs: number): void {
    const deadline = Date.now() + timeoutMs;
    while (isPopulated(dir) && Date.now() < deadline) sleepSync(20);
}

/** Every PID in a cgroup subtree. */
export function cgroupPids(dir: string): number[] {
    const pids: number[] = [];
    const walk = (d: string): void => {
        let entries;
        try {
            entries = readdirSync(d, { withFileTypes: true });
            for (const line of readFileSync(join(d, "cgroup.procs"), "utf8").split("\n")) {
                if (line) pids.push(Number(line));
            }
        } catch {
            return;
        }
        for (const entry of entries) if (entry.isDirectory()) walk(join(d, entry.name));
    };
    walk(dir);
    return pids;
}

/** Removes an empty cgroup subtree, children first; a cgroup whose last task is still exiting is retried. */
export function removeCgroupTree(dir: string): void {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
    }
    for (let attempt = 0; ; attempt++) {
        try {
            rmdirSync(dir);
            return;
        } catch (error) {
            const code = (error as NodeJS.ErrnoException).code;
            if (code === "ENOENT") return;
            if (code !== "EBUSY" || attempt >= 100) throw error;
            sleepSync(20);
        }
    }
}

/**
 * Removes an instance's cgroups in every hierarchy. The shared `k8s-binary-bench` parent stays:
 * removing it could race with another instance creating its own cgroups inside.
 */
export function removeInstanceCgroups(instance: number): void {
    for (const hierarchy of CGROUP_HIERARCHIES) removeCgroupTree(cgroupDir(hierarchy, instance));
}

/** Empties a stopped host's cgroups of what its last boot created, so the next boot starts clean. */
export function resetHostCgroups(instance: number, host: string): void {
    for (const hierarchy of CGROUP_HIERARCHIES) {
        const dir = cgroupDir(hierarchy, instance, host);
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
        }
    }
}
