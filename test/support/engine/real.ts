/**
 * runProgram on the real Pulumi engine: the CLI built by the project's toolchain
 * (`scripts/toolchain.sh path pulumi`), driven by the Automation API from a child process per run
 * (./real-child.ts), with stand-in plugins for the three providers no reachable registry serves
 * (./plugins: command, tls, random, performing what the home engine performs) and the real
 * Kubernetes provider (the toolchain's pulumi-kubernetes family: its Go module is served), all
 * found by the CLI as ambient plugins: `pulumi-resource-<pkg>` launcher scripts, and a link to the
 * provider binary, in a temporary bin directory put first on its PATH.
 *
 * Per state file `<stateFile>`:
 * - `<stateFile>.pulumi/backend`: the local file backend (the real checkpoint, secrets encrypted
 *   with the fixed test passphrase);
 * - `<stateFile>.pulumi/work`: the workspace (Pulumi.yaml, Pulumi.<stack>.yaml with the
 *   passphrase salt, so secrets stay readable across runs);
 * - `<stateFile>` itself (unless `exportState: false`): the checkpoint exported after each run (`stack export --show-secrets`)
 *   in the home engine's shape, for readState and the tests that look at state.
 * PULUMI_HOME is a fresh temporary directory per run (no plugin is installed there).
 *
 * RunResult from the engine's events: `operations` are the steps as they completed
 * (resOutputsEvent; resOpFailedEvent with the provider's message as `error`), the engine's default
 * providers left out; a create-before-delete replacement is "replace" then, after every other
 * step, "delete"; a delete-before-replace one is a single "replace". `outputs` and
 * `secretOutputs` come from the stack's outputs in the checkpoint (secret paths as stored there).
 * `commandLog` is what the plugins ran, in the order they finished.
 *
 * Where this differs from a user's `pulumi up` with the real plugins:
 * - the plugins: SSH from Node (ssh2) rather than Go's x/crypto/ssh, certificates from the openssl
 *   CLI, random values from node:crypto (see ./plugins/*.ts for each type's rules); command
 *   output is not streamed to the engine's log (`logging` shapes `commandLog[].logged` only);
 *   no preview-time Create/Update (the engine shows computed outputs as unknown); Read (refresh)
 *   returns the stored state;
 * - a preview (`preview: true`) returns operations only, no outputs.
 */
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { runEngineChild } from "./run-child";
import type { EngineRunError as EngineRunErrorType, RunOptions, RunResult } from "./index";
import type { CommandLogEntry } from "./provider";

/** The passphrase of every test stack's secrets. */
export const TEST_PASSPHRASE = "k8s-binary-test-passphrase";

/** Config keys set as secrets (as a user would with `pulumi config set --secret`); a kubeconfig holds credentials. */
const SECRET_CONFIG = /(privateKey|password|passphrase|secret|token|kubeconfig)$/i;

/** @internal The request file handed to the child process. */
export interface RealChildRequest {
    program: string;
    stateFile: string;
    resultFile: string;
    commandLogFile: string;
    backendDir: string;
    workDir: string;
    pulumiRoot: string;
    project: string;
    stack: string;
    preview: boolean;
    exportState: boolean;
    /** Kill the CLI once the plugins logged this many commands (see RunOptions.interruptAfterCommands). */
    interruptAfterCommands?: number;
    /** `pulumi cancel` before the run (see RunOptions.cancelFirst). */
    cancelFirst?: boolean;
    config: Record<string, { value: string; secret: boolean }>;
    env: Record<string, string>;
}

const REPO_ROOT = path.resolve(__dirname, "../../..");
const PLUGINS = ["command", "tls", "random"];

