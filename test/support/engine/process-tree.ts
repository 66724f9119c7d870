// Ending a process and everything it started, by PID, found through /proc: the engine's children
// (the Pulumi CLI, its plugins and their commands) must not outlive a run that is cut short.
import * as fs from "node:fs";

/** PID → parent PID of every process visible in /proc. */
function parents(): Map<number, number> {
    const out = new Map<number, number>();
    for (const entry of fs.readdirSync("/proc")) {
        if (!/^\d+$/.test(entry)) continue;
        try {
            // The command name is in parentheses and may hold spaces: the fields after its last ")" are fixed.
            const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
            const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
            out.set(Number(entry), ppid);
        } catch {
            // The process ended while being read.
        }
    }
    return out;
}

/** Every descendant of `root`, children before theirs. */
export function descendants(root: number): number[] {
    const tree = parents();
    const found: number[] = [];
    const queue = [root];
    while (queue.length > 0) {
        const pid = queue.shift()!;
        for (const [child, parent] of tree) {
            if (parent !== pid) continue;
            found.push(child);
            queue.push(child);
        }
    }
    return found;
}

/**
 * SIGKILLs `root` (unless it is this process) and every process below it. Each is stopped first
 * and the tree read again until no new one shows up, so none can start another or be orphaned
 * out of reach before the kill. Returns how many were killed.
 */
export function killTree(root: number): number {
    const stopped = new Set<number>();
    const signal = (pid: number, sig: NodeJS.Signals) => {
        try {
            process.kill(pid, sig);
        } catch {
            // Already gone.
        }
    };
    for (;;) {
        const fresh = [...(root === process.pid ? [] : [root]), ...descendants(root)].filter((p) => !stopped.has(p));
        if (fresh.length === 0) break;
        for (const pid of fresh) {
            signal(pid, "SIGSTOP");
            stopped.add(pid);
        }
    }
    for (const pid of stopped) signal(pid, "SIGKILL");
    return stopped.size;
}
