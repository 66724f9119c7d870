// Finding, starting and ending the keeper (./keeper.ts), the process that owns the hosts.
import { spawn } from "node:child_process";
import { closeSync, mkdirSync, openSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { isSameProcessAlive } from "../../test/support/testbed/proc";
import { reclaimDeadOwners } from "../../test/support/testbed/registry";
import { waitUntil } from "../../test/support/wait-until";
import type { SandboxPaths } from "./paths";
import type { SandboxHosts } from "./topology";

/** What `keeper.json` holds once the hosts are up. */
export interface KeeperRecord extends SandboxHosts {
    pid: number;
    startTime: string;
    /** The testbed instance N: the hosts are 10.77.N.11 and on. */
    instance: number;
    /** The mirror's base URL, as the hosts reach it. */
    mirrorUrl: string;
    knownHostsPath: string;
}

/** The record of a keeper that still runs; undefined when there is none, or it is gone. */
export function runningKeeper(paths: SandboxPaths): KeeperRecord | undefined {
    let record: KeeperRecord;
    try {
        record = JSON.parse(readFileSync(paths.keeper, "utf8")) as KeeperRecord;
    } catch {
        return undefined;
    }
    return isSameProcessAlive(record.pid, record.startTime) ? record : undefined;
}

const START_TIMEOUT_MS = 300_000;

/** Starts a keeper for these hosts, detached from this process, and waits until they are up. */
export async function startKeeper(paths: SandboxPaths, hosts: string[]): Promise<KeeperRecord> {
    mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
    const log = openSync(paths.keeperLog, "a");
    const child = spawn(process.execPath, ["--import", "tsx", join(__dirname, "keeper.ts"), paths.dir, ...hosts], {
        detached: true,
        stdio: ["ignore", log, log],
    });
    closeSync(log);
    child.unref();
    let exited: number | null | undefined;
    child.on("exit", (code) => (exited = code));
    let record: KeeperRecord | undefined;
    await waitUntil(
        () => {
            record = runningKeeper(paths);
            return exited !== undefined || record?.pid === child.pid;
        },
        START_TIMEOUT_MS,
        `the sandbox's hosts up (log: ${paths.keeperLog})`,
    );
    if (!record || record.pid !== child.pid) throw new Error(`the sandbox's keeper exited (code ${exited}) before its hosts were up: see ${paths.keeperLog}`);
    return record;
}

/**
 * Ends a keeper: SIGTERM tears its hosts down; if it is still there after a minute, SIGKILL,
 * and the testbed's registry reclaims what it left (a dead owner's hosts, namespaces, cgroups).
 */
export async function stopKeeper(record: KeeperRecord): Promise<void> {
    const alive = () => isSameProcessAlive(record.pid, record.startTime);
    process.kill(record.pid, "SIGTERM");
    try {
        await waitUntil(() => !alive(), 60_000, `the keeper (PID ${record.pid}) to end`);
    } catch {
        if (alive()) process.kill(record.pid, "SIGKILL");
        await waitUntil(() => !alive(), 10_000, `the keeper (PID ${record.pid}) to die`);
        reclaimDeadOwners();
    }
}
