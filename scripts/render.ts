/**
 * Renders a stack offline, for review in a pull request (no Pulumi CLI, no hosts, no secrets):
 *   tsx scripts/render.ts stacks/Pulumi.<stack>.yaml [--out DIR]     (default DIR: out/<stack>)
 * Validates the stack file like scripts/validate.ts, runs the program (index.ts) on Pulumi's mock
 * runtime with the stack's config, and writes every host's files and steps, the in-cluster
 * objects, the resource graph and a summary to DIR. Exits 1 on an invalid stack, 2 on bad usage.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { formatIssue, loadStackFile, SpecError } from "../components/cluster-spec";
import { CLUSTER_KEY, CONFIG_NAMESPACE, PRIVATE_KEY_KEY } from "../components/cluster-spec/load";
import { installMockRuntime, settled, valueOf } from "./lib/mock-runtime";
import { resolveAssets } from "./render/assets";
import { collect } from "./render/collect";
import { deployPlaceholders } from "./render/deploy-outputs";
import { SSH_KEY_PLACEHOLDER, Substitutions } from "./render/placeholders";
import { checkOutDir, writeRender } from "./render/write";

const USAGE = "usage: npm run render -- stacks/Pulumi.<stack>.yaml [--out DIR]";

function parseArgs(argv: string[]): { file: string; out?: string } | undefined {
    let file: string | undefined;
    let out: string | undefined;
    for (let i = 0; i < argv.length; i++) {
        if (argv[i] === "--out" && i + 1 < argv.length) out = argv[++i];
        else if (argv[i].startsWith("--out=")) out = argv[i].slice("--out=".length);
        else if (!argv[i].startsWith("-") && file === undefined) file = argv[i];
        else return undefined;
    }
    return file === undefined ? undefined : { file, out };
}

/** The stack name of `Pulumi.<stack>.yaml`. */
function stackName(file: string): string {
    const m = /^Pulumi\.(.+)\.ya?ml$/.exec(path.basename(file));
    return m ? m[1] : path.basename(file).replace(/\.ya?ml$/, "");
}

async function main(argv: string[]): Promise<number> {
    const args = parseArgs(argv);
    if (!args) {
        console.error(USAGE);
        return 2;
    }
    let warnings: string[];
    try {
        warnings = loadStackFile(args.file).warnings.map((w) => formatIssue(w).slice(3).trim());
    } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        console.error(`FAIL ${args.file}`);
        console.error(e.message);
        for (const w of e.warnings) console.error(`  warning:${formatIssue(w).slice(3)}`);
        return 1;
    }
    const stack = stackName(args.file);
    const out = args.out ?? path.join("out", stack);
    checkOutDir(out);

    // The cluster value as the stack holds it, with the SSH credentials swapped for a placeholder secret.
    const config = (YAML.parse(fs.readFileSync(args.file, "utf8")) as { config: Record<string, unknown> }).config;
    const cluster = structuredClone(config[`${CONFIG_NAMESPACE}:${CLUSTER_KEY}`] ?? config[CLUSTER_KEY]) as { ssh?: Record<string, unknown> };
    const configNotes: string[] = [];
    for (const key of ["privateKeyPath", "agent", "agentSocketPath"]) {
        if (cluster.ssh && key in cluster.ssh) {
            configNotes.push(`ssh.${key} was left out for the run (no key file or agent is needed offline)`);
            delete cluster.ssh[key];
        }
    }
    configNotes.push(
        `SSH credentials: the placeholder secret ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}, which appears only in connections, never in files or steps`,
    );

    const substitutions = new Substitutions();
    const recording = installMockRuntime({ project: CONFIG_NAMESPACE, stack, outputs: deployPlaceholders(substitutions) });
    pulumi.runtime.setAllConfig(
        {
            [`${CONFIG_NAMESPACE}:${CLUSTER_KEY}`]: JSON.stringify(cluster),
            [`${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}`]: SSH_KEY_PLACEHOLDER,
        },
        [`${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}`],
    );
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program runs now, after the mock runtime and its config are set
    const program = require("../index") as Record<string, unknown>;
    await settled();
    await resolveAssets(recording.registrations);

    const { spec } = loadStackFile(args.file);
    const rendered = collect(spec, recording, substitutions);
    const outputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(program).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
        const resolved = await valueOf(pulumi.output(value) as pulumi.Output<unknown>);
        outputs[name] = JSON.parse(substitutions.apply(JSON.stringify(resolved ?? null)));
    }
    const count = writeRender(out, rendered, { stack, stackFile: args.file, configNotes, warnings, outputs });

    console.log(`rendered ${args.file} to ${out}: ${count} files`);
    for (const n of configNotes) console.log(`  ${n}`);
    for (const w of warnings) console.log(`  warning: ${w}`);
    for (const h of rendered.hosts) console.log(`  ${h.name}: ${h.files.length} files, ${h.units.length} units, ${h.steps.length} steps`);
    console.log(`  ${rendered.clusterObjects.length} in-cluster objects, ${rendered.certificates.length} certificates, ${rendered.graph.length} resources`);
    if (rendered.unplaced.length > 0) console.log(`  remote steps on no known host: ${rendered.unplaced.join(", ")}`);
    return 0;
}

main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
        console.error(e instanceof Error ? e.message : String(e));
        process.exit(1);
    },
);
