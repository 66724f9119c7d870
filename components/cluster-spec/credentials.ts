/**
 * Checks of SSH key text, run on the file `ssh.privateKeyPath` names (by validate when the file
 * is on this machine, by the program always) and on the secret `k8s-binary:sshPrivateKey`.
 * Messages never repeat the text.
 */

/** A public key line (`ssh-ed25519 AAAA... comment`) or a PEM/RFC 4716 public key block. */
const PUBLIC_KEY =
    /^\s*((ssh-(ed25519|rsa|dss)|ecdsa-sha2-nistp\d+|sk-[a-z0-9-]+@openssh\.com) [A-Za-z0-9+/]+=*|-----BEGIN (RSA )?PUBLIC KEY-----|---- BEGIN SSH2 PUBLIC KEY ----)/;
/** The armour of every private key format ssh2 reads: OpenSSH, PKCS#1, PKCS#8, SEC1. */
const PRIVATE_KEY = /-----BEGIN (OPENSSH |RSA |EC |DSA |ENCRYPTED )?PRIVATE KEY-----/;

/** The mistake both key sources share: a public key where the private one belongs. */
export function publicKeyProblem(text: string): string | undefined {
    return PUBLIC_KEY.test(text) ? "holds a public key: the private key is the file without .pub" : undefined;
}

/**
 * What is wrong with the file `ssh.privateKeyPath` names: a public key, or no private key at all
 * (a certificate, known_hosts, a config file picked by mistake).
 */
export function keyFileProblem(text: string): string | undefined {
    return (
        publicKeyProblem(text) ??
        (PRIVATE_KEY.test(text) ? undefined : "does not hold a private key in OpenSSH or PEM form (no `-----BEGIN ... PRIVATE KEY-----` line)")
    );
}
