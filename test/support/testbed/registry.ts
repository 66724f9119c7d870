import { spawnSync } from "node:child_process";
import { closeSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type InstanceCgroups, instanceCgroups } from "./cgroup";
import { STATE_DIR_PREFIX, teardownInstanceSync } from "./cleanup";
import { MAX_INSTANCE, MIN_INSTANCE, REGISTRY_DIR, REGISTRY_LOCK } from "./layout";
import { addBlackholeRoute, removeBlackholeRoute } from "./network";
import { isSameProcessAlive, processStartTime } from "./proc";

/*
 * Instances register as /run/k8s-binary-bench/<N>.json, naming their owner by (PID, start time).
 * Claiming a number, reclaiming the leftovers of dead owners, releasing a number and the shared
 * blackhole route all happen under one exclusive lock: flock(1) run on a descriptor of this
 * process locks its open file, so the lock is held until the descriptor is closed, and the
 * kernel drops it if this process dies: a crashed run can never wedge the next one.
 */

interface InstanceRecord {
    owner: { pid: number; startTime: string };
    stateDir: string;
    /** The instance's cgroups, which lie below its owner's own (another process stands elsewhere). */
    cgroups: InstanceCgroups;
    createdAt: string;
}

function recordPath(instance: number): string {
    return join(REGISTRY_DIR, `${instance}.json`);
}

/** Runs `fn` holding the registry lock (synchronous: exit hooks release instances too). */
export function withRegistryLock<T>(fn: () => T): T {
    mkdirSync(REGISTRY_DIR, { recursive: true, mode: 0o755 });
    const fd = openSync(REGISTRY_LOCK, "a");
    try {
        const flock = spawnSync("flock", ["--exclusive", "--timeout", "120", "3"], {
            encoding: "utf8",
            stdio: ["ignore", "ignore", "pipe", fd],
        });
        if (flock.status !== 0) {
            throw new Error(`cannot take the testbed registry lock ${REGISTRY_LOCK}: ${flock.stderr || flock.error?.message}`);
        }
        return fn();
    } finally {
        closeSync(fd);
    }
}

function readRecord(instance: number): InstanceRecord | undefined {
    try {
        return JSON.parse(readFileSync(recordPath(instance), "utf8")) as InstanceRecord;
    } catch {
        return undefined;
    }
}

/** Instance numbers with a record, live or dead. */
export function registeredInstances(): number[] {
    return readdirSync(REGISTRY_DIR)
        .map((name) => /^(\d+)\.json$/.exec(name))
        .filter((match): match is RegExpExecArray => match !== null)
        .map((match) => Number(match[1]));
}

/** Tears down instances whose owner is gone (crashed, SIGKILLed, or a record left half-written). */
function reclaimDeadInstances(): number[] {
    const reclaimed: number[] = [];
    for (const instance of registeredInstances()) {
        const record = readRecord(instance);
        if (record && isSameProcessAlive(record.owner.pid, record.owner.startTime)) continue;
        teardownInstanceSync(instance, record?.stateDir, record?.cgroups ?? instanceCgroups(instance));
        rmSync(recordPath(instance), { force: true });
        reclaimed.push(instance);
    }
    return reclaimed;
}

/** Tears down, under the lock, the instances of every owner that is gone. */
export function reclaimDeadOwners(): number[] {
    return withRegistryLock(reclaimDeadInstances);
}

/** A claimed instance number and its fresh temporary state directory. */
export interface ClaimedInstance {
    instance: number;
    stateDir: string;
    cgroups: InstanceCgroups;
    /** Instances of dead owners this claim cleaned up first. */
    reclaimed: number[];
}

/** Reclaims dead instances, then claims the lowest free instance number for this process. */
export function claimInstance(): ClaimedInstance {
    return withRegistryLock(() => {
        const reclaimed = reclaimDeadInstances();
        const taken = new Set(registeredInstances());
        let instance = MIN_INSTANCE;
        while (taken.has(instance)) instance++;
        if (instance > MAX_INSTANCE) throw new Error("no free testbed instance number");
        const cgroups = instanceCgroups(instance);
        // Anything still named for this number belongs to nobody: a run that died unregistered.
        teardownInstanceSync(instance, undefined, cgroups);
        const stateDir = mkdtempSync(join(tmpdir(), `${STATE_DIR_PREFIX}${instance}-`));
        const startTime = processStartTime(process.pid);
        if (startTime === undefined) throw new Error("cannot read this process's start time");
        const record: InstanceRecord = {
            owner: { pid: process.pid, startTime },
            stateDir,
            cgroups,
            createdAt: new Date().toISOString(),
        };
        addBlackholeRoute();
        const temporary = `${recordPath(instance)}.tmp`;
        writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
        renameSync(temporary, recordPath(instance));
        return { instance, stateDir, cgroups, reclaimed };
    });
}

/** Drops an instance's registration, and the blackhole route with the last one; its resources must be gone already. */
export function releaseInstance(instance: number): void {
    withRegistryLock(() => {
        rmSync(recordPath(instance), { force: true });
        if (registeredInstances().length === 0) removeBlackholeRoute();
    });
}
