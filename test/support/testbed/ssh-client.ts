import { Client } from "ssh2";
import type { TestbedHost } from "./types";
import type { RunResult } from "./proc";

/** Options of `sshExec`. */
export interface SshExecOptions {
    /** Text written to the command's standard input (closed right after). Default: none. */
    input?: string;
    /** Give up connecting after this many milliseconds. Default: 10000. */
    readyTimeoutMs?: number;
}

/** The raw key blob of an OpenSSH public key line, as an SSH server presents it. */
function keyBlob(publicKeyLine: string): Buffer {
    return Buffer.from(publicKeyLine.trim().split(/\s+/)[1] ?? "", "base64");
}

/**
 * Runs one command on a testbed host over real SSH with the testbed's key, accepting only the host's
 * own host key (so a test notices a host that came back with another identity).
 */
export function sshExec(host: TestbedHost, command: string, options: SshExecOptions = {}): Promise<RunResult> {
    const expectedKey = keyBlob(host.hostKey);
    return new Promise((resolve, reject) => {
        const client = new Client();
        client
            .on("ready", () => {
                client.exec(command, (error, stream) => {
                    if (error) {
                        client.end();
                        reject(error);
                        return;
                    }
                    let stdout = "";
                    let stderr = "";
                    stream.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
                    stream.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
                    stream.on("close", (code: number | null, signal?: string) => {
                        client.end();
                        resolve({ code: code ?? (signal ? 128 : 255), stdout, stderr });
                    });
                    stream.end(options.input ?? "");
                });
            })
            .on("error", reject)
            .connect({
                host: host.connection.host,
                port: host.connection.port,
                username: host.connection.user,
                privateKey: host.connection.privateKey,
                hostVerifier: (key: Buffer) => key.equals(expectedKey),
                readyTimeout: options.readyTimeoutMs ?? 10_000,
            });
    });
}
