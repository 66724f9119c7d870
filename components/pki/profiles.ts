/** Key algorithms the PKI issues with. ECDSA means P-256 (the tls provider's own default is P-224, which Go's TLS stack rejects). */
export type KeyAlgorithm = "ECDSA" | "RSA" | "ED25519";

/**
 * Certificate profiles: who the certificate is for decides its extended key usage.
 * - server: a TLS server (apiserver serving cert, etcd client-facing cert, kubelet serving cert)
 * - client: a TLS client (admin, kubelet client, controller-manager, etcd clients)
 * - peer:   both at once (etcd members talking to each other)
 */
export type CertificateProfile = "server" | "client" | "peer";

/** The tls provider's `allowedUses` for a profile. */
export function allowedUsesFor(profile: CertificateProfile): string[] {
    const base = ["digital_signature", "key_encipherment"];
    switch (profile) {
        case "server":
            return [...base, "server_auth"];
        case "client":
            return [...base, "client_auth"];
        case "peer":
            return [...base, "server_auth", "client_auth"];
    }
}

/** `allowedUses` of a certificate authority. */
export const CA_ALLOWED_USES = ["cert_signing", "crl_signing", "digital_signature", "key_encipherment"];

/** Default lifetimes, as kubeadm: ten years for authorities, one year for leaf certificates. */
export const DEFAULT_CA_VALIDITY_HOURS = 87600;
export const DEFAULT_CERT_VALIDITY_HOURS = 8760;

/** The tls provider's PrivateKey arguments for an algorithm. */
export function privateKeyArgs(algorithm: KeyAlgorithm): { algorithm: string; ecdsaCurve?: string; rsaBits?: number } {
    switch (algorithm) {
        case "ECDSA":
            return { algorithm: "ECDSA", ecdsaCurve: "P256" };
        case "RSA":
            return { algorithm: "RSA", rsaBits: 2048 };
        case "ED25519":
            return { algorithm: "ED25519" };
    }
}
