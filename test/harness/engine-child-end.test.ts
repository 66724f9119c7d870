import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, it } from "node:test";
import { waitUntil } from "../support/wait-until";

/** Alive and not a zombie (a dead child not reaped yet). */
function alive(pid: number): boolean {
    try {
        const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
        return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
    } catch {
        return false;
    }
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-child-end-"));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

it("a test file timing out ends its engine child and what that started", async () => {
    const pidFile = path.join(dir, "pids.json");
    const request = path.join(dir, "request.json");
    fs.writeFileSync(request, JSON.stringify({ pidFile }));
    const runChild = path.join(__dirname, "../support/engine/run-child");
    const testFile = path.join(dir, "hangs.test.ts");
    fs.writeFileSync(
        testFile,
        `import { it } from "node:test";
import { runEngineChild } from ${JSON.stringify(runChild)};
it("hangs", () => runEngineChild("fixtures/hung-child.ts", ${JSON.stringify(request)}, ${JSON.stringify(path.join(dir, "result.json"))}, "hung"));
`,
    );
    // The runner SIGTERMs a file past its timeout, as scripts/run-tests.sh sets it (a runner of its
    // own: without this test's NODE_TEST_CONTEXT).
    const { NODE_TEST_CONTEXT: _, ...env } = process.env;
    const runner = spawn(process.execPath, ["--import", "tsx", "--test", "--test-timeout=8000", testFile], { stdio: "ignore", env });
    const ended = new Promise((resolve) => runner.on("exit", resolve));
    await waitUntil(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, "utf8").length > 0, 20_000, "the engine child's PIDs");
    const pids = JSON.parse(fs.readFileSync(pidFile, "utf8")) as number[];
    assert.ok(pids.every(alive), "both run before the timeout");
    await ended;
    await waitUntil(() => !pids.some(alive), 5_000, `the engine child and its process ended: ${pids.join(", ")}`, 100);
});
