/*
 * The integration test bench: hosts with systemd as PID 1 and sshd in network namespaces on a
 * private bridge (see README.md next to this file).
 */
export { benchAvailable, benchSkip, requireBench } from "./availability";
export { startBench } from "./bench";
export { sshExec, type SshExecOptions } from "./ssh-client";
export type {
    Bench,
    BenchConnection,
    BenchHost,
    BenchOptions,
    BenchTimings,
    ExecOptions,
    ExecResult,
} from "./types";
