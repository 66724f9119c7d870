/**
 * One run on the real Pulumi engine, in its own process (the program module and the SDK's
 * runtime are process-global): reads the request named by K8S_BINARY_ENGINE_REQUEST, runs the
 * program as an Automation API inline program (the CLI connects back to this process with
 * `--client`, so no pulumi-language-nodejs is needed), with the stand-in provider plugins of
 * ./plugins first on the CLI's PATH, and writes the result file: outputs, the operations read
 * from the engine's events, the plugins' command log, and the state exported with its secrets
 * in the home engine's state shape (so readState and the tests that read state keep working).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { LocalWorkspace, PulumiCommand, type EngineEvent, type OpType } from "@pulumi/pulumi/automation";
import type { RealChildRequest } from "./real";
import type { Operation, OperationKind } from "./monitor";
import type { CommandLogEntry } from "./provider";
import { writeState, type EngineState, type StateResource } from "./state";
import { unwrap } from "./plugins/server";
import type { RunResult } from "./index";
import { getPath, parsePath, type PropertyMap } from "./values";
import { killTree } from "./process-tree";

// A run whose test process died (timeout, Ctrl-C, SIGKILL) must not go on touching hosts: end
// the CLI and all below it too.
const parent = process.ppid;
setInterval(() => {
    if (process.ppid === parent) return;
    killTree(process.pid);
    process.exit(3);
}, 1000).unref();

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);

/** The engine's step events folded into the home engine's operations (see RunResult.operations). */
class Operations {
    readonly list: Operation[] = [];
    /** URNs whose delete-replaced came first: replaced delete-before-create, reported as one "replace". */
    private readonly deletedFirst = new Set<string>();
    firstError: string | undefined;
    private readonly diagnostics: Array<{ urn?: string; message: string }> = [];

    constructor(private readonly log: () => CommandLogEntry[]) {}

    onEvent(e: EngineEvent): void {
        if (e.diagnosticEvent?.severity === "error") this.diagnostics.push({ urn: e.diagnosticEvent.urn, message: e.diagnosticEvent.message });
        const done = e.resOutputsEvent?.metadata;
        const failed = e.resOpFailedEvent?.metadata;
        const m = done ?? failed;
        if (!m) return;
        // The engine's default providers are not resources of the program (the home engine had none).
        if (m.type.startsWith("pulumi:providers:") && /::default(_[0-9_]+)?$/.test(m.urn)) return;
        const op = this.kind(m.op, m.urn, !!failed);
        if (op === undefined) return;
        const operation: Operation = { urn: m.urn, type: m.type, name: nameOf(m.urn), op, commandLines: [] };
        if (failed) operation.error = this.errorFor(m.urn);
        this.list.push(operation);
    }

    private kind(op: OpType, urn: string, failed: boolean): OperationKind | undefined {
        switch (op) {
            case "same":
            case "create":
            case "update":
            case "replace":
            case "delete":
                return op;
            case "create-replacement":
                // A failed replacement create is the replace that failed; a finished one is reported by its "replace".
                return failed ? "replace" : undefined;
            case "delete-replaced":
                if (!this.list.some((o) => o.urn === urn && o.op === "replace")) {
                    this.deletedFirst.add(urn);
                    return failed ? "replace" : undefined;
                }
                return "delete";
            default:
                return undefined;
        }
    }

    /** The provider's message for a resource: the engine's diagnostic without its framing. */
    errorFor(urn?: string): string | undefined {
        const d = this.diagnostics.find((x) => x.urn === urn && urn !== undefined) ?? this.diagnostics[0];
        return d ? cleanMessage(d.message) : undefined;
    }

    /** Command lines per operation, from the plugins' log: creates/updates to their step, deletes to the delete. */
    finish(): Operation[] {
        const log = this.log();
        for (const o of this.list) {
            const dbr = this.deletedFirst.has(o.urn) && o.op === "replace";
            const phases = o.op === "delete" ? ["delete"] : dbr ? ["create", "update", "delete"] : ["create", "update"];
            o.commandLines = log.filter((c) => c.urn === o.urn && phases.includes(c.phase)).map((c) => c.commandLine);
        }
        return this.list;
    }

    allDiagnostics(): string[] {
        return this.diagnostics.map((d) => `${d.urn ?? ""}: ${d.message}`);
    }
}

/**
 * The engine frames a provider error as `<op> <urn|"">: ... error: <message>` or with
 * "1 error occurred:\n\t* ..."; the message the provider returned is what the tests match.
 */
