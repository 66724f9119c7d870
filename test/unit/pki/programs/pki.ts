// A CA and two certificates from config, for the PKI tests on the engine (real keys and certificates).
import * as pulumi from "@pulumi/pulumi";
import { CertificateAuthority } from "../../../../components/pki";

export default async () => {
    const config = new pulumi.Config("pki");
    const ca = new CertificateAuthority("cluster-ca", { commonName: "kubernetes" });
    const server = ca.issue("apiserver", {
        profile: "server",
        commonName: "kube-apiserver",
        dnsNames: config.requireObject<string[]>("dnsNames"),
        ipAddresses: ["10.96.0.1", "127.0.0.1"],
        rotation: config.get("serverRotation"),
    });
    const client = ca.issue("admin", { profile: "client", commonName: "admin", organization: "system:masters" });
    return {
        caPem: ca.certPem,
        serverPem: server.certPem,
        serverKey: server.privateKeyPem,
        serverExpiry: server.validityEndTime,
        clientPem: client.certPem,
        clientKey: client.privateKeyPem,
    };
};
