import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as https from "node:https";
import * as http from "node:http";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { tool } from "./toolchain";

/**
 * A Kubernetes API server of the test's own on 127.0.0.1: etcd and kube-apiserver from the
 * toolchain (families etcd and kubernetes) on free loopback ports, certificates made with the
 * openssl CLI (a CA, the server's certificate for IP 127.0.0.1, an admin client certificate in
 * group system:masters, the service-account key pair). No controller manager, scheduler or node:
 * objects are stored and served, nothing reconciles them (a namespace is never finalized, a
 * Deployment never gets pods, aggregated ClusterRoles such as `view` stay empty, and a delete
 * with foreground propagation, the Kubernetes provider's default, never completes: no garbage
 * collector removes its finalizer). `stop()` ends exactly the processes it started (by PID) and removes
 * its directory; call it from `after`, also after a failed start (it is safe on a partial start).
 */
export interface LoopbackApiserver {
    /** `https://127.0.0.1:<port>` */
    server: string;
    /** An admin kubeconfig (system:masters), credentials embedded. */
    kubeconfig: string;
    /** The same kubeconfig as a file, for kubectl. */
    kubeconfigFile: string;
    /** The admin client's private key (PEM), to look for in places it must not be. */
    adminKey: string;
    /** The user agents of the requests the server has seen (its audit log, metadata only). */
    userAgents(): string[];
    /** kubectl against this server: its stdout. */
    kubectl(...args: string[]): string;
    pids: { etcd?: number; apiserver?: number };
    /** The processes' output so far, for failure messages. */
    logs(): string;
    stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (the kernel's pick). */
export function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const srv = net.createServer();
        srv.once("error", reject);
        srv.listen(0, "127.0.0.1", () => {
            const { port } = srv.address() as net.AddressInfo;
            srv.close(() => resolve(port));
        });
    });
}

/** The HTTP status of a GET (undefined when the connection fails). */
function status(url: string, tls?: https.RequestOptions): Promise<number | undefined> {
    return new Promise((resolve) => {
        const get = url.startsWith("https:") ? https.get : http.get;
        const req = get(url, { ...tls, timeout: 2000 }, (res) => {
            res.resume();
            resolve(res.statusCode);
        });
        req.once("error", () => resolve(undefined));
        req.once("timeout", () => {
            req.destroy();
            resolve(undefined);
        });
    });
}

