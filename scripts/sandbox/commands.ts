// The sandbox's commands: up, preview, status, down.
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { Document, isScalar, visit } from "yaml";
import { formatIssue, loadStackFile, SpecError } from "../../components/cluster-spec";
import { parseStackYaml } from "../../components/cluster-spec/stack-yaml";
import { EngineRunError, runProgram, type RunResult } from "../../test/support/engine";
import { mirrorBinaries } from "../../test/support/mirror-binaries";
import { diskPressureProblem, testbedAvailable } from "../../test/support/testbed";
import { mirrorImages, tool } from "../../test/support/toolchain";
import { type KeeperRecord, runningKeeper, startKeeper, stopKeeper } from "./keeper-control";
import { DEFAULT_OPTIONS, type SandboxOptions } from "./options";
import { REPO_ROOT, type SandboxPaths } from "./paths";
import { changeSummary, clock, progressLine } from "./progress";
import { sandboxSpec, TOPOLOGIES } from "./topology";

const PROGRAM = join(REPO_ROOT, "index.ts");
const STACK = "sandbox";
const CLUSTER_KEY = "k8s-binary:cluster";

const shown = (path: string) => (path.startsWith(REPO_ROOT) ? relative(process.cwd(), path) || "." : path);

function savedOptions(paths: SandboxPaths): SandboxOptions | undefined {
    return existsSync(paths.options) ? (JSON.parse(readFileSync(paths.options, "utf8")) as SandboxOptions) : undefined;
}

/** The keeper of these options' hosts: the running one, or a new one (and then the old state is void). */
async function ensureHosts(paths: SandboxPaths, options: SandboxOptions, log: (line: string) => void): Promise<{ keeper: KeeperRecord; fresh: boolean }> {
    const names = TOPOLOGIES[options.topology].hosts.map((h) => h.name);
    const running = runningKeeper(paths);
    if (running) {
        const have = running.hosts.map((h) => h.name);
        if (have.join() !== names.join())
            throw new Error(
                `the sandbox runs the hosts ${have.join(", ")}, not topology ${options.topology}'s (${names.join(", ")}): run \`npm run sandbox -- down\` first`,
            );
        return { keeper: running, fresh: false };
    }
    if (existsSync(`${paths.state}.pulumi`)) {
        // The hosts of that state died with their keeper (a reboot, a kill): they start empty.
        log(`the sandbox's hosts are gone (the machine restarted, or the keeper was killed): starting over on new ones`);
        rmSync(`${paths.state}.pulumi`, { recursive: true, force: true });
    }
    // Root, Linux, the cgroup layout: said here, not in the keeper's log.
    const machine = testbedAvailable();
    if (!machine.ok) throw new Error(`this machine cannot run the sandbox's hosts: ${machine.reason}`);
    const disk = diskPressureProblem();
    if (disk) throw new Error(`this machine cannot run the sandbox's hosts: ${disk}`);
    log(`starting ${names.length} hosts (${names.join(", ")}) and the release mirror...`);
    const keeper = await startKeeper(paths, names);
    log(`hosts up: ${keeper.hosts.map((h) => `${h.name} ${h.address}`).join(", ")}`);
    return { keeper, fresh: true };
}

/** Writes the stack file for these options and hosts. */
function writeStack(paths: SandboxPaths, options: SandboxOptions, keeper: KeeperRecord): void {
    const binaries = mirrorBinaries(paths.mirror, keeper.mirrorUrl, { flannel: options.flannel !== "daemonset" });
    const spec = sandboxSpec(TOPOLOGIES[options.topology], options, keeper, binaries, mirrorImages(paths.mirror), keeper.mirrorUrl);
    const header = [
        `# The sandbox's stack (npm run sandbox): topology ${options.topology}, flannel ${options.flannel}/${options.backend},`,
        `# on hosts of this machine (10.77.${keeper.instance}.0/24), releases from the sandbox's mirror.`,
        `# Edit it and run \`npm run sandbox -- preview\` / \`up\`; \`up\` with options writes it anew.`,
    ];
    const doc = new Document({ config: { [CLUSTER_KEY]: spec } });
    // Lists of plain values on one line (`roles: [etcd, worker]`), as in the stacks/ files.
    visit(doc, { Seq: (_, seq) => void (seq.flow = seq.items.every(isScalar)) });
    writeFileSync(paths.stack, `${header.join("\n")}\n${doc.toString({ lineWidth: 0 })}`);
    writeFileSync(paths.options, `${JSON.stringify(options)}\n`);
}

/** The stack file's spec, validated offline first: every problem with its config path, before any host is touched. */
function stackConfig(paths: SandboxPaths): Record<string, string> {
    try {
        loadStackFile(paths.stack);
    } catch (e) {
        if (e instanceof SpecError) throw new Error(`${shown(paths.stack)} is not a valid stack:\n${e.issues.map(formatIssue).join("\n")}`, { cause: e });
        throw e;
    }
    const yaml = parseStackYaml(readFileSync(paths.stack, "utf8"));
    const cluster = yaml.ok ? (yaml.value as { config: Record<string, unknown> }).config[CLUSTER_KEY] : undefined;
    return { [CLUSTER_KEY]: JSON.stringify(cluster) };
}

/** The sandbox's own passphrase for the stack's secrets: random, made at the first run, readable by root only. */
function passphrase(paths: SandboxPaths): string {
    if (!existsSync(paths.passphrase)) writeFileSync(paths.passphrase, randomBytes(32).toString("base64url"), { mode: 0o600, flag: "wx" });
    return readFileSync(paths.passphrase, "utf8");
}

