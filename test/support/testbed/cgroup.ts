import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { cgroupName } from "./layout";
import { sleepSync } from "./proc";

/*
 * A host gets its own cgroup in every hierarchy the machine mounts under /sys/fs/cgroup (the v1
 * controllers, name=systemd and the v2 tree), so its systemd, runc and kubelet find every
 * controller they need. Each sits below the starting process's own cgroup in that hierarchy:
 * a memory limit the process is under also covers its hosts.
 */

const CGROUP_ROOT = "/sys/fs/cgroup";

/**
 * An instance's cgroup directories, keyed by hierarchy name: the directory's name under
 * /sys/fs/cgroup (`memory`, `cpu`, `systemd` for name=systemd, `unified` for v2), which is also
 * where a host sees its own cgroup. Recorded in the registry, so a process in other cgroups can
 * still reclaim the instance.
 */
export type InstanceCgroups = Record<string, string>;

/** This process's cgroup in each hierarchy mounted under /sys/fs/cgroup, keyed by hierarchy name. */
function ownCgroups(): InstanceCgroups {
    // "4:memory:/a/b", "9:name=systemd:/", "0::/" (v2): controllers -> path.
    const paths = new Map<string, string>();
    for (const line of readFileSync("/proc/self/cgroup", "utf8").trim().split("\n")) {
        const match = /^\d+:([^:]*):(.*)$/.exec(line);
        if (match) paths.set(match[1], match[2]);
    }
    const own: InstanceCgroups = {};
    for (const line of readFileSync("/proc/self/mountinfo", "utf8").trim().split("\n")) {
        const [mount, fs] = line.split(" - ");
        const [, , , root, mountPoint] = mount.split(" ");
        const [type, , superOptions] = fs.split(" ");
        if (dirname(mountPoint) !== CGROUP_ROOT || (type !== "cgroup" && type !== "cgroup2")) continue;
        const options = new Set(superOptions.split(","));
        const key =
            type === "cgroup2" ? "" : [...paths.keys()].find((controllers) => controllers !== "" && controllers.split(",").every((c) => options.has(c)));
        const path = key === undefined ? undefined : paths.get(key);
        if (path !== undefined) own[basename(mountPoint)] = join(mountPoint, relative(root, path));
    }
    return own;
}

/** Where an instance's cgroups go for a process standing where this one does. */
export function instanceCgroups(instance: number): InstanceCgroups {
    return Object.fromEntries(Object.entries(ownCgroups()).map(([name, dir]) => [name, join(dir, cgroupName(instance))]));
}

/** A cpuset cgroup takes no process until it has CPUs and memory nodes: its parent's. */
function inheritCpuset(dir: string): void {
    for (const file of ["cpuset.cpus", "cpuset.mems"]) {
        if (existsSync(join(dir, file))) writeFileSync(join(dir, file), readFileSync(join(dirname(dir), file)));
    }
}

function makeCgroup(dir: string): void {
    if (existsSync(dir)) return;
    mkdirSync(dir);
    inheritCpuset(dir);
}

/** Creates the instance's cgroup and a host's below it in every hierarchy. */
export function createHostCgroups(cgroups: InstanceCgroups, host: string): void {
    for (const dir of Object.values(cgroups)) {
        makeCgroup(dir);
        makeCgroup(join(dir, host));
    }
}

/** A host's own cgroup directories (its cgroup-namespace roots), keyed by hierarchy name. */
export function hostCgroups(cgroups: InstanceCgroups, host: string): InstanceCgroups {
    return Object.fromEntries(Object.entries(cgroups).map(([name, dir]) => [name, join(dir, host)]));
}

/**
 * SIGKILLs every process in a v2 cgroup subtree at once. Only testbed hosts are ever placed in the
 * testbed's cgroups, so this kills nothing the testbed did not start.
 */
export function killCgroup(dir: string): void {
    try {
        writeFileSync(join(dir, "cgroup.kill"), "1");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
}

/**
 * Thaws every v1 freezer cgroup below `dir`. runc freezes a container's cgroup while it changes
 * its limits; killed halfway (a host's power cut, the testbed's stop), it leaves the cgroup FROZEN,
 * and a frozen process ignores SIGKILL: it would stay, in D state, and keep the cgroups busy.
 */
export function thawFreezers(dir: string | undefined): void {
    if (dir === undefined || !existsSync(dir)) return;
    try {
        writeFileSync(join(dir, "freezer.state"), "THAWED");
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
    }
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        if (entry.isDirectory()) thawFreezers(join(dir, entry.name));
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

/** Waits until no process lives in the v2 cgroup subtree, running `meanwhile` before each look. */
export function waitUntilEmptySync(dir: string, timeoutMs: number, meanwhile: () => void = () => {}): void {
    const deadline = Date.now() + timeoutMs;
    for (meanwhile(); isPopulated(dir) && Date.now() < deadline; meanwhile()) sleepSync(20);
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

/** Removes an instance's cgroups in every hierarchy. */
export function removeInstanceCgroups(cgroups: InstanceCgroups): void {
    for (const dir of Object.values(cgroups)) removeCgroupTree(dir);
}

/** Empties a stopped host's cgroups of what its last boot created, so the next boot starts clean. */
export function resetHostCgroups(cgroups: InstanceCgroups, host: string): void {
    for (const dir of Object.values(hostCgroups(cgroups, host))) {
        for (const entry of readdirSync(dir, { withFileTypes: true })) {
            if (entry.isDirectory()) removeCgroupTree(join(dir, entry.name));
        }
    }
}
