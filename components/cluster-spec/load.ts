import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import type { z } from "zod";
import { checkSpec } from "./checks";
import { checkConfigKeys, checkStackFileFields, CLUSTER_KEY, CONFIG_NAMESPACE, PRIVATE_KEY_KEY } from "./config-keys";
import { keyFileProblem, publicKeyProblem } from "./credentials";
import { formatIssue, formatPath, fromZodIssues, isSecureValue, SpecError, type SpecIssue } from "./errors";
import { nthAddress, parseCidr } from "./net";
import { restoreIndices, restorePath, withoutFields } from "./repair";
import { clusterSpecSchema, type ClusterSpec } from "./schema";
import { parseStackYaml } from "./stack-yaml";

export { CLUSTER_KEY, CONFIG_NAMESPACE, PRIVATE_KEY_KEY } from "./config-keys";

/** A validated spec and the findings that did not block it. */
export interface ParsedSpec {
    /** The spec with every default applied. */
    spec: ClusterSpec;
    /** Non-blocking findings (e.g. an even etcd member count). */
    warnings: SpecIssue[];
}

/** What `parseClusterSpec` needs to know besides the `cluster` value. */
export interface ParseOptions {
    /** Whether the secret key `k8s-binary:sshPrivateKey` is set. Default: false. */
    privateKeySecret?: boolean;
    /** Where the spec came from, named in the error message (a file or a stack). Default: none. */
    source?: string;
}

const MISSING_CLUSTER: SpecIssue = {
    path: `${CONFIG_NAMESPACE}:${CLUSTER_KEY}`,
    message: "is missing",
    hint: "add the cluster spec under this key; stacks/Pulumi.dev.yaml is a small example",
};

/** The spec as components take it: defaults applied, every host's arch and the cluster DNS address settled. */
function completed(out: z.output<typeof clusterSpecSchema>): ClusterSpec {
    return {
        ...out,
        hosts: out.hosts.map((h) => ({ ...h, arch: h.arch ?? out.arch })),
        network: { ...out.network, clusterDns: out.network.clusterDns ?? nthAddress(parseCidr(out.network.serviceCidr), 10) },
    };
}

/** Paths of zod issues; an unknown field's path ends at the field itself. */
function issuePaths(issues: readonly z.core.$ZodIssue[]): PropertyKey[][] {
    return issues.flatMap((i) => (i.code === "unrecognized_keys" ? i.keys.map((k) => [...i.path, k]) : [[...i.path]]));
}

const within = (a: string, b: string) => a === b || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);

/**
 * Required releases that cannot be taken out: a stand-in lets the other rules run, and every
 * finding under `binaries` is dropped, since it would judge the stand-in.
 */
const STAND_INS: Record<string, unknown> = {
    "binaries.kubernetes": { version: "1.33.0", serverTarball: { sha512: "0".repeat(128) } },
    "binaries.etcd": { version: "3.5.0", sha256: "0".repeat(64) },
};

/**
 * The cross-field findings of a spec whose fields have errors: the invalid fields are taken out
 * (a required one with its parent, up to the list element holding it) and the rules run on the
 * rest. Findings about the removed places are dropped: they would only repeat the field errors.
 */
function crossFieldFindings(
    raw: unknown,
    fieldIssues: readonly z.core.$ZodIssue[],
    context: { privateKeySecret: boolean },
): { errors: SpecIssue[]; warnings: SpecIssue[] } {
    let paths = issuePaths(fieldIssues);
    for (let round = 0; round < 4; round++) {
        const repaired = withoutFields(raw, paths);
        const standIns = paths.map((p) => formatPath(p)).filter((p) => p in STAND_INS);
        const binaries = (repaired.value as { binaries?: Record<string, unknown> } | null)?.binaries;
        for (const p of standIns) if (binaries && typeof binaries === "object") binaries[p.split(".")[1]] = STAND_INS[p];
        const parsed = clusterSpecSchema.safeParse(repaired.value);
        if (parsed.success) {
            // A finding at, above or below a field taken out judges the gap, not the file (e.g. `hosts` counts).
            const blocked = [...paths.map((p) => formatPath(p)), ...(standIns.length > 0 ? ["binaries", "containerRuntime"] : [])];
            // So does one naming a host taken out ("`cp2` is not the name of a host with the `etcd` role").
            const gone = [...(repaired.removed.get("hosts") ?? [])]
                .map((i) => (raw as { hosts?: { name?: unknown }[] }).hosts?.[i]?.name)
                .filter((n): n is string => typeof n === "string");
            const keep = (issue: SpecIssue) =>
                !blocked.some((b) => within(b, issue.path) || within(issue.path, b)) && !gone.some((name) => issue.message.includes(`\`${name}\``));
            const restore = (issue: SpecIssue): SpecIssue => ({
                ...issue,
                path: restoreIndices(issue.path, repaired.removed),
                message: restoreIndices(issue.message, repaired.removed),
            });
            const found = checkSpec(completed(parsed.data), context);
            return { errors: found.errors.map(restore).filter(keep), warnings: found.warnings.map(restore).filter(keep) };
        }
        // Still failing: a removed field was required. Take its parent out next time.
        const more = issuePaths(parsed.error.issues)
            .map((p) => restorePath(p, repaired.removed).slice(0, -1))
            .filter((p) => p.length > 0);
        if (more.length === 0) break;
        paths = [...paths, ...more];
    }
    return { errors: [], warnings: [] };
}

