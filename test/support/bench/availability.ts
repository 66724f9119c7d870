import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CGROUP_HIERARCHIES } from "./layout";

/** Commands the bench runs on the machine (Debian packages: iproute2, util-linux, nftables, openssh-*). */
const REQUIRED_COMMANDS = ["ip", "nsenter", "unshare", "setpriv", "flock", "mount", "pivot_root", "nft", "ssh-keygen", "sshd"];

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

/** The variable that skips the bench tests on a machine without a bench; the test runner's summary names it. */
export const SKIP_BENCH_VARIABLE = "K8S_BINARY_SKIP_BENCH";

/**
 * For a test's or suite's `skip` option, `test(name, { skip: benchSkip() }, ...)`: false when the
 * bench can run. When it cannot, the test fails with the reason and how to run it as root,
 * unless K8S_BINARY_SKIP_BENCH=1 asks for the skip explicitly: tests never vanish silently.
 */
export function benchSkip(): string | false {
    const availability = benchAvailable();
    if (availability.ok) return false;
    if (process.env[SKIP_BENCH_VARIABLE] === "1") return `${availability.reason}; skipped because ${SKIP_BENCH_VARIABLE}=1`;
    throw new Error(
        `test bench unavailable: ${availability.reason}. Run the tests as root on Linux (sudo -E npm test, or sudo -E npm run test:integration), ` +
            `or set ${SKIP_BENCH_VARIABLE}=1 to skip the bench tests explicitly.`,
    );
}

/** Gate inside a test: true when the bench can run; skips the test only under K8S_BINARY_SKIP_BENCH=1, else fails (see `benchSkip`). */
export function requireBench(t: { skip(message?: string): void }): boolean {
    const reason = benchSkip();
    if (reason === false) return true;
    t.skip(reason);
    return false;
}
