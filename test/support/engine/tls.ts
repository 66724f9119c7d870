import { execFileSync } from "node:child_process";
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, randomBytes, type KeyObject } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Provider } from "./provider";
import type { PropertyMap } from "./values";

/**
 * @pulumi/tls (the bridged terraform-provider-tls) performed: real keys from node:crypto, real
 * X.509 from the openssl CLI, shaped like the provider's Go code (internal/provider/common_cert.go).
 * Not modelled: `uris`, `*Wo` write-only inputs, `publicKeyFingerprintMd5` of P224 keys
 * (empty, as the provider leaves them), Go's exact serial and time formats (seconds precision).
 */

const CURVES: Record<string, { node: string; ssh?: string; md: string }> = {
    P224: { node: "P-224", md: "sha256" },
    P256: { node: "P-256", ssh: "nistp256", md: "sha256" },
    P384: { node: "P-384", ssh: "nistp384", md: "sha384" },
    P521: { node: "P-521", ssh: "nistp521", md: "sha512" },
};

function sshString(b: Buffer | string): Buffer {
    const data = typeof b === "string" ? Buffer.from(b) : b;
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    return Buffer.concat([len, data]);
}

function sshMpint(b64url: string): Buffer {
    let b = Buffer.from(b64url, "base64url");
    let i = 0;
    while (i < b.length - 1 && b[i] === 0) i++;
    b = b.subarray(i);
    if (b[0] & 0x80) b = Buffer.concat([Buffer.from([0]), b]);
    return sshString(b);
}

/** The public key blob and the private part of an OpenSSH key (PROTOCOL.key), or undefined for P224. */
function opensshParts(key: KeyObject, curve: string): { type: string; pub: Buffer; priv: Buffer } | undefined {
    // Node cannot export P224 as JWK, and OpenSSH has no P224 keys: the provider leaves these empty.
    const sshCurve = CURVES[curve]?.ssh;
    if (key.asymmetricKeyType === "ec" && !sshCurve) return undefined;
    const jwk = key.export({ format: "jwk" });
    if (key.asymmetricKeyType === "rsa") {
        const pub = Buffer.concat([sshString("ssh-rsa"), sshMpint(jwk.e!), sshMpint(jwk.n!)]);
        const priv = Buffer.concat([sshString("ssh-rsa"), ...[jwk.n, jwk.e, jwk.d, jwk.qi, jwk.p, jwk.q].map((x) => sshMpint(x!))]);
        return { type: "ssh-rsa", pub, priv };
    }
    if (key.asymmetricKeyType === "ed25519") {
        const x = Buffer.from(jwk.x!, "base64url");
        const pub = Buffer.concat([sshString("ssh-ed25519"), sshString(x)]);
        const priv = Buffer.concat([pub, sshString(Buffer.concat([Buffer.from(jwk.d!, "base64url"), x]))]);
        return { type: "ssh-ed25519", pub, priv };
    }
    if (!sshCurve) return undefined;
    const type = `ecdsa-sha2-${sshCurve}`;
    const q = Buffer.concat([Buffer.from([4]), Buffer.from(jwk.x!, "base64url"), Buffer.from(jwk.y!, "base64url")]);
    const pub = Buffer.concat([sshString(type), sshString(sshCurve), sshString(q)]);
    return { type, pub, priv: Buffer.concat([pub, sshMpint(jwk.d!)]) };
}