/**
 * Validates a raw `cluster` value: shape and defaults with zod, then every cross-field rule.
 * Throws one SpecError listing every problem: field problems first, then the cross-field ones
 * found in the fields that are valid.
 */
export function parseClusterSpec(raw: unknown, options: ParseOptions = {}): ParsedSpec {
    const context = { privateKeySecret: options.privateKeySecret ?? false };
    const parsed = clusterSpecSchema.safeParse(raw);
    if (!parsed.success) {
        const cross = crossFieldFindings(raw, parsed.error.issues, context);
        throw new SpecError([...fromZodIssues(clusterSpecSchema, parsed.error.issues, raw), ...cross.errors], cross.warnings, options.source);
    }
    const spec = completed(parsed.data);
    const { errors, warnings } = checkSpec(spec, context);
    if (errors.length > 0) throw new SpecError(errors, warnings, options.source);
    return { spec, warnings };
}

/** Where `ssh.privateKeyPath` points, with `~` expanded and relative paths taken from the project directory. */
function keyFile(privateKeyPath: string): string {
    return path.resolve(privateKeyPath.replace(/^~(?=$|\/)/, os.homedir()));
}

/** Reads the key file; the problem names the error code only (the path may be wrong in ways not to repeat). */
function readKeyFile(privateKeyPath: string): { text: string } | { code: string } {
    try {
        return { text: fs.readFileSync(keyFile(privateKeyPath), "utf8") };
    } catch (e) {
        return { code: (e as NodeJS.ErrnoException).code ?? "unreadable" };
    }
}

function keyContentIssue(text: string, where: string): SpecIssue | undefined {
    const problem = keyFileProblem(text);
    return problem ? { path: where, message: `names a file that ${problem}`, hint: "point it at the private key file, e.g. ~/.ssh/id_ed25519" } : undefined;
}

/**
 * Validates a `Pulumi.<stack>.yaml` offline, without the Pulumi CLI, reading it as the CLI does:
 * the stack file's fields, its config keys, then `k8s-binary:cluster`. `k8s-binary:sshPrivateKey`
 * is only checked to be encrypted (never decrypted); a key file named by `ssh.privateKeyPath` is
 * checked when it is on this machine.
 */
export function loadStackFile(file: string): ParsedSpec {
    let text: string;
    try {
        text = fs.readFileSync(file, "utf8");
    } catch (e) {
        throw new SpecError(
            [{ path: "", message: `cannot be read (${(e as NodeJS.ErrnoException).code ?? "error"})`, hint: "name an existing stack file" }],
            [],
            file,
        );
    }
    const yaml = parseStackYaml(text);
    if (!yaml.ok) throw new SpecError(yaml.issues, [], file);
    const issues: SpecIssue[] = checkStackFileFields(yaml.value);
    const rawConfig = (yaml.value as { config?: unknown } | null)?.config;
    const config = rawConfig && typeof rawConfig === "object" && !Array.isArray(rawConfig) ? (rawConfig as Record<string, unknown>) : {};
    const keys = checkConfigKeys(Object.keys(config));
    issues.push(...keys.issues);
    const cluster = keys.cluster === undefined ? undefined : config[keys.cluster];
    const privateKey = keys.privateKey === undefined ? undefined : config[keys.privateKey];
    if (privateKey !== undefined && !isSecureValue(privateKey))
        issues.push({
            path: `${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}`,
            message: "holds a private key in plain text",
            hint: `store it encrypted: pulumi config set --secret ${PRIVATE_KEY_KEY} < ~/.ssh/id_ed25519`,
        });
    if (isSecureValue(cluster)) {
        issues.push({
            path: `${CONFIG_NAMESPACE}:${CLUSTER_KEY}`,
            message: "is encrypted, so it cannot be reviewed or validated",
            hint: `store it in plain text; secret material belongs in ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}`,
        });
        throw new SpecError(issues, [], file);
    }
    if (cluster === undefined) throw new SpecError([...issues, MISSING_CLUSTER], [], file);
    let parsed: ParsedSpec | undefined;
    let specIssues: SpecIssue[] = [];
    let warnings: SpecIssue[];
    try {
        parsed = parseClusterSpec(cluster, { privateKeySecret: privateKey !== undefined, source: file });
        warnings = parsed.warnings;
    } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        specIssues = e.issues;
        warnings = e.warnings;
    }
    const keyPath = parsed?.spec.ssh.privateKeyPath;
    if (keyPath !== undefined) {
        // Read as the program reads it: relative to the directory validate runs in, the project's.
        const read = readKeyFile(keyPath);
        if ("text" in read) {
            const issue = keyContentIssue(read.text, "ssh.privateKeyPath");
            if (issue) specIssues.push(issue);
        } else
            warnings.push({
                path: "ssh.privateKeyPath",
                message: `is not readable on this machine (${read.code}); the deploy reads it where pulumi runs`,
                hint: `make sure the file is there, or use the secret ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY} where it is not (CI previews)`,
            });
    }
    if (parsed === undefined || issues.length > 0 || specIssues.length > 0) throw new SpecError([...issues, ...specIssues], warnings, file);
    return parsed;
}

