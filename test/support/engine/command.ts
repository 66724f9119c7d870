import { spawn } from "node:child_process";
import * as path from "node:path";
import type { CommandLogEntry, Provider, StepContext } from "./provider";
import { dial, exec, exitDescription, sftpCopy, toConnection, type ExecResult } from "./ssh";
import type { StateResource } from "./state";
import type { Plain, PropertyMap } from "./values";

/**
 * @pulumi/command performed (provider/pkg/provider/{remote,local}): create runs `create`; an
 * update runs `update`, or `create` again when `update` is unset; delete runs `delete` with the
 * state of the last create/update (its connection, its stdout in PULUMI_COMMAND_STDOUT). stdout
 * and stderr lose one trailing newline. A failure's message is the provider's:
 * `<exit status>: running "<command>":\n<stdout and stderr>`. `logging` only changes what would
 * be streamed to the Pulumi log (recorded as `logged`), never the outputs or the error.
 * A change of `connection` alone is an in-place update that runs `update` (or `create`) on the new
 * connection, as the provider's default diff does. Not modelled: local `assetPaths`/`archivePaths`
 * outputs, CopyFile (deprecated), the provider's own log lines.
 */

type Phase = CommandLogEntry["phase"];

const trimOne = (s: string) => (s.endsWith("\n") ? s.slice(0, -1) : s);

function stringMap(v: Plain | undefined): Record<string, string> {
    const out: Record<string, string> = {};
    if (v && typeof v === "object" && !Array.isArray(v)) for (const [k, x] of Object.entries(v)) out[k] = String(x);
    return out;
}

function logged(props: PropertyMap, r: Pick<ExecResult, "stdout" | "stderr" | "combined">): string {
    switch (props.logging) {
        case "none":
            return "";
        case "stdout":
            return r.stdout;
        case "stderr":
            return r.stderr;
        default:
            return r.combined;
    }
}

function previousOutputs(props: PropertyMap): Record<string, string> {
    if (props.addPreviousOutputInEnv === false) return {};
    const out: Record<string, string> = {};
    if (typeof props.stdout === "string" && props.stdout !== "") out.PULUMI_COMMAND_STDOUT = props.stdout;
    if (typeof props.stderr === "string" && props.stderr !== "") out.PULUMI_COMMAND_STDERR = props.stderr;
    return out;
}

type Runner = (ctx: StepContext, phase: Phase, command: string, props: PropertyMap) => Promise<{ stdout: string; stderr: string }>;

const runRemote: Runner = async (ctx, phase, command, props) => {
    const conn = toConnection(props.connection);
    const started = Date.now();
    const entry = { host: conn.host, phase, commandLine: command };
    let r: ExecResult;
    try {
        const session = await dial(conn);
        try {
            r = await exec(session.client, command, {
                stdin: typeof props.stdin === "string" ? props.stdin : undefined,
                environment: stringMap(props.environment),
                previousOutputs: previousOutputs(props),
            });
        } finally {
            session.close();
        }
    } catch (e) {
        ctx.record({ ...entry, exitCode: null, durationMs: Date.now() - started, logged: "" });
        throw e;
    }
    const warnings = r.warnings.map((w) => `warning: ${w}\n`).join("");
    ctx.record({ ...entry, exitCode: r.exitCode, durationMs: Date.now() - started, logged: warnings + logged(props, r) });
    if (r.exitCode !== 0) throw new Error(`${exitDescription(r)}: running ${JSON.stringify(command)}:\n${r.combined}`);
    return { stdout: trimOne(r.stdout), stderr: trimOne(r.stderr) };
};

