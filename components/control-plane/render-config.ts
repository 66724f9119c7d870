/** The apiserver's configuration files: encryption at rest and the audit policy. */
import { stringify } from "yaml";
import type { ControlPlanePlan } from "./plan";

export { DEFAULT_AUDIT_POLICY } from "./plan";

/** One encryption key: its name and its secret, base64 of 32 random bytes. */
export interface EncryptionKey {
    name: string;
    secret: string;
}

/**
 * encryption-config.yaml (apiserver.config.k8s.io/v1): Secrets are written with the first key
 * (secretbox), read with any key; `identity` last, so Secrets written before encryption was on
 * stay readable until they are re-written. Throws on a malformed key, naming the key, never its secret.
 */
export function renderEncryptionConfig(keys: EncryptionKey[]): string {
    if (keys.length === 0) throw new Error("the encryption configuration needs at least one key");
    for (const k of keys) {
        if (!/^[a-z0-9-]{1,63}$/.test(k.name)) throw new Error(`"${k.name}" is not an encryption key name`);
        if (!/^[A-Za-z0-9+/]{43}=$/.test(k.secret) || Buffer.from(k.secret, "base64").length !== 32) {
            throw new Error(`encryption key ${k.name} is not the base64 of 32 bytes`);
        }
    }
    return stringify({
        apiVersion: "apiserver.config.k8s.io/v1",
        kind: "EncryptionConfiguration",
        resources: [
            {
                resources: ["secrets"],
                providers: [{ secretbox: { keys: keys.map((k) => ({ name: k.name, secret: k.secret })) } }, { identity: {} }],
            },
        ],
    });
}

/** audit-policy.yaml: the plan's policy (the default unless the Args gave one), ending in a newline. */
export function renderAuditPolicy(plan: ControlPlanePlan): string {
    return plan.audit.policy.endsWith("\n") ? plan.audit.policy : `${plan.audit.policy}\n`;
}
