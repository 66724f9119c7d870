import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { killTree } from "./process-tree";

const REPO_ROOT = path.resolve(__dirname, "../../..");

/** Engine children still running; ended with all below them when this process ends. */
const running = new Set<number>();
const endRunning = () => {
    for (const pid of running) killTree(pid);
    running.clear();
};
let hooked = false;
/**
 * A test that times out is not stopped, its file's process is: by the runner's SIGTERM at the
 * file's timeout (scripts/run-tests.sh gives files the tests' timeout), Ctrl-C, or its exit.
 * Each ends every engine child and all below it first (a CLI left running would go on changing
 * hosts); a signal then takes its course (the runner's own handler, else dying by it).
 */
function hookProcessEnd(): void {
    if (hooked) return;
    hooked = true;
    process.on("exit", endRunning);
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        process.once(signal, () => {
            endRunning();
            if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
        });
    }
}

/**
 * Runs one engine child (`child.ts` or `real-child.ts`) on a request file and reads the result
 * file it writes: a child process per run keeps the program's modules and the SDK's process-wide
 * runtime from leaking between runs. Throws with the child's output when it wrote no result.
 */
export async function runEngineChild<T>(
    script: string,
    requestFile: string,
    resultFile: string,
    program: string,
    env: Record<string, string> = {},
): Promise<{ result: T; diagnostics: string }> {
    const child = spawn(process.execPath, ["--import", "tsx", path.join(__dirname, script)], {
        cwd: REPO_ROOT,
        env: {
            ...process.env,
            ...env,
            K8S_BINARY_ENGINE_REQUEST: requestFile,
            // Programs written to temporary directories still resolve the project's packages.
            NODE_PATH: path.join(REPO_ROOT, "node_modules"),
        },
        stdio: ["ignore", "pipe", "pipe"],
    });
    hookProcessEnd();
    const pid = child.pid;
    if (pid !== undefined) running.add(pid);
    // Gone from the set as soon as it has been reaped: its PID may be reused.
    child.on("exit", () => running.delete(pid!));
    let diagnostics = "";
    child.stdout.on("data", (d: Buffer) => (diagnostics += d));
    child.stderr.on("data", (d: Buffer) => (diagnostics += d));
    const code = await new Promise<number | null>((resolve, reject) => {
        child.on("error", reject);
        child.on("close", resolve);
    });
    if (!fs.existsSync(resultFile)) throw new Error(`engine run of ${program} exited with code ${code} and no result:\n${diagnostics}`);
    return { result: JSON.parse(fs.readFileSync(resultFile, "utf8")) as T, diagnostics };
}
