import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createPrivateKey, createPublicKey, X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { utils as sshUtils } from "ssh2";
import type { StepContext } from "../support/engine/provider";
import { randomProviders, randomString } from "../support/engine/random";
import { generatePrivateKey, tlsProviders } from "../support/engine/tls";
import type { PropertyMap } from "../support/engine/values";

const ctx: StepContext = { urn: "urn", name: "n", record: () => undefined };
const create = async (type: string, inputs: PropertyMap) => (await tlsProviders[type].create(ctx, inputs)).outputs;

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-tls-test-"))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

function opensslText(pem: string): string {
    const f = path.join(dir, `c${Math.random()}.pem`);
    fs.writeFileSync(f, pem);
    return execFileSync("openssl", ["x509", "-in", f, "-noout", "-text"], { encoding: "utf8" });
}

describe("engine tls: private keys", () => {
    for (const [algorithm, ecdsaCurve, sshType] of [
        ["RSA", undefined, "ssh-rsa"],
        ["ECDSA", "P256", "ecdsa-sha2-nistp256"],
        ["ECDSA", "P384", "ecdsa-sha2-nistp384"],
        ["ED25519", undefined, "ssh-ed25519"],
    ] as const) {
        it(`${algorithm} ${ecdsaCurve ?? ""}: PEM, PKCS#8 and OpenSSH forms are one key`, () => {
            const out = generatePrivateKey(ecdsaCurve ? { algorithm, ecdsaCurve } : { algorithm });
            const pub = createPublicKey(createPrivateKey(out.privateKeyPem as string)).export({ type: "spki", format: "pem" });
            assert.equal(pub, out.publicKeyPem);
            assert.equal(createPublicKey(createPrivateKey(out.privateKeyPemPkcs8 as string)).export({ type: "spki", format: "pem" }), pub);
            const parsed = sshUtils.parseKey(out.privateKeyOpenssh as string);
            assert.ok(!(parsed instanceof Error), String(parsed));
            assert.equal(parsed.type, sshType);
            assert.equal(`${sshType} ${parsed.getPublicSSH().toString("base64")}\n`, out.publicKeyOpenssh);
            // ssh-keygen reads the private key and derives the same public key and fingerprint.
            const keyFile = path.join(dir, `${algorithm}${ecdsaCurve ?? ""}`);
            fs.writeFileSync(keyFile, out.privateKeyOpenssh as string, { mode: 0o600 });
            assert.equal(execFileSync("ssh-keygen", ["-y", "-f", keyFile], { encoding: "utf8" }).trim(), (out.publicKeyOpenssh as string).trim());
            const listed = execFileSync("ssh-keygen", ["-l", "-f", keyFile], { encoding: "utf8" });
            assert.ok(listed.includes(` ${out.publicKeyFingerprintSha256 as string} `), listed);
        });
    }

    it("defaults ECDSA to P224 as the provider does, which has no OpenSSH form", () => {
        const out = generatePrivateKey({ algorithm: "ECDSA" });
        assert.equal(out.ecdsaCurve, "P224");
        assert.equal(createPrivateKey(out.privateKeyPem as string).asymmetricKeyDetails?.namedCurve, "secp224r1");
        assert.equal(out.publicKeyOpenssh, "");
        assert.equal(out.privateKeyOpenssh, "");
    });
});

