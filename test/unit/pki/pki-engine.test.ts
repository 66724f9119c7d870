// The PKI with real keys and certificates (the test engine performs @pulumi/tls with openssl):
// what TLS peers will check, stability across runs, and the rotation lever.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runProgram } from "../../support/engine";

const PROGRAM = join(__dirname, "programs", "pki.ts");

function openssl(dir: string, args: string[], input?: string): string {
    const r = spawnSync("openssl", args, { cwd: dir, input, encoding: "utf8" });
    assert.equal(r.status, 0, `openssl ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
}

test("certificates verify against their CA with the SANs and usages of their profile; rotation re-issues one", async (t) => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-binary-pki-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const stateFile = join(dir, "state.json");
    const config = (over: Record<string, string> = {}) => ({ "pki:dnsNames": JSON.stringify(["kubernetes", "kubernetes.default"]), ...over });

    const first = await runProgram({ program: PROGRAM, stateFile, config: config() });
    const out = first.outputs as Record<string, string>;
    for (const key of ["serverKey", "clientKey"]) assert.ok(first.secretOutputs.includes(key), `${key} is secret`);
    assert.ok(!first.secretOutputs.includes("serverPem"));
    writeFileSync(join(dir, "ca.pem"), out.caPem);
    writeFileSync(join(dir, "server.pem"), out.serverPem);
    writeFileSync(join(dir, "client.pem"), out.clientPem);
    openssl(dir, ["verify", "-CAfile", "ca.pem", "server.pem", "client.pem"]);
    const server = openssl(dir, ["x509", "-in", "server.pem", "-noout", "-text"]);
    assert.match(server, /DNS:kubernetes, DNS:kubernetes.default, IP Address:10.96.0.1, IP Address:127.0.0.1/);
    assert.match(server, /TLS Web Server Authentication/);
    assert.doesNotMatch(server, /TLS Web Client Authentication/);
    assert.match(server, /ASN1 OID: prime256v1/, "ECDSA P-256");
    const client = openssl(dir, ["x509", "-in", "client.pem", "-noout", "-subject", "-ext", "extendedKeyUsage"]);
    assert.match(client, /O ?= ?system:masters, CN ?= ?admin/);
    assert.match(client, /TLS Web Client Authentication/);
    // The key is the certificate's key.
    const pub = (pem: string, kind: "x509" | "pkey") => openssl(dir, kind === "x509" ? ["x509", "-noout", "-pubkey"] : ["pkey", "-pubout"], pem);
    assert.equal(pub(out.serverPem, "x509"), pub(out.serverKey, "pkey"));
    assert.ok(Date.parse(out.serverExpiry) > Date.now() + 360 * 24 * 3600 * 1000, "about a year of validity");

    const second = await runProgram({ program: PROGRAM, stateFile, config: config() });
    assert.deepEqual(second.outputs, first.outputs, "a second run returns the same keys and certificates");
    assert.ok(second.operations.every((o) => o.op === "same"));

    const rotated = await runProgram({ program: PROGRAM, stateFile, config: config({ "pki:serverRotation": "2026-11" }) });
    const changed = rotated.operations
        .filter((o) => o.op !== "same")
        .map((o) => `${o.op} ${o.name}`)
        .sort();
    assert.deepEqual(changed, [
        "delete cluster-ca-apiserver-cert",
        "delete cluster-ca-apiserver-csr",
        "delete cluster-ca-apiserver-key",
        "replace cluster-ca-apiserver-cert",
        "replace cluster-ca-apiserver-csr",
        "replace cluster-ca-apiserver-key",
    ]);
    const r = rotated.outputs as Record<string, string>;
    assert.notEqual(r.serverKey, out.serverKey);
    assert.notEqual(r.serverPem, out.serverPem);
    assert.equal(r.caPem, out.caPem, "the CA stays");
    assert.equal(r.clientPem, out.clientPem, "other certificates stay");

    const sans = await runProgram({
        program: PROGRAM,
        stateFile,
        config: config({ "pki:serverRotation": "2026-11", "pki:dnsNames": JSON.stringify(["kubernetes", "api.example.internal"]) }),
    });
    const s = sans.outputs as Record<string, string>;
    assert.equal(s.serverKey, r.serverKey, "a SAN change keeps the key");
    assert.notEqual(s.serverPem, r.serverPem, "and re-issues the certificate");
    assert.match(openssl(dir, ["x509", "-noout", "-ext", "subjectAltName"], s.serverPem), /DNS:api.example.internal/);
});
