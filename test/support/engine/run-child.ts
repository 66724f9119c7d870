import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

const REPO_ROOT = path.resolve(__dirname, "../../..");

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
