import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, existsSync, openSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { run, type RunOptions, type RunResult, sleep } from "./proc";

/*
 * systemd as PID 1 of a host. The launch chain, all by exec so the machine sees one process:
 *   nsenter --net=<host netns>  ->  boot.sh outer  (joins the host's cgroups)
 *   -> setpriv (bounding set without machine-global capabilities, dies with the bench's process)
 *   -> unshare --uts --ipc --mount --pid --cgroup --fork --kill-child
 *   -> boot.sh inner (PID 1 of the new namespaces: builds the root)  -> chroot ... systemd
 * Killing the unshare process or PID 1 ends the whole PID namespace, which is how a host crashes.
 */

/** systemd's "container" value: makes it skip what only a real machine does. */
const CONTAINER_NAME = "k8s-binary-bench";

/**
 * Capabilities the hosts give up: they would change the machine itself (clock, kernel modules,
 * raw I/O, kernel log, wake alarms, suspend, security modules, the audit login id).
 */
const DROPPED_CAPABILITIES = [
    "sys_time",
    "sys_module",
    "sys_rawio",
    "syslog",
    "wake_alarm",
    "block_suspend",
    "mac_admin",
    "mac_override",
    "audit_control",
];

/** The environment of commands run in a host with `execInHost`: what a root login would have. */
const EXEC_ENV = [
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME=/root",
    "USER=root",
    "LOGNAME=root",
    "SHELL=/bin/bash",
    "LANG=C.UTF-8",
];

/** Where one host keeps its state inside the bench's temporary directory. */
export interface HostPaths {
    dir: string;
    /** Overlay upper and work directories: the host's disk. */
    upper: string;
    work: string;
    /** The overlay's mount point (mounted only inside the host's mount namespace). */
    root: string;
    /** The host's /dev/console and systemd's output. */
    console: string;
    /** Output of the launch chain before systemd starts. */
    launchLog: string;
    /** PID 1 of the host, as the machine numbers it, written right before systemd starts. */
    pidFile: string;
    script: string;
}

export function hostPaths(stateDir: string, host: string): HostPaths {
    const dir = join(stateDir, host);
    return {
        dir,
        upper: join(dir, "upper"),
        work: join(dir, "work"),
        root: join(dir, "root"),
        console: join(dir, "console.log"),
        launchLog: join(dir, "launch.log"),
        pidFile: join(dir, "init.pid"),
        script: join(dir, "boot.sh"),
    };
}

function quote(value: string): string {
    return `'${value.replace(/'/g, `'"'"'`)}'`;
}

/** setpriv's argument that takes the dropped capabilities out of the bounding set. */
const BOUNDING_SET = DROPPED_CAPABILITIES.map((cap) => `-${cap}`).join(",");

