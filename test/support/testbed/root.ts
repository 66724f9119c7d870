import { randomBytes } from "node:crypto";
import {
    chmodSync,
    chownSync,
    existsSync,
    linkSync,
    lstatSync,
    mkdirSync,
    readdirSync,
    readlinkSync,
    realpathSync,
    rmSync,
    statSync,
    writeFileSync,
} from "node:fs";
import { basename, dirname, join, relative } from "node:path";
import { runOk } from "./proc";

/*
 * A host's root is an overlay with the machine's "/" as its only lower layer and a per-host upper
 * directory: binaries are shared, every write stays with the host and survives its reboots. The
 * host's personality is written straight into the upper directory before its first boot; what
 * the host must not inherit from the machine is hidden with overlay whiteouts (character devices
 * 0/0, here hard links to one), which "removes" a file for the host only. Units are disabled that
 * way rather than masked, so the project can still install its own etcd.service, nginx.service,
 * ... and enable them.
 */

/** Enabled in the image's /etc/systemd/system/*.wants and kept: the host's sshd. */
const KEEP_ENABLED = new Set(["ssh.service", "sshd.service", "remote-fs.target"]);

/** SysV services whose rc links stay (they have native units; everything else would be generated and started). */
const KEEP_SYSV = new Set(["ssh", "dbus"]);

/**
 * Statically enabled units of the distribution that a host must not start: they change
 * machine-global kernel state (sysctl, modules, binfmt, device nodes, udev) or cost boot time for
 * nothing (a console getty on the shared console log; logind and dbus, which start on demand
 * through dbus.socket).
 */
const DISABLED_STATIC_WANTS = [
    "/lib/systemd/system/sysinit.target.wants/systemd-sysctl.service",
    "/lib/systemd/system/sysinit.target.wants/systemd-modules-load.service",
    "/lib/systemd/system/sysinit.target.wants/systemd-binfmt.service",
    "/lib/systemd/system/sysinit.target.wants/proc-sys-fs-binfmt_misc.automount",
    "/lib/systemd/system/sysinit.target.wants/kmod-static-nodes.service",
    "/lib/systemd/system/sysinit.target.wants/systemd-udevd.service",
    "/lib/systemd/system/sysinit.target.wants/systemd-udev-trigger.service",
    "/lib/systemd/system/sockets.target.wants/systemd-udevd-control.socket",
    "/lib/systemd/system/sockets.target.wants/systemd-udevd-kernel.socket",
    "/lib/systemd/system/multi-user.target.wants/getty.target",
    "/lib/systemd/system/multi-user.target.wants/systemd-logind.service",
    "/lib/systemd/system/multi-user.target.wants/dbus.service",
];

/**
 * Services whose Debian packages the machine has only for the tests' sake (testbed-prereqs.sh): a
 * host would otherwise inherit their units, SysV scripts and defaults, which a fresh host of the
 * project does not have (with etcd's SysV script present, `systemctl enable etcd.service` fails
 * in update-rc.d). The binaries stay visible: the tests pack or use them.
 */
const TEST_PACKAGE_SERVICES = ["etcd", "nginx", "keepalived"];

/** What makes one host itself. */
export interface HostRootSpec {
    /** The host's overlay upper directory (empty before the first boot). */
    upper: string;
    /** Hostname, written to /etc/hostname (systemd sets it at boot). */
    hostname: string;
    /** Content of /etc/hosts. */
    hostsFile: string;
    /** Content of /etc/ssh/sshd_config. */
    sshdConfig: string;
    /** The host's ed25519 host key pair (kept across reboots, so known_hosts stays valid). */
    hostKey: { privateKey: string; publicKey: string };
    /** The public key allowed to log in as root. */
    authorizedKey: string;
    /** The testbed's whiteout device (`createWhiteoutDevice`), on the same file system as `upper`. */
    whiteoutDevice: string;
}

function entries(dir: string): string[] {
    try {
        return readdirSync(dir).map((name) => join(dir, name));
    } catch {
        return [];
    }
}

function isSymlink(path: string): boolean {
    try {
        return lstatSync(path).isSymbolicLink();
    } catch {
        return false;
    }
}

/**
 * Where a host path lives in the lower layer, its directories' symlinks resolved: the image's /lib
 * is a symlink to usr/lib, and an upper /lib directory would hide that symlink (and the dynamic
 * loader with it). The last component is kept as is: it is the entry to replace or hide.
 */
function lowerPath(path: string): string {
    let existing = dirname(path);
    while (!existsSync(existing)) existing = dirname(existing);
    return join(realpathSync(existing), relative(existing, dirname(path)), basename(path));
}

