import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { Certificate, CertificateArgs } from "./certificate";
import { CA_ALLOWED_USES, DEFAULT_CA_VALIDITY_HOURS, KeyAlgorithm, privateKeyArgs } from "./profiles";

/** Arguments of {@link CertificateAuthority}. */
export interface CertificateAuthorityArgs {
    /** Subject common name, e.g. "etcd-ca" or "kubernetes". */
    commonName: string;
    /** Subject organization. Default: none. */
    organization?: string;
    /** Key algorithm. Default: "ECDSA" (P-256). */
    algorithm?: KeyAlgorithm;
    /** Lifetime in hours. Default: 87600 (ten years). */
    validityHours?: number;
    /** Rotation lever: change this value to create a new key and certificate (and so re-issue everything it signed). Default: unset. */
    rotation?: pulumi.Input<string>;
}

/** A self-signed certificate authority whose key never leaves Pulumi state as plain text. */
export class CertificateAuthority extends pulumi.ComponentResource {
    /** The authority's certificate (PEM): distribute it as the trust anchor. */
    readonly certPem: pulumi.Output<string>;
    /** The authority's private key (PEM), secret. */
    readonly privateKeyPem: pulumi.Output<string>;
    /** When the authority expires (RFC 3339). */
    readonly validityEndTime: pulumi.Output<string>;
    private readonly resourceName: string;

    constructor(name: string, args: CertificateAuthorityArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:CertificateAuthority", name, {}, opts);
        this.resourceName = name;
        const key = new tls.PrivateKey(`${name}-key`, privateKeyArgs(args.algorithm ?? "ECDSA"), {
            parent: this,
            // Always set: the engine replaces on a changed trigger, but not when one is first set.
            replacementTrigger: args.rotation ?? "",
        });
        const cert = new tls.SelfSignedCert(
            `${name}-cert`,
            {
                privateKeyPem: key.privateKeyPem,
                subject: { commonName: args.commonName, organization: args.organization },
                isCaCertificate: true,
                validityPeriodHours: args.validityHours ?? DEFAULT_CA_VALIDITY_HOURS,
                allowedUses: CA_ALLOWED_USES,
            },
            { parent: this },
        );
        this.certPem = cert.certPem;
        this.privateKeyPem = pulumi.secret(key.privateKeyPem);
        this.validityEndTime = cert.validityEndTime;
        this.registerOutputs({ certPem: this.certPem, validityEndTime: this.validityEndTime });
    }

    /** Issues a certificate signed by this authority, named `<ca name>-<name>`, as a child of `opts.parent` (default: this authority). */
    issue(name: string, args: Omit<CertificateArgs, "ca">, opts?: pulumi.ComponentResourceOptions): Certificate {
        return new Certificate(`${this.resourceName}-${name}`, { ...args, ca: this }, { parent: this, ...opts });
    }
}
