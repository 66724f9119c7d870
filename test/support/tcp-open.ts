import { connect } from "node:net";

/** Whether a TCP connection to host:port opens within `timeoutMs` (refused, unreachable or silent: false). */
export function tcpOpen(host: string, port: number, timeoutMs: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = connect({ host, port, timeout: timeoutMs });
        const done = (open: boolean): void => {
            socket.destroy();
            resolve(open);
        };
        socket.once("connect", () => done(true));
        socket.once("error", () => done(false));
        socket.once("timeout", () => done(false));
    });
}