/** Polls `url` until it answers 200; fails early when `proc` exits, and at the deadline. */
async function waitReady(what: string, url: string, proc: ChildProcess, logs: () => string, timeoutMs: number, tls?: https.RequestOptions): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: number | undefined;
    while (Date.now() < deadline) {
        if (proc.exitCode !== null || proc.signalCode !== null) throw new Error(`${what} exited (${proc.exitCode ?? proc.signalCode}):\n${logs()}`);
        last = await status(url, tls);
        if (last === 200) return;
        await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${what}: ${url} not ready within ${timeoutMs / 1000} s (last status ${last ?? "no connection"}):\n${logs()}`);
}

/** Ends a process this helper started: SIGTERM, then SIGKILL if it has not exited within 10 s. */
async function end(proc: ChildProcess | undefined): Promise<void> {
    if (!proc || proc.pid === undefined || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once("exit", () => resolve()));
    process.kill(proc.pid, "SIGTERM");
    const timer = setTimeout(() => {
        if (proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined) process.kill(proc.pid, "SIGKILL");
    }, 10_000);
    await exited;
    clearTimeout(timer);
}

/** The test PKI, made with the openssl CLI in `dir`. */
function makePki(dir: string): void {
    const ssl = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    const key = (name: string) => ssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", `${name}.key`);
    key("ca");
    ssl("req", "-x509", "-new", "-key", "ca.key", "-days", "1", "-subj", "/CN=k8s-binary-test-ca", "-out", "ca.crt");
    const sign = (name: string, subj: string, ext: string) => {
        key(name);
        fs.writeFileSync(path.join(dir, `${name}.ext`), ext);
        ssl("req", "-new", "-key", `${name}.key`, "-subj", subj, "-out", `${name}.csr`);
        ssl(
            "x509",
            "-req",
            "-in",
            `${name}.csr`,
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "1",
            "-extfile",
            `${name}.ext`,
            "-out",
            `${name}.crt`,
        );
    };
    sign(
        "apiserver",
        "/CN=kube-apiserver",
        "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=serverAuth\n" +
            "subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\n",
    );
    sign("admin", "/O=system:masters/CN=k8s-binary-test-admin", "basicConstraints=CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=clientAuth\n");
    // Service-account tokens: an RSA key pair (the API server signs with the private key).
    ssl("genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", "sa.key");
    ssl("pkey", "-in", "sa.key", "-pubout", "-out", "sa.pub");
}

function kubeconfigFor(server: string, dir: string): string {
    const b64 = (f: string) => fs.readFileSync(path.join(dir, f)).toString("base64");
    return [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        "- name: loopback",
        "  cluster:",
        `    server: ${server}`,
        `    certificate-authority-data: ${b64("ca.crt")}`,
        "users:",
        "- name: admin",
        "  user:",
        `    client-certificate-data: ${b64("admin.crt")}`,
        `    client-key-data: ${b64("admin.key")}`,
        "contexts:",
        "- name: admin@loopback",
        "  context: { cluster: loopback, user: admin }",
        "current-context: admin@loopback",
        "",
    ].join("\n");
}

export async function startLoopbackApiserver(): Promise<LoopbackApiserver> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "apiserver-loopback-"));
    const procs: { etcd?: ChildProcess; apiserver?: ChildProcess } = {};
    const output: Record<string, string> = { etcd: "", apiserver: "" };
    // The last lines of each process's output (the API server is talkative at startup).
    const logs = () =>
        Object.entries(output)
            .map(([name, text]) => `--- ${name}\n${text.split("\n").slice(-40).join("\n")}`)
            .join("\n");
    const start = (name: "etcd" | "apiserver", file: string, args: string[]) => {
        const proc = spawn(file, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
        const keep = (d: Buffer) => (output[name] = (output[name] + d.toString()).slice(-200_000));
        proc.stdout!.on("data", keep);
        proc.stderr!.on("data", keep);
        proc.once("error", (e) => (output[name] += `\nspawn failed: ${e.message}`));
        procs[name] = proc;
        // Should the test process end without `stop()` (a timeout), the server must not outlive it.
        const orphan = () => proc.exitCode === null && proc.signalCode === null && proc.pid !== undefined && process.kill(proc.pid, "SIGKILL");
        process.once("exit", orphan);
        proc.once("exit", () => process.off("exit", orphan));
        return proc;
    };
    const stop = async () => {
        await end(procs.apiserver);
        await end(procs.etcd);
        fs.rmSync(dir, { recursive: true, force: true });
    };

    try {
        makePki(dir);
        const [clientPort, peerPort, securePort] = [await freePort(), await freePort(), await freePort()];
        const etcdUrl = `http://127.0.0.1:${clientPort}`;
        const peerUrl = `http://127.0.0.1:${peerPort}`;
        const etcd = start("etcd", tool("etcd", "etcd"), [
            "--name=loopback",
            `--data-dir=${path.join(dir, "etcd")}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peerUrl}`,
            `--initial-advertise-peer-urls=${peerUrl}`,
            `--initial-cluster=loopback=${peerUrl}`,
            "--log-level=warn",
        ]);
        await waitReady("etcd", `${etcdUrl}/readyz`, etcd, logs, 30_000);

        const f = (name: string) => path.join(dir, name);
        // Who called: every request's metadata (no bodies, so no secret values) in the audit log.
        fs.writeFileSync(f("audit-policy.yaml"), "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n");
        const apiserver = start("apiserver", tool("kubernetes", "kube-apiserver"), [
            `--etcd-servers=${etcdUrl}`,
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            // The `kubernetes` Service's endpoints may not be loopback: nothing in-cluster uses them here.
            "--endpoint-reconciler-type=none",
            `--secure-port=${securePort}`,
            `--tls-cert-file=${f("apiserver.crt")}`,
            `--tls-private-key-file=${f("apiserver.key")}`,
            `--client-ca-file=${f("ca.crt")}`,
            `--service-account-key-file=${f("sa.pub")}`,
            `--service-account-signing-key-file=${f("sa.key")}`,
            "--service-account-issuer=https://kubernetes.default.svc",
            "--service-cluster-ip-range=10.96.0.0/24",
            "--authorization-mode=Node,RBAC",
            `--cert-dir=${f("apiserver-certs")}`,
            `--audit-policy-file=${f("audit-policy.yaml")}`,
            `--audit-log-path=${f("audit.log")}`,
            "--v=1",
        ]);
        const tls = { ca: fs.readFileSync(f("ca.crt")), cert: fs.readFileSync(f("admin.crt")), key: fs.readFileSync(f("admin.key")) };
        const server = `https://127.0.0.1:${securePort}`;
        // Ready: storage, RBAC's bootstrap roles and every other post-start hook done.
        await waitReady("kube-apiserver", `${server}/readyz`, apiserver, logs, 120_000, tls);

        const kubeconfig = kubeconfigFor(server, dir);
        const kubeconfigFile = f("admin.kubeconfig");
        fs.writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
        const kubectl = tool("kubernetes", "kubectl");
        return {
            server,
            kubeconfig,
            kubeconfigFile,
            adminKey: fs.readFileSync(f("admin.key"), "utf8"),
            kubectl: (...args: string[]) =>
                execFileSync(kubectl, [`--kubeconfig=${kubeconfigFile}`, ...args], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }),
            userAgents: () =>
                fs.existsSync(f("audit.log"))
                    ? [
                          ...new Set(
                              fs
                                  .readFileSync(f("audit.log"), "utf8")
                                  .split("\n")
                                  .filter(Boolean)
                                  .map((l) => String((JSON.parse(l) as { userAgent?: string }).userAgent)),
                          ),
                      ]
                    : [],
            pids: { etcd: etcd.pid, apiserver: apiserver.pid },
            logs,
            stop,
        };
    } catch (e) {
        await stop();
        throw e;
    }
}
