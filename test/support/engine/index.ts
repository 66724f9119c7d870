/**
 * runProgram runs on the REAL Pulumi engine by default (./real.ts: the toolchain's CLI through the
 * Automation API, stand-in command/tls/random plugins in ./plugins built on the performers below).
 * What follows describes the home-made engine, still here as `engine: "home"` (or
 * K8S_BINARY_ENGINE=home): its performers are what the stand-in plugins run, and its RunResult
 * shape is what both return.
 *
 * A small deployment engine for tests: runs a Pulumi program through the SDK's mock runtime while
 * performing what the providers would (real keys and certificates, random values, every
 * `remote.Command` executed over SSH on the host it names, SFTP uploads, local commands), and
 * keeps state between runs like Pulumi's checkpoint: inputs and outputs per resource.
 *
 * Per resource, against the previous state:
 * - same inputs: "same", nothing runs, stored outputs (keys, certificates, stdout) come back;
 * - changed inputs: "update" (Command: `update`, or `create` when unset), or "replace" when a
 *   `replaceOnChanges` path changed (Command `triggers`) or the provider replaces on any change
 *   (tls, random; a certificate due for renewal), or the `replacementTrigger` option's value
 *   changed; replace = create new, delete old at the end,
 *   or delete first with `deleteBeforeReplace`;
 * - not declared any more: deleted after the program finished, dependents first.
 * Dependents are registered by the SDK only after their dependencies' steps completed, so
 * `dependsOn` and data dependencies order the real commands as the engine does; independent
 * steps run concurrently. A failed step fails the run with the provider's message, nothing is
 * registered after it, deletes are skipped, and the state keeps what succeeded (written after
 * every step), so the next run converges.
 *
 * Not modelled (where this differs from `pulumi up`):
 * - preview runs nothing: changed resources show computed outputs as unknown; no provider
 *   `Check`, so provider-side input validation beyond what the performers check is absent;
 * - no refresh, import, aliases, protect, custom timeouts, transforms, hooks, `replaceWith`,
 *   resource `.get`, invokes (other than the SDK's own getResource), component providers
 *   (multi-language components), explicit provider resources' behaviour (recorded only);
 * - provider-side diffs are reduced to "update" or "replace" per type (no detailed diff, no
 *   spurious connection diffs as in pulumi-command#447); `replaceOnChanges` and `ignoreChanges`
 *   are matched on property paths without the engine's full path semantics;
 * - deleteBeforeReplace does not cascade replacement to dependents; deletes run one at a time;
 * - a failed create leaves nothing in state (the engine would keep a pending-init resource and
 *   update it next time);
 * - kubernetes and every other resource type: inputs are recorded as outputs, nothing performed;
 * - secrets are plain text in the state file (a test artefact); which values were secret is kept.
 *
 * Usage (hosts' connections reach the program as config, e.g. JSON read with `requireObject`):
 *   const r = await runProgram({ program: "test/integration/programs/x.ts", stateFile,
 *       config: { hosts: JSON.stringify(testbed.hosts) } });
 *   r.operations.filter((o) => o.op !== "same"); r.commandLog; readState(stateFile).resources;
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runEngineChild } from "./run-child";
import type { Operation } from "./monitor";
import type { CommandLogEntry } from "./provider";

export { readState, type EngineState, type StateResource } from "./state";
export { checkpointPath, readCheckpoint } from "./real";
export type { Operation, OperationKind } from "./monitor";
export type { CommandLogEntry } from "./provider";
/** What a preview returns for a value not known yet. */
export { UNKNOWN } from "./values";

