import { spawn, spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";

/** What a finished command left behind. */
export interface RunResult {
    /** Exit code; 128 + signal number when a signal ended it. */
    code: number;
    stdout: string;
    stderr: string;
}

/** Options of `run`. */
export interface RunOptions {
    /** Text written to the command's standard input (closed right after). Default: none. */
    input?: string;
    /** SIGKILL the command after this many milliseconds. Default: no limit. */
    timeoutMs?: number;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGKILL: 9, SIGTERM: 15 };

/** Runs a command without a shell and collects its output; never rejects on a non-zero exit. */
export function run(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
        child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
        const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => child.kill("SIGKILL"), options.timeoutMs);
        child.on("error", (error) => {
            if (timer) clearTimeout(timer);
            reject(error);
        });
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            resolve({
                code: code ?? 128 + (SIGNAL_NUMBERS[signal ?? ""] ?? 0),
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
            });
        });
        // A command that exits without reading its input must not crash us with EPIPE.
        child.stdin.on("error", () => undefined);
        child.stdin.end(options.input ?? "");
    });
}

/** Runs a command and returns its standard output; throws with its standard error on failure. */
export async function runOk(cmd: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
    const result = await run(cmd, args, options);
    if (result.code !== 0) {
        throw new Error(`${cmd} ${args.join(" ")} failed (rc ${result.code}): ${result.stderr.trim()}`);
    }
    return result.stdout;
}

/** Synchronous `run`, for exit handlers where the event loop no longer turns. */
export function runSync(cmd: string, args: readonly string[]): RunResult {
    const result = spawnSync(cmd, args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    return {
        code: result.status ?? 128 + (SIGNAL_NUMBERS[result.signal ?? ""] ?? 0),
        stdout: result.stdout ?? "",
        stderr: result.stderr ?? result.error?.message ?? "",
    };
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Blocks the thread; only for exit handlers. */
export function sleepSync(ms: number): void {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * The start time of a process (clock ticks since boot, field 22 of /proc/PID/stat), which together
 * with the PID names one process for good: PIDs are reused, (PID, start time) pairs are not.
 */
export function processStartTime(pid: number): string | undefined {
    try {
        const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
        // The command name (field 2) may hold spaces and parentheses: count fields after the last ")".
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        if (fields[0] === "Z") return undefined;
        return fields[19];
    } catch {
        return undefined;
    }
}

/** True while the process identified by (pid, start time) still runs. */
export function isSameProcessAlive(pid: number, startTime: string): boolean {
    return processStartTime(pid) === startTime;
}
