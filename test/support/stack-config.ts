// A stack file's config as the Pulumi CLI hands it to a program (namespaced keys, JSON for
// objects), and the program's own loader run on it.
import * as fs from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import YAML from "yaml";
import { loadSpecFromPulumiConfig } from "../../components";

/** The config a program sees for a stack file. */
export function asPulumiConfig(file: string): Record<string, string> {
    const doc = YAML.parse(fs.readFileSync(file, "utf8"), { merge: true, maxAliasCount: -1 }) as { config?: Record<string, unknown> };
    const out: Record<string, string> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        const parts = key.split(":");
        const name = parts.length === 1 ? `k8s-binary:${key}` : parts.length === 3 ? `${parts[0]}:${parts[2]}` : key;
        out[name] = typeof value === "string" ? value : JSON.stringify(value);
    }
    return out;
}

/** The spec and credentials the program loads from a stack file's config (the mock runtime must be installed). */
export function programLoad(file: string) {
    pulumi.runtime.setAllConfig(asPulumiConfig(file), []);
    return loadSpecFromPulumiConfig();
}
