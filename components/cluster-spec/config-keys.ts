/**
 * The keys of a stack's config, read as the Pulumi CLI reads them (sdk/go/common/resource/config
 * ParseKey, workspace.stackConfigNamespacedWithProject): `name` means `<project>:name`, and
 * `<project>:config:name` is the old spelling of `<project>:name`. Pulumi ignores keys it does
 * not know and keeps one of two spellings of the same key; here both are errors.
 */
import { closest, type SpecIssue } from "./errors";

/** The config namespace of this project (its name in Pulumi.yaml). */
export const CONFIG_NAMESPACE = "k8s-binary";
/** Config key holding the whole spec as one structured value. */
export const CLUSTER_KEY = "cluster";
/** Secret config key holding the SSH private key (PEM/OpenSSH text). */
export const PRIVATE_KEY_KEY = "sshPrivateKey";
const KNOWN_KEYS = [CLUSTER_KEY, PRIVATE_KEY_KEY];

/** Top-level fields of a stack file (workspace.ProjectStack). */
const STACK_FILE_FIELDS = ["config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment"];

/** What the config keys hold: which written key carries each known key, and the problems. */
export interface ConfigKeys {
    /** The key as written that holds the cluster spec, when present. */
    cluster?: string;
    /** The key as written that holds the SSH private key, when present. */
    privateKey?: string;
    issues: SpecIssue[];
}

/** `ns:name` the way Pulumi parses a written key, or undefined when Pulumi cannot parse it. */
function parseKey(key: string): { namespace: string; name: string } | undefined {
    const parts = key.split(":");
    if (parts.length === 1) return { namespace: CONFIG_NAMESPACE, name: key };
    if (parts.length === 2) return { namespace: parts[0], name: parts[1] };
    if (parts.length === 3 && parts[1] === "config") return { namespace: parts[0], name: parts[2] };
    return undefined;
}

/** Whether a namespace is this project's, misspelled (a typo or other capitals) rather than another package's. */
function misspeltNamespace(namespace: string): boolean {
    return namespace !== CONFIG_NAMESPACE && closest(namespace, [CONFIG_NAMESPACE]) !== undefined;
}

/** Checks the written config keys of a stack file, or the keys the program sees (`pulumi.runtime.allConfig()`). */
export function checkConfigKeys(keys: string[]): ConfigKeys {
    const out: ConfigKeys = { issues: [] };
    const seen = new Map<string, string>();
    for (const key of keys) {
        const parsed = parseKey(key);
        if (!parsed) {
            out.issues.push({ path: key, message: "is not a config key Pulumi can read", hint: "write keys as `namespace:name`, e.g. `k8s-binary:cluster`" });
            continue;
        }
        const { namespace, name } = parsed;
        if (namespace !== CONFIG_NAMESPACE) {
            if (misspeltNamespace(namespace))
                out.issues.push({
                    path: key,
                    message: `is in namespace \`${namespace}\`, which no package reads: Pulumi would ignore it`,
                    hint: `did you mean \`${CONFIG_NAMESPACE}:${closest(name, KNOWN_KEYS) ?? name}\`?`,
                });
            continue;
        }
        if (!KNOWN_KEYS.includes(name)) {
            const guess = closest(name, KNOWN_KEYS);
            out.issues.push({
                path: key,
                message: "is not a config key of this project: Pulumi would ignore it",
                hint: guess
                    ? `did you mean \`${CONFIG_NAMESPACE}:${guess}\`?`
                    : `the keys are ${KNOWN_KEYS.map((k) => `${CONFIG_NAMESPACE}:${k}`).join(" and ")}`,
            });
            continue;
        }
        const earlier = seen.get(name);
        if (earlier !== undefined) {
            out.issues.push({
                path: key,
                message: `is \`${CONFIG_NAMESPACE}:${name}\` again (also written as \`${earlier}\`): Pulumi keeps one of them`,
                hint: "keep one of the two",
            });
            continue;
        }
        seen.set(name, key);
        if (name === CLUSTER_KEY) out.cluster = key;
        else out.privateKey = key;
    }
    return out;
}

/** Checks the top level of a stack file: Pulumi ignores fields it does not know, such as a misspelt `config`. */
export function checkStackFileFields(doc: unknown): SpecIssue[] {
    if (doc === null || doc === undefined) return [];
    if (typeof doc !== "object" || Array.isArray(doc)) return [{ path: "", message: "is not a map of stack settings", hint: "start the file with `config:`" }];
    const issues: SpecIssue[] = [];
    for (const field of Object.keys(doc)) {
        if (STACK_FILE_FIELDS.includes(field)) continue;
        const guess = closest(field, STACK_FILE_FIELDS);
        issues.push({
            path: field,
            message: "is not a stack file field: Pulumi would ignore it and everything under it",
            hint: guess ? `did you mean \`${guess}\`?` : `the fields are ${STACK_FILE_FIELDS.join(", ")}`,
        });
    }
    const config = (doc as { config?: unknown }).config;
    if (config !== undefined && config !== null && (typeof config !== "object" || Array.isArray(config)))
        issues.push({ path: "config", message: "is not a map of config keys", hint: "write `config:` followed by indented `k8s-binary:cluster:`" });
    return issues;
}
