import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { STATE_DIR_PREFIX, teardownInstanceSync } from "./cleanup";
import { MAX_INSTANCE, MIN_INSTANCE, REGISTRY_DIR, REGISTRY_LOCK } from "./layout";
import { isSameProcessAlive, processStartTime } from "./proc";

/*
 * Instances register as /run/k8s-binary-bench/<N>.json, naming their owner by (PID, start time).
 * Claiming a number and reclaiming the leftovers of dead owners happen under one exclusive lock,
 * held by a `flock` child process: the kernel drops it if this process dies, so a crashed run can
 * never wedge the next one.
 */

interface InstanceRecord {
    owner: { pid: number; startTime: string };
    stateDir: string;
    createdAt: string;
}

function recordPath(instance: number): string {
    return join(REGISTRY_DIR, `${instance}.json`);
}

async function withRegistryLock<T>(fn: () => T): Promise<T> {
    mkdirSync(REGISTRY_DIR, { recursive: true, mode: 0o755 });
    const holder = spawn(
        "flock",
        ["--exclusive", "--timeout", "120", REGISTRY_LOCK, "/bin/sh", "-c", "echo locked; exec cat >/dev/null"],
        { stdio: ["pipe", "pipe", "pipe"] },
    );
    const exited = new Promise<void>((resolve) => holder.once("close", () => resolve()));
    let stderr = "";
    holder.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const locked = await new Promise<boolean>((resolve) => {
        holder.stdout.once("data", () => resolve(true));
        holder.once("close", () => resolve(false));
        holder.once("error", (error) => {
            stderr += error.message;
            resolve(false);
        });
    });
    if (!locked) throw new Error(`cannot take the bench registry lock ${REGISTRY_LOCK}: ${stderr.trim()}`);
    try {
        return fn();
    } finally {
        holder.stdin.end();
        await exited;
    }
}

function readRecord(instance: number): InstanceRecord | undefined {
    try {
        return JSON.parse(readFileSync(recordPath(instance), "utf8")) as InstanceRecord;
    } catch {
        return undefined;
    }
}

function registeredInstances(): number[] {
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
        teardownInstanceSync(instance, record?.stateDir);
        rmSync(recordPath(instance), { force: true });
        reclaimed.push(instance);
    }
    return reclaimed;
}

/** A claimed instance number and its fresh temporary state directory. */
export interface ClaimedInstance {
    instance: number;
    stateDir: string;
    /** Instances of dead owners this claim cleaned up first. */
    reclaimed: number[];
}

/** Reclaims dead instances, then claims the lowest free instance number for this process. */
export function claimInstance(): Promise<ClaimedInstance> {
    return withRegistryLock(() => {
        const reclaimed = reclaimDeadInstances();
        const taken = new Set(registeredInstances());
        let instance = MIN_INSTANCE;
        while (taken.has(instance)) instance++;
        if (instance > MAX_INSTANCE) throw new Error("no free bench instance number");
        // Anything still named for this number belongs to nobody: a run that died unregistered.
        teardownInstanceSync(instance, undefined);
        const stateDir = mkdtempSync(join(tmpdir(), `${STATE_DIR_PREFIX}${instance}-`));
        const startTime = processStartTime(process.pid);
        if (startTime === undefined) throw new Error("cannot read this process's start time");
        const record: InstanceRecord = {
            owner: { pid: process.pid, startTime },
            stateDir,
            createdAt: new Date().toISOString(),
        };
        const temporary = `${recordPath(instance)}.tmp`;
        writeFileSync(temporary, `${JSON.stringify(record, null, 2)}\n`);
        renameSync(temporary, recordPath(instance));
        return { instance, stateDir, reclaimed };
    });
}

/** Drops an instance's registration; its resources must be gone already. */
export function releaseInstance(instance: number): void {
    rmSync(recordPath(instance), { force: true });
}