export function cleanMessage(message: string): string {
    // eslint-disable-next-line no-control-regex -- ANSI colour codes, should any come through
    let m = message.replace(/\u001b\[[0-9;]*m/g, "").replace(/<\{%reset%\}>|<\{%[a-z]+%\}>/g, "");
    const grpc = m.match(/rpc error: code = \w+ desc = ([\s\S]*)$/);
    if (grpc) m = grpc[1];
    const bullet = m.match(/\d+ errors? occurred:\n\t\* ([\s\S]*)$/);
    if (bullet) m = bullet[1];
    return m.replace(/\n+$/, "");
}

/** The exported deployment in the home engine's state shape (secrets in plain text, their paths kept). */
/** A resource of an exported deployment (apitype.ResourceV3), the fields used here. */
interface DeployedResource {
    urn: string;
    type: string;
    custom?: boolean;
    id?: string;
    parent?: string;
    inputs?: Record<string, unknown>;
    outputs?: Record<string, unknown>;
    dependencies?: string[];
    delete?: boolean;
    retainOnDelete?: boolean;
    deletedWith?: string;
}

export function toEngineState(deployment: { resources?: DeployedResource[] } | undefined): EngineState {
    const state: EngineState = { version: 1, nextIndex: 0, resources: {}, pendingDeletes: [] };
    const resources = deployment?.resources ?? [];
    resources.forEach((r, i) => {
        // The engine's default providers are not resources of the program.
        if (String(r.type).startsWith("pulumi:providers:") && /::default(_[0-9_]+)?$/.test(r.urn)) return;
        const inputs = unwrap(r.inputs ?? {});
        const outputs = unwrap(r.outputs ?? {});
        const entry: StateResource = {
            urn: r.urn,
            type: r.type,
            name: nameOf(r.urn),
            custom: !!r.custom,
            id: r.id ?? "",
            parent: r.parent ?? "",
            inputs: inputs.value,
            secretInputs: inputs.secretPaths.sort(),
            outputs: outputs.value,
            secretOutputs: outputs.secretPaths.sort(),
            dependencies: [...(r.dependencies ?? [])].sort(),
            createdIndex: i,
            deleteBeforeReplace: false,
            retainOnDelete: !!r.retainOnDelete,
            deletedWith: r.deletedWith ?? "",
        };
        if (r.delete) state.pendingDeletes.push(entry);
        else state.resources[r.urn] = entry;
    });
    state.nextIndex = resources.length;
    return state;
}

/** Secret paths of the stack's outputs, coarsest first: a secret top-level output hides what is under it. */
function secretPaths(value: PropertyMap, paths: string[]): string[] {
    const all = [...new Set(paths)].filter((p) => getPath(value, p) !== undefined || parsePath(p).length === 1);
    return all.filter((p) => !all.some((q) => q !== p && (p.startsWith(`${q}.`) || p.startsWith(`${q}[`)))).sort();
}

async function main(): Promise<void> {
    const req = JSON.parse(fs.readFileSync(process.env.K8S_BINARY_ENGINE_REQUEST!, "utf8")) as RealChildRequest;
    const readLog = (): CommandLogEntry[] =>
        fs.existsSync(req.commandLogFile)
            ? fs
                  .readFileSync(req.commandLogFile, "utf8")
                  .split("\n")
                  .filter(Boolean)
                  .map((l) => JSON.parse(l) as CommandLogEntry)
            : [];
    const ops = new Operations(readLog);

    // Like the language host: an error nobody handled in the program fails the update.
    const uncaught: unknown[] = [];
    process.on("unhandledRejection", (e) => uncaught.push(e));

    const program = async () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program is loaded as Pulumi's Node.js language host loads it
        const mod = require(path.resolve(req.program));
        const main = Object.getOwnPropertyDescriptor(mod, "default") ? mod.default : mod;
        return main instanceof Function ? await main() : main;
    };
    const pulumiCommand = await PulumiCommand.get({ root: req.pulumiRoot, skipVersionCheck: true });
    const stack = await LocalWorkspace.createOrSelectStack(
        { stackName: req.stack, projectName: req.project, program },
        {
            workDir: req.workDir,
            pulumiCommand,
            envVars: req.env,
            projectSettings: { name: req.project, runtime: "nodejs", backend: { url: `file://${req.backendDir}` } },
        },
    );
    await stack.setAllConfig(req.config);

    if (req.cancelFirst) await stack.cancel();

    let output = "";
    let error: string | undefined;
    let outputs: Record<string, { value: unknown; secret: boolean }> = {};
    // A crash of the machine running Pulumi, as far as the stack can tell: SIGKILL to the CLI and
    // all below it once the plugins logged enough commands.
    let interrupted: string | undefined;
    const interrupt =
        req.interruptAfterCommands === undefined
            ? undefined
            : setInterval(() => {
                  const done = readLog().length;
                  if (done < req.interruptAfterCommands!) return;
                  clearInterval(interrupt);
                  interrupted = `interrupted: SIGKILL to ${killTree(process.pid)} processes after ${done} commands`;
              }, 100);
    try {
        const opts = { onEvent: (e: EngineEvent) => ops.onEvent(e), onOutput: (s: string) => (output += s), color: "never" as const };
        if (req.preview) await stack.preview(opts);
        else outputs = (await stack.up(opts)).outputs;
    } catch (e) {
        error = ops.errorFor() ?? (e instanceof Error ? e.message : String(e));
    } finally {
        clearInterval(interrupt);
    }
    if (interrupted !== undefined) error = `${interrupted}: ${error ?? "the CLI had ended without an error"}`;
    if (error === undefined && uncaught.length > 0) error = String(uncaught[0]);

    const result: RunResult & { error?: string; diagnostics?: string } = { outputs: {}, secretOutputs: [], operations: ops.finish(), commandLog: readLog() };
    // After a kill the checkpoint is left for the next run to find as it is (it may not even load).
    if (!req.preview && interrupted === undefined) {
        const deployment = (await stack.exportStack()).deployment;
        const state = toEngineState(deployment);
        if (req.exportState) writeState(req.stateFile, state);
        const root = Object.values(state.resources).find((r) => r.type === "pulumi:pulumi:Stack");
        if (root) {
            result.outputs = root.outputs;
            result.secretOutputs = secretPaths(root.outputs, root.secretOutputs);
        } else {
            for (const [k, v] of Object.entries(outputs)) result.outputs[k] = v.value;
            result.secretOutputs = Object.entries(outputs)
                .filter(([, v]) => v.secret)
                .map(([k]) => k);
        }
    }
    if (error !== undefined) {
        result.error = error;
        result.diagnostics = `${ops.allDiagnostics().join("\n")}\n${output}`;
    }
    fs.writeFileSync(req.resultFile, JSON.stringify(result));
    process.exit(0);
}

main().catch((e) => {
    process.stderr.write(`engine child failed: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(2);
});
