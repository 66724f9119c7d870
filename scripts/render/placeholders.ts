// The values the render mocks give provider outputs that only exist after a deployment: plain
// text that says what will be there, never key material. Deterministic, so two renders of one
// stack are byte-identical.
import { createHash } from "node:crypto";

/** What a tls.PrivateKey's key will be. */
export const privateKeyPlaceholder = (name: string): string => `<private key of ${name}: generated at deploy>`;
/** What a signed or self-signed certificate will be. */
export const certificatePlaceholder = (name: string): string => `<certificate ${name}: issued at deploy>`;
/** What a certificate signing request will be. */
export const certRequestPlaceholder = (name: string): string => `<certificate request ${name}: made at deploy>`;
/** When a certificate will expire. */
export const validityEndPlaceholder = (name: string): string => `<expiry of ${name}: set at deploy>`;
/** What a random password or string will be. */
export const randomPlaceholder = (name: string): string => `<random ${name}: generated at deploy>`;
/** The SSH key the render runs with instead of the stack's credentials. */
export const SSH_KEY_PLACEHOLDER = "<ssh private key: not used by render>";

/**
 * Random results stand in as a token the consumers accept (keepalived's auth_pass must be at most
 * eight letters and digits), rewritten to their placeholder in everything the render writes.
 * Upper-case letters only, so the token never matches inside a hex digest.
 */
export function randomToken(name: string, length: number): string {
    const letters = [...createHash("sha256").update(name).digest()].map((b) => String.fromCharCode(65 + (b % 26))).join("");
    return `RND${letters}`.slice(0, Math.max(1, length));
}

/** Placeholders of secrets: a file or step holding one carries secret material at deploy. */
export const SECRET_PLACEHOLDER = /<(private key of|random) [^>]*>/;

/** Rewrites stand-in tokens (and base64 encodings of placeholders, as kubeconfigs embed keys) to their placeholder text. */
export class Substitutions {
    private readonly pairs: [string, string][] = [];
    // The pairs in the order `apply` rewrites them, sorted once per change rather than per text
    // (the render applies them to every file and step: thousands of texts on a large stack).
    private sorted: [string, string][] | undefined;

    /** `from` becomes `to` in every text passed to `apply`. */
    add(from: string, to: string): void {
        this.pairs.push([from, to]);
        this.sorted = undefined;
    }

    /** Registers a placeholder that may also appear base64-encoded. */
    addEncoded(placeholder: string): void {
        this.add(Buffer.from(placeholder).toString("base64"), `<base64 of ${placeholder}>`);
    }

    apply(text: string): string {
        let out = text;
        // Longest first, so a token that contains another is rewritten whole.
        this.sorted ??= [...this.pairs].sort((a, b) => b[0].length - a[0].length || a[0].localeCompare(b[0]));
        for (const [from, to] of this.sorted) {
            out = out.split(from).join(to);
        }
        return out;
    }
}
