import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { checkSpec } from "./checks";
import { closest, formatIssue, fromZodIssues, isSecureValue, SpecError, type SpecIssue } from "./errors";
import { nthAddress, parseCidr } from "./net";
import { clusterSpecSchema, type ClusterSpec } from "./schema";

/** The config namespace of this project (its name in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "k8s-binary";
/** Config key holding the whole spec as one structured value. */
export const CLUSTER_KEY = "cluster";
/** Secret config key holding the SSH private key (PEM/OpenSSH text). */
export const PRIVATE_KEY_KEY = "sshPrivateKey";
const KNOWN_KEYS = [CLUSTER_KEY, PRIVATE_KEY_KEY];

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

/**
 * Validates a raw `cluster` value: shape and defaults with zod, then every cross-field rule.
 * Throws one SpecError listing every problem (shape problems first: cross-field rules need a valid shape).
 */
export function parseClusterSpec(raw: unknown, options: ParseOptions = {}): ParsedSpec {
    const parsed = clusterSpecSchema.safeParse(raw);
    if (!parsed.success) throw new SpecError(fromZodIssues(clusterSpecSchema, parsed.error.issues, raw), [], options.source);
    const out = parsed.data;
    const spec: ClusterSpec = {
        ...out,
        network: { ...out.network, clusterDns: out.network.clusterDns ?? nthAddress(parseCidr(out.network.serviceCidr), 10) },
    };
    const { errors, warnings } = checkSpec(spec, { privateKeySecret: options.privateKeySecret ?? false });
    if (errors.length > 0) throw new SpecError(errors, warnings, options.source);
    return { spec, warnings };
}

/**
 * Validates a `Pulumi.<stack>.yaml` offline, without the Pulumi CLI: reads `k8s-binary:cluster`
 * and only checks that `k8s-binary:sshPrivateKey`, when present, is encrypted (it is never decrypted).
 */
export function loadStackFile(file: string): ParsedSpec {
    let doc: unknown;
    try {
        doc = YAML.parse(fs.readFileSync(file, "utf8"));
    } catch (e) {
        throw new SpecError([{ path: "", message: `cannot be read as YAML: ${(e as Error).message}`, hint: "fix the file's YAML syntax" }], [], file);
    }
    const config = (doc as { config?: Record<string, unknown> } | null)?.config ?? {};
    const issues: SpecIssue[] = [];
    let cluster: unknown;
    let privateKey: unknown;
    for (const [key, value] of Object.entries(config)) {
        const [namespace, name] = key.includes(":") ? key.split(":", 2) : [CONFIG_NAMESPACE, key];
        if (namespace !== CONFIG_NAMESPACE) continue;
        if (name === CLUSTER_KEY) cluster = value;
        else if (name === PRIVATE_KEY_KEY) privateKey = value;
        else {
            const guess = closest(name, KNOWN_KEYS);
            issues.push({
                path: key,
                message: "is not a config key of this project",
                hint: guess ? `did you mean \`${CONFIG_NAMESPACE}:${guess}\`?` : `the keys are ${KNOWN_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(" and ")}`,
            });
        }
    }
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
    if (cluster === undefined) {
        issues.push({ path: `${CONFIG_NAMESPACE}:${CLUSTER_KEY}`, message: "is missing", hint: "add the cluster spec under this key; stacks/Pulumi.dev.yaml is a small example" });
        throw new SpecError(issues, [], file);
    }
    let parsed: ParsedSpec | undefined;
    let specIssues: SpecIssue[] = [];
    let warnings: SpecIssue[] = [];
    try {
        parsed = parseClusterSpec(cluster, { privateKeySecret: privateKey !== undefined, source: file });
        warnings = parsed.warnings;
    } catch (e) {
        if (!(e instanceof SpecError)) throw e;
        specIssues = e.issues;
        warnings = e.warnings;
    }
    if (parsed === undefined || issues.length > 0) throw new SpecError([...issues, ...specIssues], warnings, file);
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
    const raw = config.getObject<unknown>(CLUSTER_KEY);
    if (raw === undefined)
        throw new SpecError([{ path: `${CONFIG_NAMESPACE}:${CLUSTER_KEY}`, message: "is missing", hint: "add the cluster spec under this key; stacks/Pulumi.dev.yaml is a small example" }], [], source);
    const secretKey = config.getSecret(PRIVATE_KEY_KEY);
    const parsed = parseClusterSpec(raw, { privateKeySecret: secretKey !== undefined, source });
    for (const w of parsed.warnings) pulumi.log.warn(`cluster spec:${formatIssue(w).slice(3)}`);

    const ssh = parsed.spec.ssh;
    const credentials: SshCredentials = {};
    if (secretKey !== undefined) credentials.privateKey = secretKey;
    else if (ssh.privateKeyPath) {
        const file = ssh.privateKeyPath.replace(/^~(?=$|\/)/, os.homedir());
        try {
            credentials.privateKey = pulumi.secret(fs.readFileSync(path.resolve(file), "utf8"));
        } catch (e) {
            throw new SpecError([{ path: "ssh.privateKeyPath", message: `cannot be read: ${(e as Error).message}`, hint: `point it at a readable private key file; where the file is absent (CI previews), use the secret ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY} instead` }], [], source);
        }
    } else {
        const socket = ssh.agentSocketPath ?? process.env.SSH_AUTH_SOCK;
        if (!socket)
            throw new SpecError([{ path: "ssh.agent", message: "is true but SSH_AUTH_SOCK is not set", hint: `start an ssh-agent or set ssh.agentSocketPath; where there is no agent (CI previews), use the secret ${CONFIG_NAMESPACE}:${PRIVATE_KEY_KEY} instead` }], [], source);
        credentials.agentSocketPath = socket;
    }
    return { ...parsed, credentials };
}