describe("engine tls: certificates", () => {
    let ca: PropertyMap;
    let caKey: PropertyMap;
    before(async () => {
        caKey = generatePrivateKey({ algorithm: "ECDSA", ecdsaCurve: "P256" });
        ca = await create("tls:index/selfSignedCert:SelfSignedCert", {
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: "test-ca", organization: "k8s-binary" },
            isCaCertificate: true,
            validityPeriodHours: 48,
            allowedUses: ["cert_signing", "crl_signing"],
        });
    });

    it("issues a CA certificate with the subject, CA constraint and validity asked for", () => {
        const x = new X509Certificate(ca.certPem as string);
        assert.equal(x.subject, "O=k8s-binary\nCN=test-ca");
        assert.equal(x.ca, true);
        assert.equal(Date.parse(x.validTo) - Date.parse(x.validFrom), 48 * 3600_000);
        assert.equal(ca.validityEndTime, new Date(x.validTo).toISOString().replace(".000", ""));
        const text = opensslText(ca.certPem as string);
        assert.match(text, /X509v3 Key Usage: critical\n\s+Certificate Sign, CRL Sign\n/);
        assert.match(text, /X509v3 Subject Key Identifier/);
        assert.equal(ca.readyForRenewal, false);
    });

    it("signs a CSR's subject and SANs with the asked usages, verifiable against the CA", async () => {
        const key = generatePrivateKey({ algorithm: "RSA" });
        const csr = await create("tls:index/certRequest:CertRequest", {
            privateKeyPem: key.privateKeyPem,
            subject: { commonName: "etcd-1" },
            dnsNames: ["etcd-1", "localhost"],
            ipAddresses: ["10.77.0.11", "127.0.0.1"],
        });
        const leaf = await create("tls:index/locallySignedCert:LocallySignedCert", {
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            validityPeriodHours: 12,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth", "client_auth"],
        });
        const x = new X509Certificate(leaf.certPem as string);
        assert.equal(x.subject, "CN=etcd-1");
        assert.equal(x.subjectAltName, "DNS:etcd-1, DNS:localhost, IP Address:10.77.0.11, IP Address:127.0.0.1");
        assert.equal(x.ca, false);
        assert.ok(x.checkIssued(new X509Certificate(ca.certPem as string)));
        assert.ok(x.verify(createPublicKey(caKey.publicKeyPem as string)));
        assert.ok(x.checkPrivateKey(createPrivateKey(key.privateKeyPem as string)));
        const text = opensslText(leaf.certPem as string);
        assert.match(text, /X509v3 Extended Key Usage: \n\s+TLS Web Server Authentication, TLS Web Client Authentication\n/);
        assert.match(text, /X509v3 Key Usage: critical\n\s+Digital Signature, Key Encipherment\n/);
        assert.match(text, /X509v3 Authority Key Identifier/);
        const caFile = path.join(dir, "ca.pem");
        const leafFile = path.join(dir, "leaf.pem");
        fs.writeFileSync(caFile, ca.certPem as string);
        fs.writeFileSync(leafFile, leaf.certPem as string);
        assert.match(execFileSync("openssl", ["verify", "-CAfile", caFile, "-purpose", "sslserver", leafFile], { encoding: "utf8" }), /OK/);
    });

    it("refuses camelCase usages, as the provider validates its snake_case names", async () => {
        await assert.rejects(
            create("tls:index/selfSignedCert:SelfSignedCert", {
                privateKeyPem: caKey.privateKeyPem,
                subject: { commonName: "x" },
                validityPeriodHours: 1,
                allowedUses: ["serverAuth"],
            }),
            /allowed_uses\[0\] value must be one of: .*"server_auth".*got: "serverAuth"/,
        );
    });

    it("plans a replacement once the certificate is within earlyRenewalHours of its end", () => {
        const provider = tlsProviders["tls:index/selfSignedCert:SelfSignedCert"];
        const end = new Date(Date.now() + 10 * 3600_000).toISOString();
        const old = (earlyRenewalHours: number) =>
            ({ outputs: { validityEndTime: end, earlyRenewalHours } }) as unknown as Parameters<NonNullable<typeof provider.forceReplace>>[0];
        assert.equal(provider.forceReplace!(old(0)), false);
        assert.equal(provider.forceReplace!(old(11)), true);
    });
});

describe("engine random", () => {
    it("honours length, classes and minimums", () => {
        for (let i = 0; i < 20; i++) {
            const s = randomString({ length: 16, upper: false, special: false, minNumeric: 3 });
            assert.match(s, /^[a-z0-9]{16}$/);
            assert.ok((s.match(/[0-9]/g) ?? []).length >= 3);
        }
        assert.match(randomString({ length: 8, lower: false, upper: false, numeric: false, overrideSpecial: "-_" }), /^[-_]{8}$/);
        assert.throws(() => randomString({ length: 2, minLower: 2, minUpper: 1 }), /smaller than the sum/);
    });

    it("gives RandomId its encodings of the same bytes", async () => {
        const { outputs } = await randomProviders["random:index/randomId:RandomId"].create(ctx, { byteLength: 4 });
        assert.equal(BigInt(`0x${outputs.hex as string}`).toString(), outputs.dec);
        assert.equal(Buffer.from(outputs.b64Std as string, "base64").toString("hex"), outputs.hex);
    });
});
