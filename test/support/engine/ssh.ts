import * as fs from "node:fs";
import * as path from "node:path";
import { Client, type ClientChannel, type ConnectConfig, type SFTPWrapper } from "ssh2";
import { MAX_WINDOW, PACKET_SIZE } from "ssh2/lib/Channel.js";
import type { Plain } from "./values";

/**
 * SSH as @pulumi/command's remote provider does it (provider/pkg/provider/remote): a new
 * connection per operation, retried dials, optional bastion, optional pinned host key, no PTY,
 * `Setenv` with a reply that fails the command when refused, stdin then EOF.
 */

export interface Connection {
    host: string;
    port: number;
    user: string;
    privateKey?: string;
    privateKeyPassword?: string;
    password?: string;
    agentSocketPath?: string;
    /** Public host key in authorized_keys form (`ssh-ed25519 AAAA...`); unset = not checked. */
    hostKey?: string;
    /** Failed dials allowed before giving up; -1 = no limit. */
    dialErrorLimit: number;
    /** Seconds per dial attempt; 0 = no limit. */
    perDialTimeout: number;
    proxy?: Connection;
}

/** Reads a connection from resource inputs, with the SDK's defaults for what is missing. */
export function toConnection(v: Plain | undefined): Connection {
    if (v === null || v === undefined || typeof v !== "object" || Array.isArray(v)) {
        throw new Error("connection is required");
    }
    const str = (k: string): string | undefined => (typeof v[k] === "string" && v[k] !== "" ? (v[k] as string) : undefined);
    const num = (k: string, d: number): number => (typeof v[k] === "number" ? (v[k] as number) : d);
    const host = str("host");
    if (!host) throw new Error("connection.host is required");
    return {
        host,
        port: num("port", 22),
        user: str("user") ?? "root",
        privateKey: str("privateKey"),
        privateKeyPassword: str("privateKeyPassword"),
        password: str("password"),
        agentSocketPath: str("agentSocketPath"),
        hostKey: str("hostKey"),
        dialErrorLimit: num("dialErrorLimit", 10),
        perDialTimeout: num("perDialTimeout", 15),
        proxy: v.proxy ? toConnection(v.proxy) : undefined,
    };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** pulumi's retry.Until: 100 ms first delay, x1.5 each time, at most 5 s. */
async function withRetry<T>(limit: number, attempt: () => Promise<T>): Promise<T> {
    let delay = 100;
    for (let tries = 0; ; tries++) {
        try {
            return await attempt();
        } catch (err) {
            if (limit >= 0 && tries + 1 > limit) {
                throw new Error(`after ${tries} failed attempts: ${(err as Error).message}`, { cause: err });
            }
        }
        await sleep(delay);
        delay = Math.min(delay * 1.5, 5000);
    }
}

function clientConfig(c: Connection): ConnectConfig {
    const agent = c.agentSocketPath ?? process.env.SSH_AUTH_SOCK;
    const expected = c.hostKey ? Buffer.from(c.hostKey.trim().split(/\s+/)[1] ?? "", "base64") : undefined;
    return {
        host: c.host,
        port: c.port,
        username: c.user,
        privateKey: c.privateKey,
        passphrase: c.privateKeyPassword,
        password: c.password,
        tryKeyboard: c.password !== undefined,
        agent: agent || undefined,
        readyTimeout: c.perDialTimeout > 0 ? c.perDialTimeout * 1000 : 2 ** 31 - 1,
        hostVerifier: expected ? (key: Buffer) => key.equals(expected) : undefined,
    };
}

function connectOnce(config: ConnectConfig): Promise<Client> {
    return new Promise((resolve, reject) => {
        const client = new Client();
        client.once("ready", () => {
            // A connection lost later surfaces as a channel closed without exit status.
            client.on("error", () => undefined);
            resolve(client);
        });
        client.once("error", (err: Error) => {
            client.end();
            // ssh2 words a refused host key differently from Go's ssh package.
            reject(/verification failed/i.test(err.message) ? new Error(`ssh: handshake failed: ssh: host key mismatch`) : err);
        });
        client.connect(config);
    });
}

/** A connected client and whatever else must be closed with it (the bastion's client). */
export interface Session {
    client: Client;
    close(): void;
}

export async function dial(c: Connection): Promise<Session> {
    if (!c.proxy) {
        const client = await withRetry(c.dialErrorLimit, () => connectOnce(clientConfig(c)));
        return { client, close: () => client.end() };
    }
    const proxy = c.proxy;
    const prefix = (err: unknown) => new Error(`proxy: ${(err as Error).message}`);
    const bastion = await withRetry(proxy.dialErrorLimit, () => connectOnce(clientConfig(proxy))).catch((e) => {
        throw prefix(e);
    });
    try {
        const stream = await withRetry(
            c.dialErrorLimit,
            () =>
                new Promise<ClientChannel>((resolve, reject) =>
                    bastion.forwardOut("127.0.0.1", 0, c.host, c.port, (err, s) => (err ? reject(err) : resolve(s))),
                ),
        );
        // One handshake over the forwarded stream: a consumed stream cannot be retried.
        const client = await connectOnce({ ...clientConfig(c), sock: stream });
        return {
            client,
            close: () => {
                client.end();
                bastion.end();
            },
        };
    } catch (e) {
        bastion.end();
        throw prefix(e);
    }
}

export interface ExecResult {
    stdout: string;
    stderr: string;
    /** stdout and stderr interleaved as they arrived (what the provider puts in its errors). */
    combined: string;
    exitCode: number | null;
    signal?: string;
    /** Setenv requests the server refused but that are only warnings (previous outputs). */
    warnings: string[];
}

// ssh2 offers no public way to wait for the server's answer to an `env` request before `exec`
// (its exec pipelines them without asking for a reply). Go's session.Setenv does wait, and fails
// the command when the server refuses. So a session channel is opened and driven here through
// ssh2's channel manager and protocol objects (ssh2 1.x internals, pinned by package-lock).

/** ssh2's protocol object: the requests sent here. */
interface Ssh2Protocol {
    session(id: number, window: number, packetSize: number): void;
    env(id: number, name: string, value: string, wantReply: boolean): void;
    exec(id: number, command: string, wantReply: boolean): void;
}
/** The parts of ssh2's Client and channels used here. */
interface Ssh2ClientInternals {
    _chanMgr: { add(onOpen: ((err: Error | undefined, chan: ClientChannel) => void) & { type?: string }): number };
    _protocol: Ssh2Protocol;
}
interface Ssh2ChannelInternals {
    _callbacks: ((hadErr: unknown) => void)[];
    _client: Ssh2ClientInternals;
    outgoing: { id: number };
    subtype?: string;
    allowHalfOpen?: boolean;
}

function openSessionChannel(client: Client): Promise<ClientChannel> {
    return new Promise((resolve, reject) => {
        const c = client as unknown as Ssh2ClientInternals;
        const onOpen = Object.assign((err: Error | undefined, chan: ClientChannel) => (err ? reject(err) : resolve(chan)), { type: "session" });
        const id = c._chanMgr.add(onOpen);
        if (id === -1) return reject(new Error("ssh: no free channels"));
        c._protocol.session(id, MAX_WINDOW, PACKET_SIZE);
    });
}

/** Sends a channel request that wants a reply; resolves true when the server accepted it. */
function channelRequest(chan: ClientChannel, send: (proto: Ssh2Protocol, id: number) => void): Promise<boolean> {
    return new Promise((resolve) => {
        const ch = chan as unknown as Ssh2ChannelInternals;
        ch._callbacks.push((hadErr: unknown) => resolve(!hadErr));
        send(ch._client._protocol, ch.outgoing.id);
    });
}

export async function exec(
    client: Client,
    command: string,
    opts: { stdin?: string; environment?: Record<string, string>; previousOutputs?: Record<string, string> },
): Promise<ExecResult> {
    const chan = await openSessionChannel(client);
    const warnings: string[] = [];
    for (const [k, v] of Object.entries(opts.environment ?? {})) {
        if (!(await channelRequest(chan, (p, id) => p.env(id, k, v, true)))) {
            chan.close();
            throw new Error(`could not set environment variable "${k}": ssh: setenv failed (the SSH server accepts only names listed in its AcceptEnv)`);
        }
    }
    for (const [k, v] of Object.entries(opts.previousOutputs ?? {})) {
        if (!(await channelRequest(chan, (p, id) => p.env(id, k, v, true)))) warnings.push(`Unable to set '${k}'`);
    }
    const result = new Promise<ExecResult>((resolve) => {
        let stdout = "";
        let stderr = "";
        let combined = "";
        let exitCode: number | null = null;
        let signal: string | undefined;
        chan.on("data", (d: Buffer) => {
            stdout += d.toString();
            combined += d.toString();
        });
        chan.stderr.on("data", (d: Buffer) => {
            stderr += d.toString();
            combined += d.toString();
        });
        chan.on("exit", (code: number | null, sig?: string) => {
            exitCode = code;
            signal = sig;
        });
        // Writing stdin to a command that already exited fails; the exit status tells the story.
        chan.on("error", () => undefined);
        chan.on("close", () => resolve({ stdout, stderr, combined, exitCode, signal, warnings }));
    });
    if (!(await channelRequest(chan, (p, id) => p.exec(id, command, true)))) {
        chan.close();
        throw new Error("ssh: exec request refused");
    }
    const internals = chan as unknown as Ssh2ChannelInternals;
    internals.subtype = "exec";
    internals.allowHalfOpen = true;
    if (opts.stdin) chan.write(opts.stdin);
    chan.end();
    return result;
}

/** Go's ssh.ExitError wording, which the provider puts in front of its error. */
export function exitDescription(r: Pick<ExecResult, "exitCode" | "signal">): string {
    if (r.signal) return `Process exited with status -1 from signal ${r.signal.replace(/^SIG/, "")}`;
    if (r.exitCode === null) return "wait: remote command exited without exit status or exit signal";
    return `Process exited with status ${r.exitCode}`;
}

function sftpOf(client: Client): Promise<SFTPWrapper> {
    return new Promise((resolve, reject) => client.sftp((err, s) => (err ? reject(err) : resolve(s))));
}

function stat(s: SFTPWrapper, p: string): Promise<{ isDir: boolean } | undefined> {
    return new Promise((resolve, reject) =>
        s.stat(p, (err, st) => {
            if (err) return (err as { code?: number }).code === 2 ? resolve(undefined) : reject(new Error(`failed to stat remote path ${p}: ${err.message}`));
            resolve({ isDir: st.isDirectory() });
        }),
    );
}

const mkdir = (s: SFTPWrapper, p: string) =>
    new Promise<void>((resolve, reject) =>
        s.mkdir(p, (err) => (err ? reject(new Error(`failed to create remote directory ${p}: ${err.message}`)) : resolve())),
    );

const put = (s: SFTPWrapper, src: string, dst: string) =>
    new Promise<void>((resolve, reject) =>
        s.fastPut(src, dst, (err) => (err ? reject(new Error(`failed to copy file ${src} to remote path ${dst}: ${err.message}`)) : resolve())),
    );

async function copyDir(s: SFTPWrapper, src: string, dst: string): Promise<void> {
    for (const name of fs.readdirSync(src).sort()) {
        const from = path.join(src, name);
        const to = path.posix.join(dst, name);
        if (!fs.statSync(from).isDirectory()) {
            await put(s, from, to);
            continue;
        }
        const st = await stat(s, to);
        if (!st) await mkdir(s, to);
        else if (!st.isDir) throw new Error(`remote path ${to} exists but is not a directory`);
        await copyDir(s, from, to);
    }
}

/** CopyToRemote's placement rules (copyController.go): see the table there. */
export async function sftpCopy(client: Client, source: string, destPath: string): Promise<void> {
    const s = await sftpOf(client);
    try {
        const destStat = await stat(s, destPath);
        if (fs.statSync(source).isDirectory()) {
            if (!destStat) await mkdir(s, destPath);
            let dest = destPath;
            if (!source.endsWith("/")) {
                dest = path.posix.join(destPath, path.basename(source));
                const st = await stat(s, dest);
                if (st && !st.isDir) throw new Error(`remote path ${dest} exists but is not a directory`);
                if (!st) await mkdir(s, dest);
            }
            await copyDir(s, source, dest);
        } else {
            const dest = destStat?.isDir ? path.posix.join(destPath, path.basename(source)) : destPath;
            await put(s, source, dest);
        }
    } finally {
        s.end();
    }
}
