// Provider outputs for unit tests and benchmarks: recognisable stand-ins, never key material
// (the integration engine makes real keys; the render has its own placeholders, see
// scripts/render/deploy-outputs.ts).
import type * as pulumi from "@pulumi/pulumi";

/** The outputs the components read of tls, random and command resources, as plain marked strings. */
export function standInOutputs(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    const { type, name, inputs } = args;
    if (type === "tls:index/privateKey:PrivateKey") return { privateKeyPem: `PRIVATE-KEY-OF-${name}`, publicKeyPem: `PUBLIC-KEY-OF-${name}` };
    if (type === "tls:index/certRequest:CertRequest") return { certRequestPem: `CSR-OF-${name}` };
    if (type.startsWith("tls:index/") && type.endsWith("Cert")) return { certPem: `CERT-OF-${name}`, validityEndTime: "2027-11-22T00:00:00Z" };
    if (type === "random:index/randomPassword:RandomPassword" || type === "random:index/randomString:RandomString") {
        // Letters and digits within keepalived's eight-character limit, as the real result would be.
        const length = Number(inputs.length ?? 8);
        const result = "Rnd0m8ch".padEnd(length, "x").slice(0, length);
        return { result: inputs.upper === false ? result.toLowerCase() : result };
    }
    if (type === "random:index/randomBytes:RandomBytes") {
        const bytes = Buffer.from(`BYTES-OF-${name}`.padEnd(Number(inputs.length ?? 32), "x").slice(0, Number(inputs.length ?? 32)));
        return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
    }
    if (type === "command:local:Command") return { stdout: "2027-11-22T00:00:00Z\n", stderr: "" };
    if (type === "command:remote:Command") return { stdout: "", stderr: "" };
    return {};
}
