// A client polling the Kubernetes API with an admin kubeconfig's credentials, one new TCP
// connection per request (so each goes through the load balancer's choice afresh), recording
// every failure: the error window of a disruption is measured, not guessed.
import { request, Agent } from "node:https";
import { parse } from "yaml";

/** What a kubeconfig's first cluster and user give a client. */
export interface ApiCredentials {
    server: string;
    ca: Buffer;
    cert: Buffer;
    key: Buffer;
}

/** Reads the server, CA and client certificate of a kubeconfig with one cluster and one user. */
export function credentialsOf(kubeconfig: string): ApiCredentials {
    const doc = parse(kubeconfig) as {
        clusters: { cluster: { server: string; "certificate-authority-data": string } }[];
        users: { user: { "client-certificate-data": string; "client-key-data": string } }[];
    };
    const b64 = (text: string) => Buffer.from(text, "base64");
    return {
        server: doc.clusters[0].cluster.server,
        ca: b64(doc.clusters[0].cluster["certificate-authority-data"]),
        cert: b64(doc.users[0].user["client-certificate-data"]),
        key: b64(doc.users[0].user["client-key-data"]),
    };
}

/** One GET; resolves with the status code, rejects on a connection error or after `timeoutMs`. */
export function apiGet(creds: ApiCredentials, path: string, timeoutMs = 3000): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
        const agent = new Agent({ keepAlive: false, ca: creds.ca, cert: creds.cert, key: creds.key });
        const req = request(new URL(path, creds.server), { agent, timeout: timeoutMs }, (res) => {
            let body = "";
            res.setEncoding("utf8");
            res.on("data", (chunk: string) => (body += chunk));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

/** What a poll run saw. */
export interface PollReport {
    requests: number;
    failures: { at: number; error: string }[];
    /** From the first failure to the end of the last failed request, in ms; 0 without failures. */
    errorWindowMs: number;
    /** The longest a successful request took, in ms: a stall that ended before the request timed out. */
    slowestMs: number;
}

/** Polls `path` every `intervalMs` until stopped; a non-200 answer counts as a failure. */
export function startApiPoller(creds: ApiCredentials, path: string, intervalMs = 50): { stop: () => Promise<PollReport> } {
    let running = true;
    let requests = 0;
    const failures: { at: number; error: string; end: number }[] = [];
    let slowestMs = 0;
    const loop = (async () => {
        while (running) {
            const at = Date.now();
            requests++;
            try {
                const r = await apiGet(creds, path);
                if (r.status !== 200) failures.push({ at, end: Date.now(), error: `HTTP ${r.status}: ${r.body.slice(0, 200)}` });
                else slowestMs = Math.max(slowestMs, Date.now() - at);
            } catch (e) {
                failures.push({ at, end: Date.now(), error: (e as Error).message });
            }
            await new Promise((r) => setTimeout(r, intervalMs));
        }
    })();
    return {
        stop: async () => {
            running = false;
            await loop;
            const errorWindowMs = failures.length === 0 ? 0 : failures[failures.length - 1].end - failures[0].at;
            return { requests, failures: failures.map(({ at, error }) => ({ at, error })), errorWindowMs, slowestMs };
        },
    };
}
