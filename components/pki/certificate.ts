import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { allowedUsesFor, CertificateProfile, DEFAULT_CERT_VALIDITY_HOURS, KeyAlgorithm, privateKeyArgs } from "./profiles";

/** The signing side of a certificate authority: what issuing a certificate needs. */
export interface CaKeyPair {
    /** The authority's certificate (PEM). */
    certPem: pulumi.Input<string>;
    /** The authority's private key (PEM, secret). */
    privateKeyPem: pulumi.Input<string>;
}

/** Arguments of {@link Certificate}. */
export interface CertificateArgs {
    /** The authority that signs it. */
    ca: CaKeyPair;
    /** server, client or peer: decides the extended key usages. */
    profile: CertificateProfile;
    /** Subject common name (for Kubernetes clients, the user name, e.g. "system:kube-scheduler"). */
    commonName: string;
    /** Subject organization (for Kubernetes clients, the group, e.g. "system:masters"). Default: none. */
    organization?: string;
    /** DNS subject alternative names. Default: none. */
    dnsNames?: string[];
    /** IP subject alternative names. Default: none. */
    ipAddresses?: string[];
    /** Key algorithm. Default: "ECDSA" (P-256). */
    algorithm?: KeyAlgorithm;
    /** Lifetime in hours. Default: 8760 (one year). */
    validityHours?: number;
    /** Rotation lever: change this value (e.g. to a date) to issue a new key and certificate in the next `up`. Default: unset. */
    rotation?: pulumi.Input<string>;
}

/**
 * A key pair and a certificate signed by a CA. SANs come from the arguments, so a changed host
 * list re-issues exactly the certificates whose SANs change.
 */
export class Certificate extends pulumi.ComponentResource {
    /** The certificate (PEM). */
    readonly certPem: pulumi.Output<string>;
    /** The private key (PEM), secret. */
    readonly privateKeyPem: pulumi.Output<string>;
    /** When the certificate expires (RFC 3339): show it, alert on it, rotate before it. */
    readonly validityEndTime: pulumi.Output<string>;

    constructor(name: string, args: CertificateArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:Certificate", name, {}, opts);
        // The engine applies a component's dependsOn to no child: the key, request and signature wait themselves.
        const child = { parent: this, dependsOn: opts?.dependsOn };
        const key = new tls.PrivateKey(`${name}-key`, privateKeyArgs(args.algorithm ?? "ECDSA"), {
            ...child,
            // Always set: the engine replaces on a changed trigger, but not when one is first set.
            replacementTrigger: args.rotation ?? "",
        });
        const request = new tls.CertRequest(
            `${name}-csr`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: args.commonName, organization: args.organization },
                dnsNames: args.dnsNames ? [...args.dnsNames] : undefined,
                ipAddresses: args.ipAddresses ? [...args.ipAddresses] : undefined,
            },
            child,
        );
        const cert = new tls.LocallySignedCert(
            `${name}-cert`,
            {
                certRequestPem: request.certRequestPem,
                caCertPem: args.ca.certPem,
                caPrivateKeyPem: args.ca.privateKeyPem,
                validityPeriodHours: args.validityHours ?? DEFAULT_CERT_VALIDITY_HOURS,
                allowedUses: allowedUsesFor(args.profile),
            },
            child,
        );
        this.certPem = cert.certPem;
        this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        this.validityEndTime = cert.validityEndTime;
        this.registerOutputs({ certPem: this.certPem, validityEndTime: this.validityEndTime });
    }
}
