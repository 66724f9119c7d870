// inotify instances: every host of the testbed shares the machine's per-user limit
// (fs.inotify.max_user_instances, 128 by default), and systemd, the kubelet, kube-proxy and the
// control plane each hold several. A cluster past it fails oddly (kube-proxy never serves
// /livez), so the benchmark measures what a host takes and refuses a size that will not fit.
import { readdirSync, readFileSync, readlinkSync } from "node:fs";

/** inotify instances open on the machine now (all root's: the hosts share the user). */
export function inotifyInstances(): number {
    let count = 0;
    for (const pid of readdirSync("/proc").filter((p) => /^\d+$/.test(p))) {
        let fds: string[];
        try {
            fds = readdirSync(`/proc/${pid}/fd`);
        } catch {
            continue;
        }
        for (const fd of fds) {
            try {
                if (readlinkSync(`/proc/${pid}/fd/${fd}`) === "anon_inode:inotify") count++;
            } catch {
                // Closed meanwhile.
            }
        }
    }
    return count;
}

export function inotifyLimit(): number {
    return Number(readFileSync("/proc/sys/fs/inotify/max_user_instances", "utf8"));
}

/** Throws, saying what to raise, when `hosts` more hosts at `perHost` instances each would pass the limit. */
export function checkInotifyRoom(what: string, hosts: number, perHost: number): void {
    const needed = inotifyInstances() + Math.ceil(hosts * perHost);
    const limit = inotifyLimit();
    if (needed > limit)
        throw new Error(
            `${what} needs about ${needed} inotify instances (${perHost.toFixed(1)} per host measured), over the machine's limit of ${limit}, which every test host shares: ` +
                `raise it for the run, as kind documents for its node containers: sysctl -w fs.inotify.max_user_instances=512 (and set it back after)`,
        );
}
