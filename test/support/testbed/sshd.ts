import { readFileSync } from "node:fs";
import { runOk } from "./proc";

/** An OpenSSH key pair as text. */
export interface KeyPair {
    /** The private key (OpenSSH format, unencrypted). */
    privateKey: string;
    /** The public key line, `ssh-ed25519 AAAA... comment`. */
    publicKey: string;
}

/** Generates an ed25519 key pair at `path` and `path.pub`. */
export async function generateKeyPair(path: string, comment: string): Promise<KeyPair> {
    await runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", path]);
    return {
        privateKey: readFileSync(path, "utf8"),
        publicKey: readFileSync(`${path}.pub`, "utf8").trim(),
    };
}

/**
 * The sshd configuration of a testbed host: only on the host's own address, root by key only, the
 * host's own ed25519 key. No PAM (its loginuid and session modules want a real login stack), and
 * room for the many parallel connections a Pulumi deployment opens.
 */
export function renderSshdConfig(address: string): string {
    return [
        `ListenAddress ${address}`,
        "Port 22",
        "HostKey /etc/ssh/ssh_host_ed25519_key",
        "PermitRootLogin prohibit-password",
        "PubkeyAuthentication yes",
        "AuthorizedKeysFile .ssh/authorized_keys",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "UseDNS no",
        "PrintMotd no",
        "MaxStartups 100:30:200",
        "MaxSessions 100",
        "AcceptEnv LANG LC_*",
        "Subsystem sftp /usr/lib/openssh/sftp-server",
        "",
    ].join("\n");
}