function opensshPrivateKey(parts: { pub: Buffer; priv: Buffer }): string {
    const check = randomBytes(4);
    let section = Buffer.concat([check, check, parts.priv, sshString("")]);
    const pad: number[] = [];
    for (let i = 1; (section.length + pad.length) % 8 !== 0; i++) pad.push(i);
    section = Buffer.concat([section, Buffer.from(pad)]);
    const body = Buffer.concat([
        Buffer.from("openssh-key-v1\0"),
        sshString("none"),
        sshString("none"),
        sshString(""),
        Buffer.from([0, 0, 0, 1]),
        sshString(parts.pub),
        sshString(section),
    ]).toString("base64");
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body.match(/.{1,70}/g)!.join("\n")}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export function generatePrivateKey(inputs: PropertyMap): PropertyMap {
    const algorithm = inputs.algorithm;
    const rsaBits = typeof inputs.rsaBits === "number" ? inputs.rsaBits : 2048;
    const ecdsaCurve = typeof inputs.ecdsaCurve === "string" ? inputs.ecdsaCurve : "P224";
    let privateKey: KeyObject;
    if (algorithm === "RSA") privateKey = generateKeyPairSync("rsa", { modulusLength: rsaBits }).privateKey;
    else if (algorithm === "ED25519") privateKey = generateKeyPairSync("ed25519").privateKey;
    else if (algorithm === "ECDSA") {
        const curve = CURVES[ecdsaCurve];
        if (!curve) throw new Error(`ecdsa_curve: unsupported curve ${ecdsaCurve}`);
        privateKey = generateKeyPairSync("ec", { namedCurve: curve.node }).privateKey;
    } else throw new Error(`algorithm: must be one of RSA, ECDSA, ED25519 (got ${String(algorithm)})`);
    const publicKey = createPublicKey(privateKey);
    const pem =
        algorithm === "RSA"
            ? privateKey.export({ type: "pkcs1", format: "pem" })
            : algorithm === "ECDSA"
              ? privateKey.export({ type: "sec1", format: "pem" })
              : privateKey.export({ type: "pkcs8", format: "pem" });
    const ssh = opensshParts(privateKey, ecdsaCurve);
    const md5 = ssh ? createHash("md5").update(ssh.pub).digest("hex").match(/../g)!.join(":") : "";
    const spki = publicKey.export({ type: "spki", format: "der" });
    return {
        ...inputs,
        algorithm: algorithm as string,
        rsaBits,
        ecdsaCurve,
        privateKeyPem: pem.toString(),
        privateKeyPemPkcs8: privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
        privateKeyOpenssh: ssh ? opensshPrivateKey(ssh) : "",
        publicKeyPem: publicKey.export({ type: "spki", format: "pem" }).toString(),
        publicKeyOpenssh: ssh ? `${ssh.type} ${ssh.pub.toString("base64")}\n` : "",
        publicKeyFingerprintMd5: md5,
        publicKeyFingerprintSha256: ssh ? `SHA256:${createHash("sha256").update(ssh.pub).digest("base64").replace(/=+$/, "")}` : "",
        id: createHash("sha1").update(spki).digest("hex"),
    };
}

const KEY_USAGES: Record<string, string> = {
    digital_signature: "digitalSignature",
    content_commitment: "nonRepudiation",
    key_encipherment: "keyEncipherment",
    data_encipherment: "dataEncipherment",
    key_agreement: "keyAgreement",
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
    encipher_only: "encipherOnly",
    decipher_only: "decipherOnly",
};
const EXT_KEY_USAGES: Record<string, string> = {
    any_extended: "anyExtendedKeyUsage",
    server_auth: "serverAuth",
    client_auth: "clientAuth",
    code_signing: "codeSigning",
    email_protection: "emailProtection",
    ipsec_end_system: "ipsecEndSystem",
    ipsec_tunnel: "ipsecTunnel",
    ipsec_user: "ipsecUser",
    timestamping: "timeStamping",
    ocsp_signing: "OCSPSigning",
    microsoft_server_gated_crypto: "msSGC",
    netscape_server_gated_crypto: "nsSGC",
    microsoft_commercial_code_signing: "msCodeCom",
    microsoft_kernel_code_signing: "1.3.6.1.4.1.311.61.1.1",
};

