// Ending the Pulumi CLI the way a crash or a power cut does: SIGKILL to the CLI and everything it
// started (its plugins and their commands), by PID, found through /proc from the engine child.
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

/** SIGKILLs every process this one started (the CLI and all below it), collected before the first dies, so none is orphaned first. */
export function killEverythingStarted(): number {
    const pids = descendants(process.pid);
    for (const pid of pids) {
        try {
            process.kill(pid, "SIGKILL");
        } catch {
            // Already gone.
        }
    }
    return pids.length;
}