const runLocal: Runner = (ctx, phase, command, props) =>
    new Promise((resolve, reject) => {
        const interpreter = Array.isArray(props.interpreter) ? props.interpreter.map(String) : ["/bin/sh", "-c"];
        const env = { ...process.env, ...previousOutputs(props), ...stringMap(props.environment) };
        const started = Date.now();
        const child = spawn(interpreter[0], [...interpreter.slice(1), command], {
            cwd: typeof props.dir === "string" ? path.resolve(props.dir) : process.cwd(),
            env,
            stdio: ["pipe", "pipe", "pipe"],
        });
        let stdout = "";
        let stderr = "";
        let combined = "";
        child.stdout.on("data", (d: Buffer) => ((stdout += d), (combined += d)));
        child.stderr.on("data", (d: Buffer) => ((stderr += d), (combined += d)));
        child.on("error", reject);
        child.on("close", (code, signal) => {
            const r = { stdout, stderr, combined };
            ctx.record({ host: "localhost", phase, commandLine: command, exitCode: code, durationMs: Date.now() - started, logged: logged(props, r) });
            if (code !== 0) {
                const status = signal ? `signal: ${signal}` : `exit status ${code}`;
                reject(new Error(`${status}: running ${JSON.stringify(command)}:\n${combined}`));
            } else resolve({ stdout: trimOne(stdout), stderr: trimOne(stderr) });
        });
        child.stdin.on("error", () => undefined);
        child.stdin.end(typeof props.stdin === "string" ? props.stdin : "");
    });

function commandProvider(run: Runner): Provider {
    return {
        create: async (ctx, inputs) => {
            const id = `${ctx.name}${Math.random().toString(16).slice(2, 10)}`;
            if (typeof inputs.create !== "string") return { id, outputs: { ...inputs, stdout: "", stderr: "" } };
            const out = await run(ctx, "create", inputs.create, inputs);
            return { id, outputs: { ...inputs, ...out } };
        },
        update: async (ctx, old: StateResource, inputs) => {
            const previous = { stdout: old.outputs.stdout ?? "", stderr: old.outputs.stderr ?? "" };
            const command = typeof inputs.update === "string" ? inputs.update : inputs.create;
            if (typeof command !== "string") return { ...inputs, ...previous };
            const out = await run(ctx, "update", command, { ...inputs, ...previous });
            return { ...inputs, ...out };
        },
        delete: async (ctx, old) => {
            if (typeof old.outputs.delete === "string") await run(ctx, "delete", old.outputs.delete, old.outputs);
        },
        diff: () => "update",
        computed: ["stdout", "stderr"],
    };
}

/** The path of a FileAsset or FileArchive source (what the provider requires). */
function sourcePath(source: Plain | undefined): string {
    const p = source && typeof source === "object" && !Array.isArray(source) ? source.path : undefined;
    if (typeof p !== "string") throw new Error("source: must be a path-based file asset or archive");
    return p;
}

async function copy(ctx: StepContext, phase: Phase, inputs: PropertyMap): Promise<void> {
    const conn = toConnection(inputs.connection);
    const src = sourcePath(inputs.source);
    const remotePath = String(inputs.remotePath);
    const started = Date.now();
    const entry = { host: conn.host, phase, commandLine: `sftp put ${src} ${remotePath}`, logged: "" };
    try {
        const session = await dial(conn);
        try {
            await sftpCopy(session.client, src, remotePath);
        } finally {
            session.close();
        }
    } catch (e) {
        ctx.record({ ...entry, exitCode: null, durationMs: Date.now() - started });
        throw e;
    }
    ctx.record({ ...entry, exitCode: 0, durationMs: Date.now() - started });
}

const hashOf = (source: Plain | undefined) => (source && typeof source === "object" && !Array.isArray(source) ? source.hash : undefined);

export const commandProviders: Record<string, Provider> = {
    "command:remote:Command": commandProvider(runRemote),
    "command:local:Command": commandProvider(runLocal),
    // CopyToRemote uploads as the SSH user, never deletes, and copies again on update only when
    // the source's content hash or remotePath changed (copyController.go).
    "command:remote:CopyToRemote": {
        create: async (ctx, inputs) => {
            await copy(ctx, "create", inputs);
            return { id: Math.random().toString(16).slice(2, 10), outputs: inputs };
        },
        update: async (ctx, old, inputs) => {
            if (hashOf(inputs.source) !== hashOf(old.inputs.source) || inputs.remotePath !== old.inputs.remotePath) {
                await copy(ctx, "update", inputs);
            }
            return inputs;
        },
        delete: async () => undefined,
        diff: () => "update",
        computed: [],
    },
};