async function runEngine(paths: SandboxPaths, keeper: KeeperRecord, preview: boolean, log: (line: string) => void): Promise<RunResult> {
    const started = Date.now();
    const names = new Map(keeper.hosts.map((h) => [h.address, h.name]));
    const config = stackConfig(paths);
    log(`${preview ? "previewing" : "deploying"} ${shown(paths.stack)} with the Pulumi engine (elapsed, phase, host, finished step):`);
    try {
        return await runProgram({
            program: PROGRAM,
            stateFile: paths.state,
            stack: STACK,
            config,
            preview,
            // The backend keeps the state with its secrets encrypted; no plain-text export beside it.
            exportState: false,
            passphrase: passphrase(paths),
            onCommand: (entry) => log(progressLine(entry, Date.now() - started, names)),
        });
    } catch (e) {
        if (!(e instanceof EngineRunError)) throw e;
        throw new Error(
            `the ${preview ? "preview" : "deploy"} failed after ${clock(Date.now() - started)}: ${e.message}\n(see docs/troubleshooting.md; fix the cause and run up again)`,
            { cause: e },
        );
    }
}

/**
 * What the hosts and the deploy need of this machine: the testbed's Debian packages (installed
 * when missing) and the toolchain (built from Go modules when not cached: 20 to 30 minutes once).
 */
function prepareMachine(log: (line: string) => void): void {
    log("checking this machine's packages and the toolchain (built once, 20-30 min, then cached)...");
    for (const [script, ...args] of [
        ["scripts/testbed-prereqs.sh"],
        ["scripts/toolchain.sh", "build"],
        ["scripts/toolchain.sh", "build", "pulumi", "pulumi-kubernetes"],
    ]) {
        const r = spawnSync("bash", [join(REPO_ROOT, script), ...args], { stdio: ["ignore", "inherit", "inherit"] });
        if (r.status !== 0) throw new Error(`${script} ${args.join(" ")} failed (exit ${r.status ?? r.signal}): see its output above`);
    }
}

/** `up`: hosts, stack file, `pulumi up`, kubeconfig; prints how to use the cluster. */
export async function up(paths: SandboxPaths, given: Partial<SandboxOptions>, log: (line: string) => void): Promise<void> {
    const started = Date.now();
    if (process.platform !== "linux" || process.getuid?.() !== 0)
        throw new Error("the sandbox needs root on Linux: its hosts are network namespaces with their own mounts and cgroups (run it as root)");
    const options = { ...DEFAULT_OPTIONS, ...savedOptions(paths), ...given };
    prepareMachine(log);
    const { keeper, fresh } = await ensureHosts(paths, options, log);
    if (fresh || Object.keys(given).length > 0 || !existsSync(paths.stack)) writeStack(paths, options, keeper);
    const result = await runEngine(paths, keeper, false, log);
    writeFileSync(paths.kubeconfig, String(result.outputs.adminKubeconfig), { mode: 0o600 });
    const kubectl = tool("kubernetes", "kubectl");
    log(`done in ${clock(Date.now() - started)}: ${changeSummary(result.operations)}`);
    log("");
    log(`the cluster's API: ${String(result.outputs.apiserverEndpoint)}`);
    log(`  ${shown(kubectl)} --kubeconfig ${shown(paths.kubeconfig)} get nodes`);
    log(`a host: ssh -i ${shown(paths.privateKey)} -o UserKnownHostsFile=${shown(paths.knownHosts)} root@${keeper.hosts[0].address}`);
    log(`the stack: ${shown(paths.stack)} (edit it, then \`npm run sandbox -- preview\` and \`up\`)`);
    log("remove it all: npm run sandbox -- down");
}

/** `preview`: what `up` would change, per step. */
export async function preview(paths: SandboxPaths, log: (line: string) => void): Promise<void> {
    const keeper = runningKeeper(paths);
    if (!keeper) throw new Error("no sandbox is running: `npm run sandbox -- up` first");
    const result = await runEngine(paths, keeper, true, log);
    for (const o of result.operations.filter((o) => o.op !== "same" && o.type !== "pulumi:pulumi:Stack")) log(`  ${o.op.padEnd(8)} ${o.type}  ${o.name}`);
    log(`preview: ${changeSummary(result.operations)}`);
}

/** `status`: whether the hosts run, and where everything is. */
export function status(paths: SandboxPaths, log: (line: string) => void): void {
    const keeper = runningKeeper(paths);
    if (!keeper) {
        log(existsSync(paths.dir) ? `no sandbox hosts are running (leftovers in ${shown(paths.dir)}: \`down\` removes them)` : "no sandbox");
        return;
    }
    const options = savedOptions(paths);
    log(`sandbox: keeper PID ${keeper.pid}, ${options ? `topology ${options.topology}, flannel ${options.flannel}/${options.backend}` : "not deployed yet"}`);
    for (const h of keeper.hosts) log(`  ${h.name.padEnd(9)} ${h.address}`);
    log(`stack ${shown(paths.stack)}; kubeconfig ${shown(paths.kubeconfig)}`);
}

/** `down`: ends the hosts and removes the sandbox folder. */
export async function down(paths: SandboxPaths, log: (line: string) => void): Promise<void> {
    const keeper = runningKeeper(paths);
    if (keeper) {
        log(`stopping the hosts (keeper PID ${keeper.pid})...`);
        await stopKeeper(keeper);
    }
    rmSync(paths.dir, { recursive: true, force: true });
    log(`removed ${shown(paths.dir)}${keeper ? " and its hosts" : ""}`);
}
