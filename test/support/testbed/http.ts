import { createReadStream, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve, sep } from "node:path";

/** A running static file server. */
export interface DirectoryServer {
    /** `http://<address>:<port>` without a trailing slash. */
    url: string;
    port: number;
    close(): Promise<void>;
}

/**
 * Serves the regular files under `dir` (GET and HEAD; nothing outside `dir`, no listings) on
 * `address` at a free port. Bound to the testbed's gateway address, it is what the hosts download
 * release archives from.
 */
export function serveDirectory(dir: string, address: string): Promise<DirectoryServer> {
    const base = resolve(dir);
    const server: Server = createServer((request, response) => {
        const fail = (status: number): void => {
            response.writeHead(status, { "content-type": "text/plain" });
            response.end(`${status}\n`);
        };
        if (request.method !== "GET" && request.method !== "HEAD") return fail(405);
        let path: string;
        try {
            path = resolve(base, `.${decodeURIComponent(new URL(request.url ?? "/", "http://testbed").pathname)}`);
        } catch {
            return fail(400);
        }
        if (!path.startsWith(base + sep)) return fail(404);
        let size: number;
        try {
            const stat = statSync(path);
            if (!stat.isFile()) return fail(404);
            size = stat.size;
        } catch {
            return fail(404);
        }
        response.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
        if (request.method === "HEAD") return void response.end();
        createReadStream(path)
            .on("error", () => response.destroy())
            .pipe(response);
    });
    return new Promise((resolveServer, reject) => {
        server.once("error", reject);
        server.listen(0, address, () => {
            // An open server must not keep a test process alive (its exit hook tears the testbed down).
            server.unref();
            const { port } = server.address() as AddressInfo;
            resolveServer({
                url: `http://${address}:${port}`,
                port,
                close: () =>
                    new Promise((done) => {
                        server.closeAllConnections();
                        server.close(() => done());
                    }),
            });
        });
    });
}
