import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";

/** Hex sha256 of a string. */
export function sha256Hex(text: string): string {
    return createHash("sha256").update(text, "utf8").digest("hex");
}

/**
 * One sha256 over several values, in order. Used as the stdin of steps that must re-run when
 * something they depend on changes: a stdin change is an in-place update of a `remote.Command`
 * (it re-runs), whereas a `triggers` change would replace it (create the new, delete the old).
 * Derived from a secret, the fingerprint stays secret (a hash of a short secret can be guessed).
 */
export function fingerprint(values: pulumi.Input<string>[]): pulumi.Output<string> {
    return pulumi.all(values).apply((parts) => sha256Hex(parts.map((p) => `${p.length}:${p}`).join("\n")));
}
