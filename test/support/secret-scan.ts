/**
 * Finds secrets in text however they were encoded on the way: raw, base64 (at each of the three
 * byte alignments a secret can have inside a larger encoded blob, standard and URL-safe), hex
 * (either case), and, for PEM text, the body lines without their armour. A literal `includes`
 * misses all but the first; this is what the tests' "never in a command line, log, state or
 * rendered file" checks use.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EngineState } from "./engine";

/** One place a secret was found. */
export interface Leak {
    /** Where the text came from (a resource and field, a log, a file). */
    where: string;
    /** Which secret, by its label. */
    secret: string;
    /** How it was encoded there: raw, base64@0..2, base64url@0..2, hex, HEX, pem-line. */
    form: string;
}

/** Fragments shorter than this would match by chance in large texts. */
const MIN_FRAGMENT = 12;

/** Every encoded form of a secret worth looking for, with the form's name. */
export function encodedForms(secret: string): { form: string; text: string }[] {
    const bytes = Buffer.from(secret, "utf8");
    const forms: { form: string; text: string }[] = [{ form: "raw", text: secret }];
    for (let shift = 0; shift < 3; shift++) {
        // Encode behind `shift` filler bytes; keep only the characters that depend on the secret alone.
        const encoded = Buffer.concat([Buffer.alloc(shift), bytes])
            .toString("base64")
            .replace(/=+$/, "");
        const start = shift === 0 ? 0 : Math.ceil((shift * 8) / 6);
        const end = encoded.length - ((bytes.length + shift) % 3 === 0 ? 0 : 1);
        const core = encoded.slice(start, Math.max(start, end));
        forms.push({ form: `base64@${shift}`, text: core });
        forms.push({ form: `base64url@${shift}`, text: core.replace(/\+/g, "-").replace(/\//g, "_") });
    }
    forms.push({ form: "hex", text: bytes.toString("hex") });
    forms.push({ form: "HEX", text: bytes.toString("hex").toUpperCase() });
    // A PEM body travels line by line (a key pasted into a heredoc, a log that wraps).
    const body = /-----BEGIN [A-Z0-9 ]+-----\s*([\s\S]*?)-----END [A-Z0-9 ]+-----/.exec(secret)?.[1];
    if (body) {
        const lines = body.split(/\s+/).filter((l) => l.length >= MIN_FRAGMENT && !l.includes(":"));
        lines.forEach((line, i) => forms.push({ form: `pem-line-${i}`, text: line }));
        forms.push({ form: "pem-body", text: lines.join("") });
    }
    return forms.filter((f) => f.text.length >= Math.min(MIN_FRAGMENT, secret.length));
}

/** Every leak of any of `secrets` (label → value) in any of `texts` (where → text). */
export function findLeaks(texts: Record<string, string>, secrets: Record<string, string>): Leak[] {
    const leaks: Leak[] = [];
    for (const [label, secret] of Object.entries(secrets)) {
        const forms = encodedForms(secret);
        for (const [where, text] of Object.entries(texts))
            for (const { form, text: needle } of forms) if (text.includes(needle)) leaks.push({ where, secret: label, form });
    }
    return leaks;
}

/** One line per leak, for an assertion message. */
export function describeLeaks(leaks: Leak[]): string {
    return leaks.map((l) => `${l.secret} (${l.form}) in ${l.where}`).join("\n");
}

/**
 * The text of a mock-registered resource's inputs, with the values Pulumi holds as secrets
 * taken out (they are encrypted in state; everything else is plain text in state and previews).
 * Strings are kept whole so encoded forms stay findable; no `String(output)` ("[object Object]").
 */
export function plainInputs(inputs: unknown): string {
    const out: string[] = [];
    const walk = (v: unknown): void => {
        if (v === null || v === undefined) return;
        if (typeof v === "string") out.push(v);
        else if (typeof v === "number" || typeof v === "boolean") out.push(String(v));
        else if (Array.isArray(v)) v.forEach(walk);
        else if (typeof v === "object") {
            const record = v as Record<string, unknown>;
            if (record[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig) return;
            Object.values(record).forEach(walk);
        }
    };
    walk(inputs);
    return out.join("\n");
}

/**
 * The test engine's state with the values stored as secrets taken out: what Pulumi would keep in
 * plain text in a checkpoint. Secret paths look like `connection.privateKey` or `triggers[0]`.
 */
export function plainState(state: EngineState): Record<string, string> {
    const out: Record<string, string> = {};
    for (const r of [...Object.values(state.resources), ...state.pendingDeletes]) {
        const inputs = structuredClone(r.inputs);
        const outputs = structuredClone(r.outputs);
        r.secretInputs.forEach((p) => dropPath(inputs, p));
        r.secretOutputs.forEach((p) => dropPath(outputs, p));
        out[`state ${r.name}`] = JSON.stringify({ inputs, outputs });
    }
    return out;
}

function dropPath(root: unknown, path: string): void {
    const parts = [...path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)].map((m) => (m[2] !== undefined ? Number(m[2]) : m[1]));
    let cur = root as Record<PropertyKey, unknown> | undefined;
    for (const part of parts.slice(0, -1)) {
        cur = cur?.[part] as Record<PropertyKey, unknown> | undefined;
        if (cur === null || typeof cur !== "object") return;
    }
    if (cur && typeof cur === "object") delete cur[parts[parts.length - 1]];
}
