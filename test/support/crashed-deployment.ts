// A deployment through a crash of the machine running Pulumi, recovered as
// docs/troubleshooting.md ("An interrupted run") says, for the integration tests.
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkpointPath, EngineRunError, runProgram, type RunOptions, type RunResult } from "./engine";

const LOCKED = /the stack is currently locked by 1 lock\(s\)[\s\S]*pulumi cancel/;
const EMPTY_SIDECAR = /failed to load checkpoint: EOF/;
const KILLED = /^interrupted: SIGKILL to \d+ processes after (\d+) commands/;

/** A run's failure as text (its message and the CLI's output), or why it did not fail. */
async function failureOf(run: Promise<RunResult>): Promise<string> {
    return run.then(
        () => "(the run succeeded)",
        (e: unknown) => (e instanceof EngineRunError ? `${e.message}\n${e.diagnostics}` : String(e)),
    );
}

/** What happened on the way, for the test's log. */
export interface CrashLog {
    /** Remote commands before the kill. */
    killedAfter: number;
    /** Whether the kill itself landed in a checkpoint save (it left the sidecar empty). */
    inSave: boolean;
    /** Each run: what it was for, and how long it took. */
    runs: string[];
}

/**
 * Deploys `opts` (a first deployment) through a SIGKILL of the CLI and everything below it after
 * `killAfter` remote commands, and the recoveries; returns the run that converged.
 * - The usual case: the next run is refused for the lock; `pulumi cancel`, then `pulumi up`.
 * - A kill inside a checkpoint save, made from the real kill's state: the file backend (gocloud's
 *   fileblob) writes the new checkpoint to a temporary file and renames it into place, but first
 *   rewrites the metadata sidecar `<stack>.json.attrs` in place. A kill there leaves the
 *   checkpoint of the save before (the `.bak` copy made at the start of the save) and an empty
 *   sidecar, which no command can load: "failed to load checkpoint: EOF", what CI saw once.
 * Then the recovery docs/troubleshooting.md gives: remove the sidecar, `pulumi cancel`, `pulumi up`,
 * which runs the steps left pending and the step of the lost save again. Should the real kill
 * land in a save itself, the run after it must find the stack unloadable, and the sidecar is
 * removed before the lock is checked.
 */
export async function deployThroughCrash(opts: RunOptions, killAfter: number): Promise<{ result: RunResult; log: CrashLog }> {
    const checkpoint = checkpointPath(opts.stateFile, opts.project, opts.stack);
    const sidecar = `${checkpoint}.attrs`;
    const runs: string[] = [];
    const timed = async <T>(what: string, run: Promise<T>): Promise<T> => {
        const started = Date.now();
        const out = await run;
        runs.push(`${what} ${((Date.now() - started) / 1000).toFixed(1)} s`);
        return out;
    };

    const killed = await timed("killed", failureOf(runProgram({ ...opts, interruptAfterCommands: killAfter })));
    const m = KILLED.exec(killed);
    assert.ok(m, `the run is killed after ${killAfter} commands: ${killed}`);
    const inSave = fs.statSync(sidecar).size === 0;
    if (inSave) {
        assert.match(await timed("unloadable", failureOf(runProgram(opts))), EMPTY_SIDECAR, "the stack does not load");
        fs.rmSync(sidecar);
    }
    assert.match(await timed("locked", failureOf(runProgram(opts))), LOCKED, "a run after the kill is refused for the lock");

    fs.copyFileSync(`${checkpoint}.bak`, checkpoint);
    fs.writeFileSync(sidecar, "");
    assert.match(await timed("unloadable", failureOf(runProgram(opts))), EMPTY_SIDECAR, "the stack does not load");
    fs.rmSync(sidecar);
    const result = await timed("recovered", runProgram({ ...opts, cancelFirst: true }));
    return { result, log: { killedAfter: Number(m[1]), inSave, runs } };
}
