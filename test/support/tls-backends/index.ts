import { readFileSync } from "node:fs";
import * as https from "node:https";
import * as path from "node:path";

/** Runs a bash command inside a test host, with optional standard input; resolves with its exit code and output. */
export type HostExec = (host: string, command: string, options?: { input?: string }) => Promise<{ code: number; stdout: string; stderr: string }>;

/** One stand-in apiserver. */
export interface TlsBackend {
    /** What it answers with, `<host>-<port>`. */
    name: string;
    host: string;
    address: string;
    port: number;
    /** The transient systemd unit it runs as inside its host. */
    unit: string;
}

const SERVER = path.join(__dirname, "server.js");
const DIR = "/var/lib/tls-backends";

/**
 * Starts HTTPS stand-ins for apiservers inside a test host, one transient systemd unit per port
 * (so a test can kill one), with a self-signed certificate whose SANs are the host's address and
 * `extraIps` (the VIP clients will use). Returns the backends and the certificate, to verify TLS
 * through the load balancer.
 */
export async function startTlsBackends(
    exec: HostExec,
    host: { name: string; address: string },
    ports: number[],
    extraIps: string[],
): Promise<{ backends: TlsBackend[]; certPem: string }> {
    const sans = [host.address, ...extraIps].map((ip) => `IP:${ip}`).join(",");
    // Copied in: the repository's path may be invisible inside a host (hosts have their own /tmp).
    const copied = await exec(host.name, `mkdir -p ${DIR} && cat > ${DIR}/server.js`, { input: readFileSync(SERVER, "utf8") });
    if (copied.code !== 0) throw new Error(`server script into ${host.name}: ${copied.stderr}`);
    const cert = await exec(
        host.name,
        [
            `mkdir -p ${DIR}`,
            `[ -s ${DIR}/cert.pem ] || openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 ` +
                `-subj /CN=${host.name} -addext subjectAltName=${sans} -keyout ${DIR}/key.pem -out ${DIR}/cert.pem 2>/dev/null`,
            `cat ${DIR}/cert.pem`,
        ].join(" && "),
    );
    if (cert.code !== 0) throw new Error(`certificate for ${host.name}'s backends: ${cert.stderr}`);
    const backends: TlsBackend[] = [];
    for (const port of ports) {
        const b: TlsBackend = { name: `${host.name}-${port}`, host: host.name, address: host.address, port, unit: `tls-backend-${port}` };
        const run = await exec(
            host.name,
            `systemctl reset-failed ${b.unit} 2>/dev/null; systemd-run --quiet --unit=${b.unit} ` +
                `/usr/bin/node ${DIR}/server.js ${b.name} ${port} ${DIR}/cert.pem ${DIR}/key.pem && ` +
                `for i in $(seq 50); do bash -c '</dev/tcp/127.0.0.1/${port}' 2>/dev/null && exit 0; sleep 0.1; done; exit 1`,
        );
        if (run.code !== 0) throw new Error(`backend ${b.name} did not start: ${run.stderr}`);
        backends.push(b);
    }
    return { backends, certPem: cert.stdout };
}

/** SIGKILLs a backend, as a crashed apiserver. */
export async function killTlsBackend(exec: HostExec, backend: TlsBackend): Promise<void> {
    const r = await exec(backend.host, `systemctl kill --signal=KILL ${backend.unit}`);
    if (r.code !== 0) throw new Error(`kill ${backend.name}: ${r.stderr}`);
}

/**
 * One HTTPS request on a fresh connection, verified against the backends' certificate; resolves
 * with the name of the backend that answered.
 */
export function whichBackend(url: string, certPem: string, timeoutMs = 2000): Promise<string> {
    return new Promise((resolve, reject) => {
        const req = https.get(url, { ca: certPem, agent: false, timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => resolve(body.trim()));
            res.on("error", reject);
        });
        req.on("timeout", () => req.destroy(new Error(`no answer from ${url} within ${timeoutMs} ms`)));
        req.on("error", reject);
    });
}
