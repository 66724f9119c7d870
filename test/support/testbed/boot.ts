import { join } from "node:path";
import type { InstanceCgroups } from "./cgroup";

/*
 * A host's boot script. The launch chain, all by exec so the machine sees one process:
 *   nsenter --net=<host netns>  ->  boot.sh outer  (joins the host's cgroups)
 *   -> setpriv (bounding set without machine-global capabilities, dies with the testbed's process)
 *   -> unshare --uts --ipc --mount --pid --cgroup --fork --kill-child
 *   -> boot.sh inner (PID 1 of the new namespaces: builds the root)  -> pivot_root -> systemd
 * Killing the unshare process or PID 1 ends the whole PID namespace, which is how a host crashes.
 */

/** systemd's "container" value: makes it skip what only a real machine does. */
const CONTAINER_NAME = "k8s-binary-bench";

/**
 * Capabilities the hosts give up: they would change the machine itself (clock, kernel modules,
 * raw I/O, kernel log, wake alarms, suspend, security modules, the audit login id).
 */
const DROPPED_CAPABILITIES = ["sys_time", "sys_module", "sys_rawio", "syslog", "wake_alarm", "block_suspend", "mac_admin", "mac_override", "audit_control"];

/** setpriv's argument that takes the dropped capabilities out of the bounding set. */
export const BOUNDING_SET = DROPPED_CAPABILITIES.map((cap) => `-${cap}`).join(",");

/**
 * Machine-wide kernel settings kubelet insists on at start (it writes or, with
 * protectKernelDefaults, checks them, and fails either way on a mismatch). A host sees these
 * values in files bound over its /proc/sys entries; the machine's own are never written
 * (panic_on_oops=1 would turn any oops into a panic of the whole machine).
 */
export const KUBELET_SYSCTLS: Readonly<Record<string, string>> = {
    "vm/overcommit_memory": "1",
    "vm/panic_on_oom": "0",
    "kernel/panic": "10",
    "kernel/panic_on_oops": "1",
    "kernel/keys/root_maxkeys": "1000000",
    "kernel/keys/root_maxbytes": "25000000",
};

/** Where one host keeps its state inside the testbed's temporary directory. */
export interface HostPaths {
    dir: string;
    /** Overlay upper and work directories: the host's disk. */
    upper: string;
    work: string;
    /** The host's /var/lib/containerd, on the machine's disk: overlay snapshots need an upper layer that is not overlay. */
    containerd: string;
    /** The files shown as the host's KUBELET_SYSCTLS, written at every boot. */
    sysctl: string;
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
        containerd: join(dir, "containerd"),
        sysctl: join(dir, "sysctl"),
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

/** A bash array of `name=value` words. */
function pairs(entries: Record<string, string>): string {
    return Object.entries(entries)
        .map(([name, value]) => quote(`${name}=${value}`))
        .join(" ");
}

/** The host's boot script (see the chain above); `cgroups` are the host's own, by hierarchy name. */
export function renderBootScript(paths: HostPaths, cgroups: InstanceCgroups): string {
    return `#!/bin/bash
set -euo pipefail
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
dir=${quote(paths.dir)}
root=${quote(paths.root)}
console=${quote(paths.console)}
cgroups=(${pairs(cgroups)})
sysctls=(${pairs(KUBELET_SYSCTLS)})

case "\${1:-}" in
outer)
    # The cgroup namespace made next is rooted where this process stands: in the host's cgroups.
    for cgroup in "\${cgroups[@]}"; do echo $$ > "\${cgroup#*=}/cgroup.procs"; done
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
    # kubelet's machine-wide settings, for this host's eyes only: its writes land in the files.
    mkdir -p ${quote(paths.sysctl)}
    for sysctl in "\${sysctls[@]}"; do
        key=\${sysctl%%=*}
        file=${quote(paths.sysctl)}/\${key//\\//.}
        echo "\${sysctl#*=}" > "$file"
        mount --bind "$file" "$root/proc/sys/$key"
    done
    mount -t sysfs -o ro sysfs "$root/sys"
    # Every hierarchy of the machine, each showing only the host's own cgroup.
    mount -t tmpfs -o mode=755,size=64k cgroup "$root/sys/fs/cgroup"
    for cgroup in "\${cgroups[@]}"; do
        mkdir "$root/sys/fs/cgroup/\${cgroup%%=*}"
        mount --bind "\${cgroup#*=}" "$root/sys/fs/cgroup/\${cgroup%%=*}"
    done
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
    # kubelet's OOM watcher must open /dev/kmsg; the real one needs CAP_SYSLOG (as in kind).
    ln -s /dev/console "$root/dev/kmsg"
    mount -t tmpfs -o mode=755 run "$root/run"
    mount -t tmpfs -o mode=1777 tmp "$root/tmp"
    mkdir -p "$root/var/lib/containerd"
    mount --bind ${quote(paths.containerd)} "$root/var/lib/containerd"
    exec 3>"$dir/init.pid" </dev/null >>"$console" 2>&1
    # pivot_root, not chroot: whatever joins this mount namespace later (nsenter --mount, a CRI
    # exec) gets the namespace's root, which must be the host's and never the machine's.
    cd "$root"
    pivot_root . .
    umount -l .
    cd /
    # Mounts made in the host reach its containers; systemd skips this in a container.
    mount --make-rshared /
    echo "$machine_pid" >&3
    exec 3>&- /usr/bin/env -i container=${CONTAINER_NAME} /lib/systemd/systemd
    ;;
*)
    echo "usage: $0 outer|inner" >&2
    exit 2
    ;;
esac
`;
}
