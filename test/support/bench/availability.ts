import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CGROUP_HIERARCHIES } from "./layout";

/** Commands the bench runs on the machine (Debian packages: iproute2, util-linux, coreutils, openssh-*). */
const REQUIRED_COMMANDS = ["ip", "nsenter", "unshare", "setpriv", "flock", "mount", "chroot", "mknod", "ssh-keygen", "sshd"];

/** Files the hosts boot from. */
const REQUIRED_FILES = ["/lib/systemd/system/ssh.service", "/lib/systemd/systemd"];

const SEARCH_PATH = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

function hasCommand(name: string): boolean {
    const dirs = [...(process.env.PATH ?? "").split(":").filter(Boolean), ...SEARCH_PATH];
    return dirs.some((dir) => {
        try {
            accessSync(join(dir, name), constants.X_OK);
            return true;
        } catch {
            return false;
        }
    });
}

/** Whether this machine can run the bench, and if not, why (a sentence naming what is missing). */
export function benchAvailable(): { ok: true } | { ok: false; reason: string } {
    if (process.platform !== "linux") return { ok: false, reason: "the test bench needs Linux" };
    if (process.getuid?.() !== 0) return { ok: false, reason: "the test bench needs root (namespaces, mounts, cgroups)" };
    const missing = [
        ...REQUIRED_COMMANDS.filter((name) => !hasCommand(name)),
        ...REQUIRED_FILES.filter((file) => !existsSync(file)),
    ];
    if (missing.length > 0) {
        return { ok: false, reason: `the test bench needs ${missing.join(", ")} (run scripts/bench-prereqs.sh)` };
    }
    if (!/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) {
        return { ok: false, reason: "the test bench needs overlayfs in the kernel" };
    }
    if (!CGROUP_HIERARCHIES.every((hierarchy) => existsSync(join(hierarchy, "cgroup.procs")))) {
        return {
            ok: false,
            reason: `the test bench needs the hybrid cgroup layout (${CGROUP_HIERARCHIES.join(" and ")})`,
        };
    }
    if (!existsSync("/proc/self/ns/cgroup")) {
        return { ok: false, reason: "the test bench needs cgroup namespaces" };
    }
    return { ok: true };
}

/**
 * For a test's or suite's `skip` option, `test(name, { skip: benchSkip() }, ...)`: false when the
 * bench can run, else the reason. Under CI=true a missing bench throws instead: a failure, not a
 * silent skip.
 */
export function benchSkip(): string | false {
    const availability = benchAvailable();
    if (availability.ok) return false;
    if (process.env.CI === "true") throw new Error(`test bench unavailable under CI: ${availability.reason}`);
    return availability.reason;
}

/** Gate inside a test: true when the bench can run, else skips the test with the reason (throws under CI=true, see `benchSkip`). */
export function requireBench(t: { skip(message?: string): void }): boolean {
    const reason = benchSkip();
    if (reason === false) return true;
    t.skip(reason);
    return false;
}