/** The host's boot script (see the chain above); the cgroups are the host's in the machine's hierarchies. */
export function renderBootScript(paths: HostPaths, cgroups: { systemd: string; unified: string }): string {
    return `#!/bin/bash
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
dir=${quote(paths.dir)}
root=${quote(paths.root)}
console=${quote(paths.console)}
cg_systemd=${quote(cgroups.systemd)}
cg_unified=${quote(cgroups.unified)}

case "\${1:-}" in
outer)
    # The cgroup namespace made next is rooted where this process stands: in the host's cgroups.
    echo $$ > "$cg_systemd/cgroup.procs"
    echo $$ > "$cg_unified/cgroup.procs"
    exec setpriv --pdeathsig KILL --bounding-set ${BOUNDING_SET} -- \\
        unshare --uts --ipc --mount --pid --cgroup --fork --kill-child --propagation private -- \\
        /bin/bash "$0" inner
    ;;
inner)
    # /proc is still the machine's, so this names the process by the machine's PID.
    read -r machine_pid _ < /proc/self/stat
    mkdir -p "$root"
    mount -t overlay overlay -o lowerdir=/,upperdir=${quote(paths.upper)},workdir=${quote(paths.work)} "$root"
    mount -t proc proc "$root/proc"
    # Kernel settings read-only, except the host's own network stack.
    mount --bind "$root/proc/sys" "$root/proc/sys"
    mount -o remount,bind,ro "$root/proc/sys"
    mount --bind "$root/proc/sys/net" "$root/proc/sys/net"
    mount -o remount,bind,rw "$root/proc/sys/net"
    mount -t sysfs -o ro sysfs "$root/sys"
    # The hybrid cgroup layout systemd expects, showing only the host's own cgroups.
    mount -t tmpfs -o mode=755,size=64k cgroup "$root/sys/fs/cgroup"
    mkdir "$root/sys/fs/cgroup/systemd" "$root/sys/fs/cgroup/unified"
    mount --bind "$cg_systemd" "$root/sys/fs/cgroup/systemd"
    mount --bind "$cg_unified" "$root/sys/fs/cgroup/unified"
    mount -o remount,bind,ro "$root/sys/fs/cgroup"
    # A minimal /dev: none of the machine's disks or terminals.
    mount -t tmpfs -o mode=755,size=64k dev "$root/dev"
    for node in null zero full random urandom tty; do
        touch "$root/dev/$node"
        mount --bind "/dev/$node" "$root/dev/$node"
    done
    mkdir "$root/dev/pts" "$root/dev/shm"
    mount -t devpts -o newinstance,ptmxmode=0666,mode=620,gid=5 devpts "$root/dev/pts"
    ln -s pts/ptmx "$root/dev/ptmx"
    mount -t tmpfs -o mode=1777 shm "$root/dev/shm"
    ln -s /proc/self/fd "$root/dev/fd"
    ln -s /proc/self/fd/0 "$root/dev/stdin"
    ln -s /proc/self/fd/1 "$root/dev/stdout"
    ln -s /proc/self/fd/2 "$root/dev/stderr"
    touch "$console" "$root/dev/console"
    mount --bind "$console" "$root/dev/console"
    mount -t tmpfs -o mode=755 run "$root/run"
    mount -t tmpfs -o mode=1777 tmp "$root/tmp"
    echo "$machine_pid" > "$dir/init.pid"
    exec chroot "$root" /usr/bin/env -i container=${CONTAINER_NAME} /lib/systemd/systemd \\
        </dev/null >>"$console" 2>&1
    ;;
*)
    echo "usage: $0 outer|inner" >&2
    exit 2
    ;;
esac
`;
}

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

/**
 * Runs a bash command inside a host through its namespaces (no SSH), as root with a login-like
 * environment and the same capabilities as the host's own processes.
 */
export function execInHost(initPid: number, command: string, options: RunOptions = {}): Promise<RunResult> {
    return run(
        "nsenter",
        [
            `--target=${initPid}`,
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
export async function waitForBoot(
    initPid: number,
    paths: HostPaths,
    launched: LaunchedHost,
    deadline: number,
): Promise<string> {
    for (let state = ""; ; await sleep(50)) {
        if (launched.exited()) throw new Error(`host stopped while booting\n${bootLogs(paths)}`);
        const remaining = deadline - Date.now();
        if (remaining <= 0) throw new Error(`host boot timed out (state "${state}")\n${bootLogs(paths)}`);
        // --wait blocks until start-up finished, once systemd answers at all.
        const result = await execInHost(
            initPid,
            "systemctl is-system-running --wait; systemctl is-active ssh.service",
            { timeoutMs: remaining },
        );
        const [systemState = "", sshState = ""] = result.stdout.trim().split("\n");
        state = systemState;
        if (state !== "running" && state !== "degraded") continue;
        if (sshState !== "active") {
            const status = await execInHost(initPid, "systemctl status --no-pager ssh.service");
            throw new Error(`sshd is ${sshState || "unknown"} after boot\n${status.stdout}\n${bootLogs(paths)}`);
        }
        return state;
    }
}