/** The provider validates allowed_uses against its snake_case names (camelCase is refused). */
function checkAllowedUses(uses: string[]): void {
    const known = [...Object.keys(KEY_USAGES), ...Object.keys(EXT_KEY_USAGES)].sort();
    for (const [i, u] of uses.entries()) {
        if (!known.includes(u)) {
            throw new Error(`Attribute allowed_uses[${i}] value must be one of: ${known.map((k) => `"${k}"`).join(", ")}, got: "${u}"`);
        }
    }
}

const strings = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : []);

/** Subject in the order Go's pkix.Name writes it; `emailAddress` is ignored as the provider does. */
function subjectArg(subject: unknown): string {
    const s = (subject ?? {}) as Record<string, unknown>;
    const esc = (v: string) => v.replace(/([\\/+=])/g, "\\$1");
    const parts: string[] = [];
    const one = (attr: string, key: string) => {
        if (typeof s[key] === "string") parts.push(`${attr}=${esc(s[key] as string)}`);
    };
    one("C", "country");
    one("ST", "province");
    one("L", "locality");
    for (const street of strings(s.streetAddresses)) parts.push(`street=${esc(street)}`);
    one("postalCode", "postalCode");
    one("O", "organization");
    one("OU", "organizationalUnit");
    one("CN", "commonName");
    one("serialNumber", "serialNumber");
    return `/${parts.join("/")}`;
}