export interface RunOptions {
    /** Program module: default export `async () => outputs`, or resources at top level and named exports. */
    program: string;
    /** The state file; created on the first run. */
    stateFile: string;
    /** Stack config; keys without a namespace get the project's (`hosts` = `<project>:hosts`). */
    config?: Record<string, string>;
    /** Default "k8s-binary". */
    project?: string;
    /** Default "test". */
    stack?: string;
    /** Plan only: nothing is performed and the state file is not written. */
    preview?: boolean;
    /**
     * Real engine only: SIGKILL the CLI and every process under it once the plugins have logged
     * this many remote commands, as a crash of the machine running Pulumi would. The run then
     * fails with `interrupted: SIGKILL to <n> processes after <m> commands: <the CLI's error>`,
     * leaving the checkpoint as the CLI last saved it, pending operations and lock included (the
     * state file is not rewritten).
     */
    interruptAfterCommands?: number;
    /** Real engine only: `pulumi cancel` first, which removes the lock an interrupted run left. */
    cancelFirst?: boolean;
    /**
     * "pulumi": the real engine (./real.ts) with stand-in provider plugins; "home": this engine.
     * Default: K8S_BINARY_ENGINE, else "pulumi".
     */
    engine?: "pulumi" | "home";
    /**
     * Write `stateFile`, the checkpoint exported with its secrets in plain text, after each run
     * (real engine). Default true, for the tests that read state; false leaves the state only in
     * the backend, secrets encrypted.
     */
    exportState?: boolean;
    /** The passphrase that encrypts the stack's secrets (real engine). Default: the tests' fixed one. */
    passphrase?: string;
    /** Called with each remote or local command as it finishes (real engine only): a run's progress. */
    onCommand?: (entry: CommandLogEntry) => void;
}

export interface RunResult {
    /** Stack outputs, secrets unwrapped (in a preview, values not known yet are UNKNOWN). */
    outputs: Record<string, unknown>;
    /** Paths (`kubeconfig`, `hosts[0].key`) of stack outputs that were secrets. */
    secretOutputs: string[];
    /** Steps in the order they completed, components and the stack included (deletes last). */
    operations: Operation[];
    commandLog: CommandLogEntry[];
}

/** Thrown when a run fails; carries what happened up to the failure. */
export class EngineRunError extends Error {
    constructor(
        message: string,
        readonly result: RunResult,
        /** The child process's stdout and stderr (program logs). */
        readonly diagnostics: string,
    ) {
        super(message);
        this.name = "EngineRunError";
    }
}

/** @internal The request file handed to the child process. */
export interface ChildRequest {
    program: string;
    stateFile: string;
    resultFile: string;
    project: string;
    stack: string;
    preview: boolean;
}

/** Runs a program on the real Pulumi engine (see ./real.ts), or on this one with `engine: "home"`. */
export async function runProgram(opts: RunOptions): Promise<RunResult> {
    const engine = opts.engine ?? process.env.K8S_BINARY_ENGINE ?? "pulumi";
    if (engine === "home") {
        if (opts.interruptAfterCommands !== undefined || opts.cancelFirst) throw new Error("interrupting and cancelling runs needs the real engine");
        return runOnHomeEngine(opts);
    }
    const { runOnPulumi } = await import("./real");
    return runOnPulumi(opts, (message, result, diagnostics) => new EngineRunError(message, result, diagnostics));
}

/** Runs a program on this home-made engine (the mock runtime and the performers). */
export async function runOnHomeEngine(opts: RunOptions): Promise<RunResult> {
    const project = opts.project ?? "k8s-binary";
    const stack = opts.stack ?? "test";
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-run-"));
    try {
        const request: ChildRequest = {
            program: path.resolve(opts.program),
            stateFile: path.resolve(opts.stateFile),
            resultFile: path.join(dir, "result.json"),
            project,
            stack,
            preview: opts.preview ?? false,
        };
        fs.writeFileSync(path.join(dir, "request.json"), JSON.stringify(request));
        const config: Record<string, string> = {};
        for (const [k, v] of Object.entries(opts.config ?? {})) config[k.includes(":") ? k : `${project}:${k}`] = v;

        const run = await runEngineChild<RunResult & { error?: string }>("child.ts", path.join(dir, "request.json"), request.resultFile, opts.program, {
            PULUMI_CONFIG: JSON.stringify(config),
        });
        const { error, ...result } = run.result;
        const diagnostics = run.diagnostics;
        if (error !== undefined) throw new EngineRunError(error, result, diagnostics);
        return result;
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}
