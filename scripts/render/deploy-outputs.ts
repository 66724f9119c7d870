// Provider outputs under the render: what only a deployment makes is a placeholder (see
// placeholders.ts); random values are stand-in tokens the consumers accept, rewritten to their
// placeholder by the substitutions in everything written.
import type { ProviderOutputs } from "../lib/mock-runtime";
import {
    certificatePlaceholder,
    certRequestPlaceholder,
    privateKeyPlaceholder,
    randomPlaceholder,
    randomToken,
    Substitutions,
    validityEndPlaceholder,
} from "./placeholders";

/** The render's provider outputs; registers in `substitutions` what must be rewritten on the way out. */
export function deployPlaceholders(substitutions: Substitutions): ProviderOutputs {
    return ({ type, name, inputs }) => {
        if (type === "tls:index/privateKey:PrivateKey") {
            const key = privateKeyPlaceholder(name);
            substitutions.addEncoded(key);
            return {
                privateKeyPem: key,
                privateKeyOpenssh: key,
                privateKeyPemPkcs8: key,
                publicKeyPem: `<public key of ${name}>`,
                publicKeyOpenssh: `<public key of ${name}>`,
            };
        }
        if (type === "tls:index/certRequest:CertRequest") return { certRequestPem: certRequestPlaceholder(name) };
        if (type === "tls:index/selfSignedCert:SelfSignedCert" || type === "tls:index/locallySignedCert:LocallySignedCert") {
            const cert = certificatePlaceholder(name);
            substitutions.addEncoded(cert);
            return { certPem: cert, validityStartTime: `<issue time of ${name}>`, validityEndTime: validityEndPlaceholder(name) };
        }
        if (type.startsWith("random:index/random") && (type.endsWith("Password") || type.endsWith("String"))) {
            const upper = randomToken(name, Number(inputs.length ?? 16));
            // Within the classes asked for, as consumers check (bootstrap tokens are [a-z0-9]).
            const token = inputs.upper === false ? upper.toLowerCase() : upper;
            substitutions.add(token, randomPlaceholder(name));
            return { result: token };
        }
        if (type === "random:index/randomBytes:RandomBytes") {
            // Shaped like the base64 of the bytes asked for (length and padding), as consumers check.
            const bytes = Number(inputs.length ?? 32);
            const chars = Math.ceil((bytes * 4) / 3);
            const token = randomToken(name, chars).padEnd(chars, "A") + "=".repeat(4 * Math.ceil(bytes / 3) - chars);
            substitutions.add(token, randomPlaceholder(name));
            return { base64: token, hex: token };
        }
        if (type.startsWith("command:")) return { stdout: "", stderr: "" };
        return {};
    };
}