const roots = new Map<string, string>();
/** A toolchain family's cache directory (bin/), built on first use when the cache lacks it. */
function toolchainRoot(family: string): string {
    const known = roots.get(family);
    if (known) return known;
    const script = path.join(REPO_ROOT, "scripts/toolchain.sh");
    const pathOf = () => execFileSync("bash", [script, "path", family], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    let root: string;
    try {
        root = pathOf();
    } catch {
        // Not built yet (scripts/test.sh builds it first): a Go build, minutes.
        execFileSync("bash", [script, "build", family], { stdio: ["ignore", process.stderr, process.stderr] });
        root = pathOf();
    }
    roots.set(family, root);
    return root;
}

/** The toolchain's Pulumi CLI directory (built on first use when the cache lacks it). */
export function pulumiCliRoot(): string {
    return toolchainRoot("pulumi");
}

/**
 * The toolchain's real Kubernetes provider plugin (family pulumi-kubernetes, v4.25.0). The CLI
 * takes an ambient plugin whatever version the program's SDK asks for (@pulumi/kubernetes 4.34.2
 * asks for 4.34.2): it is found on PATH before any installed plugin is looked for.
 */
export function kubernetesPlugin(): string {
    return path.join(toolchainRoot("pulumi-kubernetes"), "bin", "pulumi-resource-kubernetes");
}

/**
 * The ambient plugins: launchers for the stand-ins, `pulumi-resource-<pkg>` running
 * ./plugins/<pkg>.ts with tsx, and a link to the real Kubernetes provider.
 */
function writeLaunchers(binDir: string): void {
    fs.mkdirSync(binDir, { recursive: true });
    for (const pkg of PLUGINS) {
        const file = path.join(binDir, `pulumi-resource-${pkg}`);
        const entry = path.join(__dirname, "plugins", `${pkg}.ts`);
        // From the repository root: tsx resolves there, and local commands run there as in the home engine.
        fs.writeFileSync(
            file,
            `#!/bin/sh\ncd ${JSON.stringify(REPO_ROOT)} || exit 1\nexec ${JSON.stringify(process.execPath)} --import tsx ${JSON.stringify(entry)} "$@"\n`,
            { mode: 0o755 },
        );
    }
    fs.symlinkSync(kubernetesPlugin(), path.join(binDir, "pulumi-resource-kubernetes"));
}

export async function runOnPulumi(
    opts: RunOptions,
    makeError: (message: string, result: RunResult, diagnostics: string) => EngineRunErrorType,
): Promise<RunResult> {
    const project = opts.project ?? "k8s-binary";
    const stack = opts.stack ?? "test";
    const stateFile = path.resolve(opts.stateFile);
    const stateDir = `${stateFile}.pulumi`;
    const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "engine-real-"));
    try {
        const binDir = path.join(tmp, "bin");
        writeLaunchers(binDir);
        const workDir = path.join(stateDir, "work");
        fs.mkdirSync(path.join(stateDir, "backend"), { recursive: true });
        fs.mkdirSync(workDir, { recursive: true });
        // Config is set afresh per run: keep only the stack's passphrase salt from the last one.
        const stackSettings = path.join(workDir, `Pulumi.${stack}.yaml`);
        if (fs.existsSync(stackSettings)) {
            const salt = fs
                .readFileSync(stackSettings, "utf8")
                .split("\n")
                .filter((l) => l.startsWith("encryptionsalt:"));
            fs.writeFileSync(stackSettings, `${salt.join("\n")}\n`);
        }
        const config: RealChildRequest["config"] = {};
        for (const [k, v] of Object.entries(opts.config ?? {})) {
            const key = k.includes(":") ? k : `${project}:${k}`;
            config[key] = { value: v, secret: SECRET_CONFIG.test(key.split(":")[1]) };
        }
        const home = path.join(tmp, "home");
        fs.mkdirSync(home);
        const request: RealChildRequest = {
            program: path.resolve(opts.program),
            stateFile,
            resultFile: path.join(tmp, "result.json"),
            commandLogFile: path.join(tmp, "commands.jsonl"),
            backendDir: path.join(stateDir, "backend"),
            workDir,
            pulumiRoot: pulumiCliRoot(),
            project,
            stack,
            preview: opts.preview ?? false,
            exportState: opts.exportState ?? true,
            interruptAfterCommands: opts.interruptAfterCommands,
            cancelFirst: opts.cancelFirst,
            config,
            env: {
                PULUMI_CONFIG_PASSPHRASE: opts.passphrase ?? TEST_PASSPHRASE,
                PULUMI_HOME: home,
                PULUMI_SKIP_UPDATE_CHECK: "true",
                PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
                PATH: `${binDir}:${process.env.PATH ?? ""}`,
                K8S_BINARY_ENGINE_COMMAND_LOG: path.join(tmp, "commands.jsonl"),
                NODE_PATH: path.join(REPO_ROOT, "node_modules"),
            },
        };
        fs.writeFileSync(path.join(tmp, "request.json"), JSON.stringify(request));

        const stopFollowing = opts.onCommand ? followCommandLog(request.commandLogFile, opts.onCommand) : undefined;
        const { result: written, diagnostics } = await runEngineChild<RunResult & { error?: string; diagnostics?: string }>(
            "real-child.ts",
            path.join(tmp, "request.json"),
            request.resultFile,
            opts.program,
        ).finally(() => stopFollowing?.());
        const { error, diagnostics: engineDiagnostics, ...result } = written;
        if (error !== undefined) throw makeError(error, result, `${diagnostics}${engineDiagnostics ?? ""}`);
        return result;
    } finally {
        fs.rmSync(tmp, { recursive: true, force: true });
    }
}

/** Hands each entry the plugins append to the command log to `onCommand`, until the returned stop is called. */
function followCommandLog(file: string, onCommand: (entry: CommandLogEntry) => void): () => void {
    let offset = 0;
    const drain = () => {
        if (!fs.existsSync(file)) return;
        const text = fs.readFileSync(file).subarray(offset).toString("utf8");
        // Only whole lines: a plugin may be midway through appending one.
        const end = text.lastIndexOf("\n") + 1;
        offset += Buffer.byteLength(text.slice(0, end));
        for (const line of text.slice(0, end).split("\n").filter(Boolean)) onCommand(JSON.parse(line) as CommandLogEntry);
    };
    const timer = setInterval(drain, 250);
    return () => {
        clearInterval(timer);
        drain();
    };
}

/**
 * Where the file backend keeps a stack's checkpoint for a state file (Pulumi's project-scoped
 * layout, uncompressed): `<stateFile>.pulumi/backend/.pulumi/stacks/<project>/<stack>.json`,
 * beside it the copy of the previous save (`.bak`) and the blob store's metadata sidecar (`.attrs`).
 */
export function checkpointPath(stateFile: string, project = "k8s-binary", stack = "test"): string {
    return path.join(`${path.resolve(stateFile)}.pulumi`, "backend", ".pulumi", "stacks", project, `${stack}.json`);
}

/**
 * The checkpoint file the real engine keeps for a state file (secrets encrypted with the test
 * passphrase), as text: what a leak scan should see, since it is what Pulumi stores.
 */
export function readCheckpoint(stateFile: string): string {
    const stacks = path.join(`${path.resolve(stateFile)}.pulumi`, "backend", ".pulumi", "stacks");
    const files = fs.existsSync(stacks)
        ? fs.readdirSync(stacks).flatMap((p) =>
              fs
                  .readdirSync(path.join(stacks, p))
                  .filter((f) => /\.json(\.gz)?$/.test(f))
                  .map((f) => path.join(stacks, p, f)),
          )
        : [];
    if (files.length !== 1) throw new Error(`${stateFile}: expected one checkpoint under ${stacks}, found ${files.length}`);
    return fs.readFileSync(files[0], "utf8");
}
