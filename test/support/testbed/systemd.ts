import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { BOUNDING_SET, type HostPaths } from "./boot";
import type { InstanceCgroups } from "./cgroup";
import { run, type RunOptions, type RunResult, sleep } from "./proc";

/*
 * Launching a host's boot script (boot.ts), waiting for its systemd, and running commands in it.
 */

/** The environment of commands run in a host with `execInHost`: what a root login would have. */
const EXEC_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    "USER=root",
    "LOGNAME=root",
    "SHELL=/bin/bash",
    "LANG=C.UTF-8",
];

/** A launched host: the launch chain's process (later unshare), and whether it has exited. */
export interface LaunchedHost {
    process: ChildProcess;
    exited: () => boolean;
}

/** Starts the launch chain in the host's network namespace; returns at once. */
export function launchHost(paths: HostPaths, netns: string): LaunchedHost {
    rmSync(paths.pidFile, { force: true });
    const log = openSync(paths.launchLog, "a");
    let exited = false;
    // detached: a Ctrl-C to the test's terminal reaches the test process (and its cleanup), not the hosts.
    const child = spawn("nsenter", [`--net=/run/netns/${netns}`, "--", "/bin/bash", paths.script, "outer"], {
        detached: true,
        stdio: ["ignore", log, log],
    });
    closeSync(log);
    child.on("exit", () => {
        exited = true;
    });
    child.on("error", () => {
        exited = true;
    });
    // Hosts must not keep the test process alive; the exit hook ends them.
    child.unref();
    return { process: child, exited: () => exited };
}

function tail(file: string, lines: number): string {
    try {
        return readFileSync(file, "utf8").trimEnd().split("\n").slice(-lines).join("\n");
    } catch {
        return "";
    }
}

/** The last lines of a host's launch log and console, for error messages. */
export function bootLogs(paths: HostPaths): string {
    return `launch log:\n${tail(paths.launchLog, 15)}\nconsole:\n${tail(paths.console, 25)}`;
}

/** Waits until the launch chain reached systemd's exec; returns PID 1 as the machine numbers it. */
export async function waitForInit(paths: HostPaths, launched: LaunchedHost, deadline: number): Promise<number> {
    for (;;) {
        if (existsSync(paths.pidFile)) {
            const pid = Number(readFileSync(paths.pidFile, "utf8").trim());
            if (pid > 0) return pid;
        }
        if (launched.exited()) throw new Error(`host launch failed\n${bootLogs(paths)}`);
        if (Date.now() > deadline) throw new Error(`host launch timed out\n${bootLogs(paths)}`);
        await sleep(20);
    }
}

/** A running host: its PID 1 as the machine numbers it, and its own cgroups. */
export interface HostTarget {
    initPid: number;
    cgroups: InstanceCgroups;
}

/** Moves itself into the cgroup directories given before `--`, then runs what follows. */
const JOIN_CGROUPS = 'while [ "$1" != -- ]; do echo $$ > "$1/cgroup.procs"; shift; done; shift; exec "$@"';

/**
 * Runs a bash command inside a host through its namespaces and cgroups (no SSH), as root with a
 * login-like environment and the same capabilities as the host's own processes. In the host's
 * cgroups, what it starts counts in the host's memory and dies with the host.
 */
export function execInHost(target: HostTarget, command: string, options: RunOptions = {}): Promise<RunResult> {
    return run(
        "/bin/sh",
        [
            "-c",
            JOIN_CGROUPS,
            "sh",
            ...Object.values(target.cgroups),
            "--",
            "nsenter",
            `--target=${target.initPid}`,
            "--mount",
            "--uts",
            "--ipc",
            "--net",
            "--pid",
            "--cgroup",
            "--root",
            "--wd",
            "--",
            "setpriv",
            "--bounding-set",
            BOUNDING_SET,
            "--",
            "/usr/bin/env",
            "-i",
            ...EXEC_ENV,
            "/bin/bash",
            "-c",
            command,
        ],
        options,
    );
}

/**
 * Waits until systemd reports the boot finished (running, or degraded when a unit failed) and
 * checks that sshd is up (ssh.service is Type=notify: active means listening). Returns systemd's state.
 */
export async function waitForBoot(target: HostTarget, paths: HostPaths, launched: LaunchedHost, deadline: number): Promise<string> {
    for (let state = ""; ; await sleep(50)) {
        if (launched.exited()) throw new Error(`host stopped while booting\n${bootLogs(paths)}`);
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`host boot timed out (state "${state}")\n${bootLogs(paths)}`);
        // --wait blocks until start-up finished, once systemd answers at all.
        const result = await execInHost(target, "systemctl is-system-running --wait; systemctl is-active ssh.service", { timeoutMs: remaining });
        const [systemState = "", sshState = ""] = result.stdout.trim().split("\n");
        state = systemState;
        if (state !== "running" && state !== "degraded") continue;
        if (sshState !== "active") {
            const status = await execInHost(target, "systemctl status --no-pager ssh.service");
            throw new Error(`sshd is ${sshState || "unknown"} after boot\n${status.stdout}\n${bootLogs(paths)}`);
        }
        return state;
    }
}
