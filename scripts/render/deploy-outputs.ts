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
            const token = randomToken(name, Number(inputs.length ?? 16));
            substitutions.add(token, randomPlaceholder(name));
            return { result: token };
        }
        if (type === "random:index/randomBytes:RandomBytes") {
            // As long as the base64 of the bytes asked for, so consumers see a value of the real length.
            const token = randomToken(name, 4 * Math.ceil(Number(inputs.length ?? 32) / 3));
            substitutions.add(token, randomPlaceholder(name));
            return { base64: token, hex: token };
        }
        if (type.startsWith("command:")) return { stdout: "", stderr: "" };
        return {};
    };
}
