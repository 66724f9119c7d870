/**
 * One engine run in its own process (so every run starts with a fresh Pulumi runtime): reads the
 * request file named by K8S_BINARY_ENGINE_REQUEST, runs the program under EngineMonitor like the
 * Node.js language host does (inside the root Stack resource), deletes what the program no longer
 * declares, and writes the result file.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import * as sdkSettings from "@pulumi/pulumi/runtime/settings";
import { EngineMonitor } from "./monitor";
import { readState } from "./state";
import type { ChildRequest, RunResult } from "./index";

// waitForRPCs is exported by the SDK's settings module but not declared in its types.
const settings = sdkSettings as typeof sdkSettings & { waitForRPCs(): Promise<void> };

// A run whose test process died (timeout, Ctrl-C) must not go on touching hosts.
const parent = process.ppid;
setInterval(() => {
    if (process.ppid !== parent) process.exit(3);
}, 1000).unref();

async function main(): Promise<void> {
    const req = JSON.parse(fs.readFileSync(process.env.K8S_BINARY_ENGINE_REQUEST!, "utf8")) as ChildRequest;
    const monitor = new EngineMonitor(readState(req.stateFile), req);
    // setMocks sets the runtime's feature flags (secrets, resource references); the monitor is then ours.
    await pulumi.runtime.setMocks({ call: () => ({}), newResource: () => ({ id: "", state: {} }) }, req.project, req.stack, req.preview);
    settings.setMockOptions(monitor, req.project, req.stack, req.preview);

    // Like the language host: an error nobody handled fails the update.
    const uncaught: unknown[] = [];
    process.on("unhandledRejection", (e) => uncaught.push(e));
    process.on("uncaughtException", (e) => uncaught.push(e));

    let programError: unknown;
    const program = (async () => {
        await pulumi.runtime.runInPulumiStack(async () => {
            // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded as Pulumi's Node.js language host loads it
            const mod = require(path.resolve(req.program));
            const main = Object.getOwnPropertyDescriptor(mod, "default") ? mod.default : mod;
            return main instanceof Function ? await main() : main;
        });
        await settings.waitForRPCs();
    })();
    try {
        // After a failed step, the resources that wait on its outputs never register, and the
        // program never finishes: the run ends with the steps already under way.
        await Promise.race([program, monitor.failed]);
    } catch (e) {
        programError = e;
    }
    await monitor.settle();
    if (!monitor.failure && programError === undefined && uncaught.length === 0) await monitor.deleteUnclaimed();

    const firstError = monitor.failure ?? programError ?? uncaught[0];
    const result: RunResult & { error?: string } = {
        outputs: monitor.stackOutputs.value,
        secretOutputs: monitor.stackOutputs.secretPaths,
        operations: monitor.operations,
        commandLog: monitor.commandLog,
    };
    if (firstError !== undefined) result.error = firstError instanceof Error ? firstError.message : String(firstError);
    fs.writeFileSync(req.resultFile, JSON.stringify(result));
    // Open SSH sockets or program timers must not keep a finished run alive.
    process.exit(0);
}

main().catch((e) => {
    process.stderr.write(`engine child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
});