/** Creates a directory chain in the upper layer with the lower layer's modes and owners. */
function ensureUpperDir(upper: string, dir: string, whiteoutDevice: string): void {
    let current = "/";
    for (const part of dir.split("/").filter(Boolean)) {
        current = join(current, part);
        const target = join(upper, current);
        if (existsSync(target) && statSync(target).isDirectory()) continue;
        // A directory hidden earlier comes back empty: its lower entries stay hidden one by one.
        const hiddenBefore = existsSync(target);
        rmSync(target, { force: true });
        mkdirSync(target);
        if (existsSync(current)) {
            const stat = statSync(current);
            chmodSync(target, stat.mode & 0o7777);
            chownSync(target, stat.uid, stat.gid);
            if (hiddenBefore) whiteout(upper, entries(current), whiteoutDevice);
        }
    }
}

/** Hides host paths: each becomes a hard link to the testbed's one whiteout device (as overlayfs itself shares them). */
function whiteout(upper: string, paths: string[], whiteoutDevice: string): void {
    for (const target of paths.map(lowerPath)) {
        ensureUpperDir(upper, dirname(target), whiteoutDevice);
        linkSync(whiteoutDevice, join(upper, target));
    }
}

/** Makes the overlay whiteout (a 0/0 character device) every hidden path of a testbed links to. */
export async function createWhiteoutDevice(path: string): Promise<void> {
    await runOk("mknod", ["-m", "000", path, "c", "0", "0"]);
}

function writeUpperFile(upper: string, path: string, content: string, mode: number, whiteoutDevice: string): void {
    const target = lowerPath(path);
    ensureUpperDir(upper, dirname(target), whiteoutDevice);
    const file = join(upper, target);
    rmSync(file, { force: true });
    writeFileSync(file, content, { mode });
    chmodSync(file, mode);
}

/** Everything of the image a host must not see or start, as host paths to hide. */
function pathsToHide(): string[] {
    const hidden: string[] = [];
    const unitDir = "/etc/systemd/system";
    for (const dir of entries(unitDir)) {
        if (/\.(wants|requires)$/.test(dir)) {
            hidden.push(...entries(dir).filter((unit) => !KEEP_ENABLED.has(basename(unit))));
        } else if (isSymlink(dir)) {
            // Aliases the packages' "enable" created (etcd2.service, dbus-org.freedesktop.timesync1.service).
            const target = readlinkSync(dir);
            if (target !== "/dev/null" && !KEEP_ENABLED.has(basename(target))) hidden.push(dir);
        }
    }
    hidden.push(...DISABLED_STATIC_WANTS.filter(existsSync));
    for (const service of TEST_PACKAGE_SERVICES) {
        hidden.push(...[`/etc/init.d/${service}`, `/etc/default/${service}`, `/lib/systemd/system/${service}.service`].filter(existsSync));
    }
    for (const rc of entries("/etc").filter((dir) => /^\/etc\/rc[0-6S]\.d$/.test(dir))) {
        hidden.push(
            ...entries(rc).filter((link) => {
                const match = /^S\d\d(.+)$/.exec(basename(link));
                return match !== null && !KEEP_SYSV.has(match[1]);
            }),
        );
    }
    // The machine's own host keys and root's home (tool caches, credentials, a slow .bashrc).
    hidden.push(...entries("/etc/ssh").filter((key) => basename(key).startsWith("ssh_host_")));
    hidden.push(...entries("/root"));
    return hidden;
}

const BASHRC = `# Plain on purpose: nothing here may slow down a command run over SSH.
[ -z "$PS1" ] && return
PS1='\\u@\\h:\\w\\$ '
`;

const PROFILE = `if [ -n "$BASH" ] && [ -f ~/.bashrc ]; then . ~/.bashrc; fi
`;

/** Writes a host's personality into its upper layer; run once, before the host's first boot. */
export function prepareHostRoot(spec: HostRootSpec): void {
    const { upper, whiteoutDevice } = spec;
    const write = (path: string, content: string, mode: number): void => writeUpperFile(upper, path, content, mode, whiteoutDevice);
    whiteout(upper, pathsToHide(), whiteoutDevice);
    write("/etc/hostname", `${spec.hostname}\n`, 0o644);
    write("/etc/hosts", spec.hostsFile, 0o644);
    write("/etc/machine-id", `${randomBytes(16).toString("hex")}\n`, 0o444);
    write("/etc/ssh/sshd_config", spec.sshdConfig, 0o644);
    write("/etc/ssh/ssh_host_ed25519_key", spec.hostKey.privateKey, 0o600);
    write("/etc/ssh/ssh_host_ed25519_key.pub", `${spec.hostKey.publicKey}\n`, 0o644);
    write("/root/.bashrc", BASHRC, 0o644);
    write("/root/.profile", PROFILE, 0o644);
    write("/root/.ssh/authorized_keys", `${spec.authorizedKey}\n`, 0o600);
    chmodSync(join(upper, "root/.ssh"), 0o700);
}

/** /etc/hosts of every host: every testbed host by name. */
export function renderHostsFile(hosts: ReadonlyArray<{ name: string; address: string }>): string {
    return ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", ...hosts.map((host) => `${host.address}\t${host.name}`), ""].join("\n");
}