/** How the program authenticates to the hosts, resolved from the spec and the secret config. */
export interface SshCredentials {
    /** Private key text, a Pulumi secret; set unless the agent is used. */
    privateKey?: pulumi.Output<string>;
    /** Agent socket; set when `ssh.agent` is true. */
    agentSocketPath?: string;
}

/** A validated spec from the current stack's config, with its SSH credentials. */
export interface StackSpec extends ParsedSpec {
    /** Credentials for every host (and the bastion). */
    credentials: SshCredentials;
}

/**
 * Loads and validates the current stack's spec (for the program's index.ts): logs warnings, throws
 * a SpecError before any resource is registered, and reads the private key (file or secret) as a secret.
 */
export function loadSpecFromPulumiConfig(config: pulumi.Config = new pulumi.Config(CONFIG_NAMESPACE)): StackSpec {
    const source = `stack ${pulumi.getStack()}`;
    // The same key checks as validate's, on the keys Pulumi resolved (`ns:name`).
    const keyIssues = checkConfigKeys(Object.keys(pulumi.runtime.allConfig())).issues;
    const raw = config.getObject<unknown>(CLUSTER_KEY);
    if (raw === undefined) throw new SpecError([...keyIssues, MISSING_CLUSTER], [], source);
    const secretText = pulumi.runtime.getConfig(`${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}`);
    let parsed: ParsedSpec;
    try {
        parsed = parseClusterSpec(raw, { privateKeySecret: secretText !== undefined, source });
    } catch (e) {
        if (e instanceof SpecError && keyIssues.length > 0) throw new SpecError([...keyIssues, ...e.issues], e.warnings, source);
        throw e;
    }
    const ssh = parsed.spec.ssh;
    const credentials: SshCredentials = {};
    const issues = [...keyIssues];
    if (secretText !== undefined) {
        const problem = publicKeyProblem(secretText);
        if (problem)
            issues.push({
                path: `${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY}`,
                message: problem,
                hint: `set it from the private key file: pulumi config set --secret ${PRIVATE_KEY_KEY} < ~/.ssh/id_ed25519`,
            });
        credentials.privateKey = pulumi.secret(secretText);
    } else if (ssh.privateKeyPath) {
        const read = readKeyFile(ssh.privateKeyPath);
        if ("code" in read)
            issues.push({
                path: "ssh.privateKeyPath",
                message: `cannot be read (${read.code})`,
                hint: `point it at a readable private key file; where the file is absent (CI previews), use the secret ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY} instead`,
            });
        else {
            const issue = keyContentIssue(read.text, "ssh.privateKeyPath");
            if (issue) issues.push(issue);
            credentials.privateKey = pulumi.secret(read.text);
        }
    } else {
        const socket = ssh.agentSocketPath ?? process.env.SSH_AUTH_SOCK;
        if (!socket)
            issues.push({
                path: "ssh.agent",
                message: "is true but SSH_AUTH_SOCK is not set",
                hint: `start an ssh-agent or set ssh.agentSocketPath; where there is no agent (CI previews), use the secret ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY} instead`,
            });
        credentials.agentSocketPath = socket;
    }
    if (issues.length > 0) throw new SpecError(issues, parsed.warnings, source);
    for (const w of parsed.warnings) pulumi.log.warn(`cluster spec:${formatIssue(w).slice(3)}`);
    return { ...parsed, credentials };
}
