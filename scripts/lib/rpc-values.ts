// Values as the mock runtime records them (deserialized RPC properties): secrets arrive wrapped.
import * as pulumi from "@pulumi/pulumi";

/** Whether a recorded value is a Pulumi secret. */
export function isSecret(value: unknown): boolean {
    return pulumi.runtime.isRpcSecret(value);
}

/** A recorded value with every secret wrapper removed. */
export function unwrap(value: unknown): unknown {
    if (isSecret(value)) return unwrap(pulumi.runtime.unwrapRpcSecret(value));
    if (Array.isArray(value)) return value.map(unwrap);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    return value;
}

/** Whether a recorded value holds a secret anywhere inside it. */
export function containsSecret(value: unknown): boolean {
    if (isSecret(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecret);
    if (value !== null && typeof value === "object") return Object.values(value).some(containsSecret);
    return false;
}