function withTempDir<T>(f: (dir: string) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-tls-"));
    try {
        return f(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function openssl(args: string[], cwd: string): string {
    try {
        return execFileSync("openssl", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
    } catch (e) {
        throw new Error(`openssl ${args[0]} failed: ${(e as { stderr?: string }).stderr ?? (e as Error).message}`, { cause: e });
    }
}

function keyAlgorithm(pem: string): string {
    const t = createPrivateKey(pem).asymmetricKeyType;
    return t === "rsa" ? "RSA" : t === "ec" ? "ECDSA" : "ED25519";
}

function digestFor(keyPem: string): string[] {
    const key = createPrivateKey(keyPem);
    if (key.asymmetricKeyType === "ed25519") return [];
    if (key.asymmetricKeyType === "ec") {
        const curve = Object.values(CURVES).find((c) => c.node === key.asymmetricKeyDetails?.namedCurve);
        return ["-md", curve?.md ?? "sha256"];
    }
    return ["-md", "sha256"];
}

function csr(dir: string, keyPem: string, inputs: PropertyMap): string {
    fs.writeFileSync(path.join(dir, "req.key"), keyPem, { mode: 0o600 });
    fs.writeFileSync(path.join(dir, "req.cnf"), "[req]\ndistinguished_name = dn\n[dn]\n");
    const sans = [...strings(inputs.dnsNames).map((d) => `DNS:${d}`), ...strings(inputs.ipAddresses).map((ip) => `IP:${ip}`)];
    const args = ["req", "-new", "-config", "req.cnf", "-key", "req.key", "-subj", subjectArg(inputs.subject), "-out", "req.csr"];
    if (sans.length > 0) args.push("-addext", `subjectAltName=${sans.join(",")}`);
    openssl(args, dir);
    return fs.readFileSync(path.join(dir, "req.csr"), "utf8");
}

const opensslTime = (d: Date) =>
    d
        .toISOString()
        .replace(/[-:T]/g, "")
        .replace(/\.\d+Z$/, "Z");
const rfc3339 = (d: Date) => d.toISOString().replace(/\.\d+Z$/, "Z");

interface SignArgs {
    csrPem: string;
    signerKeyPem: string;
    /** Issuer certificate; absent = self-signed. */
    caCertPem?: string;
    inputs: PropertyMap;
}

/** Signs a CSR the way common_cert.go's createCertificate builds its template. */
function sign(dir: string, a: SignArgs): { certPem: string; validityStartTime: string; validityEndTime: string } {
    const hours = a.inputs.validityPeriodHours;
    if (typeof hours !== "number") throw new Error("validity_period_hours is required");
    const uses = strings(a.inputs.allowedUses);
    checkAllowedUses(uses);
    const isCa = a.inputs.isCaCertificate === true;
    const ext = [
        isCa
            ? `basicConstraints = critical,CA:TRUE${typeof a.inputs.maxPathLength === "number" && a.inputs.maxPathLength > 0 ? `,pathlen:${a.inputs.maxPathLength}` : ""}`
            : "basicConstraints = critical,CA:FALSE",
    ];
    const ku = uses.filter((u) => KEY_USAGES[u]).map((u) => KEY_USAGES[u]);
    const eku = uses.filter((u) => EXT_KEY_USAGES[u]).map((u) => EXT_KEY_USAGES[u]);
    if (ku.length > 0) ext.push(`keyUsage = critical,${ku.join(",")}`);
    if (eku.length > 0) ext.push(`extendedKeyUsage = ${eku.join(",")}`);
    if (isCa || a.inputs.setSubjectKeyId === true) ext.push("subjectKeyIdentifier = hash");
    if (a.caCertPem) ext.push("authorityKeyIdentifier = keyid");
    else if (a.inputs.setAuthorityKeyId === true) {
        if (!(isCa || a.inputs.setSubjectKeyId === true)) throw new Error("Invalid Certificate Authority: Could not determine Authority Key Identifier");
        ext.push("authorityKeyIdentifier = keyid");
    }
    fs.writeFileSync(path.join(dir, "ext.cnf"), `[v3]\n${ext.join("\n")}\n`);
    fs.writeFileSync(path.join(dir, "index.txt"), "");
    const dn = [
        "countryName",
        "stateOrProvinceName",
        "localityName",
        "streetAddress",
        "postalCode",
        "organizationName",
        "organizationalUnitName",
        "commonName",
        "serialNumber",
    ];
    fs.writeFileSync(
        path.join(dir, "ca.cnf"),
        `[ca]\ndefault_ca = d\n[d]\ndatabase = index.txt\nserial = serial\nnew_certs_dir = .\ndefault_md = default\npolicy = p\nunique_subject = no\n` +
            `copy_extensions = copy\n[p]\n${dn.map((f) => `${f} = optional`).join("\n")}\n`,
    );
    fs.writeFileSync(path.join(dir, "in.csr"), a.csrPem);
    fs.writeFileSync(path.join(dir, "signer.key"), a.signerKeyPem, { mode: 0o600 });
    const start = new Date(Math.floor(Date.now() / 1000) * 1000);
    const end = new Date(start.getTime() + hours * 3600_000);
    const args = ["ca", "-batch", "-config", "ca.cnf", "-keyfile", "signer.key", "-in", "in.csr", "-out", "out.crt", "-notext", "-preserveDN"];
    args.push("-rand_serial", "-startdate", opensslTime(start), "-enddate", opensslTime(end), "-extfile", "ext.cnf", "-extensions", "v3");
    args.push(...digestFor(a.signerKeyPem));
    if (a.caCertPem) {
        fs.writeFileSync(path.join(dir, "ca.crt"), a.caCertPem);
        args.push("-cert", "ca.crt");
    } else args.push("-selfsign");
    openssl(args, dir);
    // `openssl ca` may write a text dump before the PEM even with -notext on some builds.
    const out = fs.readFileSync(path.join(dir, "out.crt"), "utf8");
    const certPem = out.slice(out.indexOf("-----BEGIN CERTIFICATE-----"));
    return { certPem, validityStartTime: rfc3339(start), validityEndTime: rfc3339(end) };
}

function certOutputs(inputs: PropertyMap, issued: PropertyMap): PropertyMap {
    return {
        ...inputs,
        earlyRenewalHours: typeof inputs.earlyRenewalHours === "number" ? inputs.earlyRenewalHours : 0,
        isCaCertificate: inputs.isCaCertificate === true,
        ...issued,
        readyForRenewal: false,
        id: createHash("sha256").update(String(issued.certPem)).digest("hex").slice(0, 32),
    };
}

/** common_cert.go's plan modifier: due once `now >= validityEnd - earlyRenewalHours`. */
function dueForRenewal(outputs: PropertyMap): boolean {
    if (typeof outputs.validityEndTime !== "string") return false;
    const early = typeof outputs.earlyRenewalHours === "number" ? outputs.earlyRenewalHours : 0;
    return Date.parse(outputs.validityEndTime) - early * 3600_000 <= Date.now();
}

// Every input of these resources forces a new resource, except early_renewal_hours, which is
// updated in place.
const replaceUnlessOnlyEarlyRenewal = (changed: string[]) => (changed.every((k) => k === "earlyRenewalHours") ? "update" : "replace");

const certProvider = (issue: (dir: string, inputs: PropertyMap) => PropertyMap): Provider => ({
    create: async (_ctx, inputs) => {
        const outputs = withTempDir((dir) => certOutputs(inputs, issue(dir, inputs)));
        return { id: outputs.id as string, outputs };
    },
    update: async (_ctx, old, inputs) => ({ ...old.outputs, ...inputs, readyForRenewal: dueForRenewal({ ...old.outputs, ...inputs }) }),
    delete: async () => undefined,
    diff: replaceUnlessOnlyEarlyRenewal,
    forceReplace: (old) => dueForRenewal(old.outputs),
    computed: ["certPem", "validityStartTime", "validityEndTime", "readyForRenewal", "id"],
});

export const tlsProviders: Record<string, Provider> = {
    "tls:index/privateKey:PrivateKey": {
        create: async (_ctx, inputs) => {
            const outputs = generatePrivateKey(inputs);
            return { id: outputs.id as string, outputs };
        },
        update: async (_ctx, old) => old.outputs,
        delete: async () => undefined,
        diff: () => "replace",
        computed: [
            "privateKeyPem",
            "privateKeyPemPkcs8",
            "privateKeyOpenssh",
            "publicKeyPem",
            "publicKeyOpenssh",
            "publicKeyFingerprintMd5",
            "publicKeyFingerprintSha256",
            "id",
        ],
    },
    "tls:index/certRequest:CertRequest": {
        create: async (_ctx, inputs) => {
            const keyPem = inputs.privateKeyPem;
            if (typeof keyPem !== "string") throw new Error("private_key_pem is required");
            const certRequestPem = withTempDir((dir) => csr(dir, keyPem, inputs));
            const id = createHash("sha1").update(certRequestPem).digest("hex");
            return { id, outputs: { ...inputs, certRequestPem, keyAlgorithm: keyAlgorithm(keyPem), id } };
        },
        update: async (_ctx, old) => old.outputs,
        delete: async () => undefined,
        diff: () => "replace",
        computed: ["certRequestPem", "keyAlgorithm", "id"],
    },
    "tls:index/selfSignedCert:SelfSignedCert": certProvider((dir, inputs) => {
        const keyPem = inputs.privateKeyPem;
        if (typeof keyPem !== "string") throw new Error("private_key_pem is required");
        if (inputs.isCaCertificate === true && subjectArg(inputs.subject) === "/") {
            throw new Error("Invalid Certificate Subject: Must contain at least one Distinguished Name when creating Certificate Authority (CA)");
        }
        return { ...sign(dir, { csrPem: csr(dir, keyPem, inputs), signerKeyPem: keyPem, inputs }), keyAlgorithm: keyAlgorithm(keyPem) };
    }),
    "tls:index/locallySignedCert:LocallySignedCert": certProvider((dir, inputs) => {
        const { certRequestPem, caPrivateKeyPem, caCertPem } = inputs;
        if (typeof certRequestPem !== "string" || typeof caPrivateKeyPem !== "string" || typeof caCertPem !== "string") {
            throw new Error("cert_request_pem, ca_private_key_pem and ca_cert_pem are required");
        }
        return { ...sign(dir, { csrPem: certRequestPem, signerKeyPem: caPrivateKeyPem, caCertPem, inputs }), caKeyAlgorithm: keyAlgorithm(caPrivateKeyPem) };
    }),
};
