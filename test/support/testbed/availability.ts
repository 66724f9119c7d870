import { accessSync, constants, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { CGROUP_HIERARCHIES } from "./layout";

/** Commands the testbed runs on the machine (Debian packages: iproute2, util-linux, nftables, openssh-*). */
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

/** Whether this machine can run the testbed, and if not, why (a sentence naming what is missing). */
export function testbedAvailable(): { ok: true } | { ok: false; reason: string } {
    if (process.platform !== "linux") return { ok: false, reason: "the testbed needs Linux" };
    if (process.getuid?.() !== 0) return { ok: false, reason: "the testbed needs root (namespaces, mounts, cgroups)" };
    const missing = [...REQUIRED_COMMANDS.filter((name) => !hasCommand(name)), ...REQUIRED_FILES.filter((file) => !existsSync(file))];
    if (missing.length > 0) {
        return { ok: false, reason: `the testbed needs ${missing.join(", ")} (run scripts/testbed-prereqs.sh)` };
    }
    if (!/\toverlay$/m.test(readFileSync("/proc/filesystems", "utf8"))) {
        return { ok: false, reason: "the testbed needs overlayfs in the kernel" };
    }
    if (!CGROUP_HIERARCHIES.every((hierarchy) => existsSync(join(hierarchy, "cgroup.procs")))) {
        return {
            ok: false,
            reason: `the testbed needs the hybrid cgroup layout (${CGROUP_HIERARCHIES.join(" and ")})`,
        };
    }
    if (!existsSync("/proc/self/ns/cgroup")) {
        return { ok: false, reason: "the testbed needs cgroup namespaces" };
    }
    return { ok: true };
}

/** The variable that skips the testbed tests on a machine without a testbed; the test runner's summary names it. */
export const SKIP_TESTBED_VARIABLE = "K8S_BINARY_SKIP_TESTBED";

/**
 * For a test's or suite's `skip` option, `test(name, { skip: testbedSkip() }, ...)`: false when the
 * testbed can run. When it cannot, the test fails with the reason and how to run it as root,
 * unless K8S_BINARY_SKIP_TESTBED=1 asks for the skip explicitly: tests never vanish silently.
 */
export function testbedSkip(): string | false {
    const availability = testbedAvailable();
    if (availability.ok) return false;
    if (process.env[SKIP_TESTBED_VARIABLE] === "1") return `${availability.reason}; skipped because ${SKIP_TESTBED_VARIABLE}=1`;
    throw new Error(
        `testbed unavailable: ${availability.reason}. Run the tests as root on Linux (sudo -E npm test, or sudo -E npm run test:integration), ` +
            `or set ${SKIP_TESTBED_VARIABLE}=1 to skip the testbed tests explicitly.`,
    );
}

/** Gate inside a test: true when the testbed can run; skips the test only under K8S_BINARY_SKIP_TESTBED=1, else fails (see `testbedSkip`). */
export function requireTestbed(t: { skip(message?: string): void }): boolean {
    const reason = testbedSkip();
    if (reason === false) return true;
    t.skip(reason);
    return false;
}
