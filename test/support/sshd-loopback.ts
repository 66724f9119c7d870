import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";

/**
 * An OpenSSH server of the test's own on 127.0.0.1 and a free high port, with a fresh host key
 * and one authorized client key, logging in as the current user. Stop it with `stop()`, which
 * kills exactly the sshd it started (by PID) and removes its directory.
 */
export interface LoopbackSshd {
    host: "127.0.0.1";
    port: number;
    user: string;
    /** OpenSSH private key of the authorized client. */
    privateKey: string;
    /** The server's public host key, `ssh-ed25519 AAAA...` (for `connection.hostKey`). */
    hostKey: string;
    /** A `remote.Command` connection object for this server. */
    connection: { host: string; port: number; user: string; privateKey: string; hostKey: string };
    pid: number;
    stop(): Promise<void>;
}

function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

async function waitListening(port: number, proc: ChildProcess, log: () => string): Promise<void> {
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null) throw new Error(`sshd exited with ${proc.exitCode}:\n${log()}`);
        const ok = await new Promise<boolean>((resolve) => {
            const s = net.connect(port, "127.0.0.1", () => {
                s.destroy();
                resolve(true);
            });
            s.once("error", () => resolve(false));
        });
        if (ok) return;
        await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`sshd did not listen on ${port}:\n${log()}`);
}

export async function startLoopbackSshd(opts: { acceptEnv?: string[] } = {}): Promise<LoopbackSshd> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "sshd-loopback-"));
    const keygen = (file: string) => execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "", "-f", path.join(dir, file)]);
    keygen("host_key");
    keygen("client_key");
    fs.copyFileSync(path.join(dir, "client_key.pub"), path.join(dir, "authorized_keys"));
    // sshd refuses to start without its privilege separation directory.
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    const port = await freePort();
    const config = [
        `Port ${port}`,
        "ListenAddress 127.0.0.1",
        `HostKey ${path.join(dir, "host_key")}`,
        `PidFile ${path.join(dir, "sshd.pid")}`,
        `AuthorizedKeysFile ${path.join(dir, "authorized_keys")}`,
        "PermitRootLogin prohibit-password",
        "PasswordAuthentication no",
        "KbdInteractiveAuthentication no",
        "UsePAM no",
        "StrictModes no",
        "AllowTcpForwarding yes",
        "Subsystem sftp internal-sftp",
        "LogLevel ERROR",
        ...(opts.acceptEnv?.length ? [`AcceptEnv ${opts.acceptEnv.join(" ")}`] : []),
    ];
    fs.writeFileSync(path.join(dir, "sshd_config"), `${config.join("\n")}\n`);
    const proc = spawn("/usr/sbin/sshd", ["-D", "-e", "-f", path.join(dir, "sshd_config")], { stdio: ["ignore", "ignore", "pipe"] });
    let log = "";
    proc.stderr!.on("data", (d: Buffer) => (log += d));
    try {
        await waitListening(port, proc, () => log);
    } catch (e) {
        proc.kill("SIGKILL");
        fs.rmSync(dir, { recursive: true, force: true });
        throw e;
    }
    const privateKey = fs.readFileSync(path.join(dir, "client_key"), "utf8");
    const hostKey = fs.readFileSync(path.join(dir, "host_key.pub"), "utf8").trim();
    const user = os.userInfo().username;
    return {
        host: "127.0.0.1",
        port,
        user,
        privateKey,
        hostKey,
        connection: { host: "127.0.0.1", port, user, privateKey, hostKey },
        pid: proc.pid!,
        stop: async () => {
            if (proc.exitCode === null && proc.signalCode === null) {
                const exited = new Promise((r) => proc.once("exit", r));
                proc.kill("SIGTERM");
                await exited;
            }
            fs.rmSync(dir, { recursive: true, force: true });
        },
    };
}
