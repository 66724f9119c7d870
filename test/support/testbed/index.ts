/*
 * The testbed: hosts with systemd as PID 1 and sshd in network namespaces on a
 * private bridge (see README.md next to this file).
 */
export { testbedAvailable, testbedSkip, requireTestbed } from "./availability";
export { startTestbed } from "./testbed";
export { diskPressureProblem } from "./disk";
export { sshExec, type SshExecOptions } from "./ssh-client";
export type { Testbed, TestbedConnection, TestbedHost, TestbedOptions, TestbedTimings, ExecOptions, ExecResult } from "./types";
