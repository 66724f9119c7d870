import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";

const registered = recordingMocks();

import { allowedUsesFor, CertificateAuthority } from "../../../components/pki";

const byName = (name: string) => registered.find((r) => r.name === name)!;

test("profiles map to the extended key usages TLS peers check", () => {
    assert.ok(allowedUsesFor("server").includes("server_auth") && !allowedUsesFor("server").includes("client_auth"));
    assert.ok(allowedUsesFor("client").includes("client_auth") && !allowedUsesFor("client").includes("server_auth"));
    assert.ok(allowedUsesFor("peer").includes("client_auth") && allowedUsesFor("peer").includes("server_auth"));
});

test("a CA and an issued certificate: P-256 keys, SANs from the arguments, secret keys, names under the CA", async () => {
    const ca = new CertificateAuthority("etcd-ca", { commonName: "etcd-ca" });
    const cert = ca.issue("e1-server", {
        profile: "server",
        commonName: "e1",
        dnsNames: ["e1", "localhost"],
        ipAddresses: ["10.0.0.11", "127.0.0.1"],
    });
    await settled();
    assert.deepEqual(byName("etcd-ca-key").inputs, { algorithm: "ECDSA", ecdsaCurve: "P256" });
    const caCert = byName("etcd-ca-cert").inputs;
    assert.equal(caCert.isCaCertificate, true);
    assert.ok(caCert.allowedUses.includes("cert_signing"));
    assert.equal(caCert.validityPeriodHours, 87600);
    const csr = byName("etcd-ca-e1-server-csr").inputs;
    assert.deepEqual(csr.dnsNames, ["e1", "localhost"]);
    assert.deepEqual(csr.ipAddresses, ["10.0.0.11", "127.0.0.1"]);
    assert.equal(csr.subject.commonName, "e1");
    const signed = byName("etcd-ca-e1-server-cert").inputs;
    assert.deepEqual(signed.allowedUses, ["digital_signature", "key_encipherment", "server_auth"]);
    assert.equal(signed.validityPeriodHours, 8760);
    assert.equal(await pulumi.isSecret(cert.privateKeyPem), true);
    assert.equal(await pulumi.isSecret(ca.privateKeyPem), true);
    assert.equal(await pulumi.isSecret(cert.certPem), false, "certificates stay readable");
});
