import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { networkInterfaces, tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { requireTestbed, sshExec, startTestbed } from "../support/testbed";
import { tcpOpen } from "../support/tcp-open";

/*
 * What a kubelet, containerd and runc need of a testbed host (test-hosts-kubernetes.md), each shown
 * here without the binaries themselves: the host's own root for whatever joins its mount
 * namespace, every cgroup controller, a containerd directory that takes overlay snapshots,
 * kubelet's start-up files and settings, and a host that reaches nothing of the machine but the
 * testbed's mirror.
 */

const CONTROLLERS = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids"];
/** Every hierarchy a host sees under /sys/fs/cgroup: the v1 controllers, name=systemd and v2. */
const HIERARCHIES = [...CONTROLLERS, "systemd", "unified"];

/** kubelet's machine-wide settings (setupKernelTunables), as `sysctl -n` prints them. */
const KUBELET_SYSCTLS: Record<string, string> = {
    "vm.overcommit_memory": "1",
    "vm.panic_on_oom": "0",
    "kernel.panic": "10",
    "kernel.panic_on_oops": "1",
    "kernel.keys.root_maxkeys": "1000000",
    "kernel.keys.root_maxbytes": "25000000",
};

function machineSysctls(): string[] {
    return Object.keys(KUBELET_SYSCTLS).map((key) => readFileSync(`/proc/sys/${key.replace(/\./g, "/")}`, "utf8").trim());
}

interface Mount {
    root: string;
    mountPoint: string;
    optional: string;
    type: string;
    source: string;
}

function parseMountinfo(text: string): Mount[] {
    return text
        .trim()
        .split("\n")
        .map((line) => {
            const [before, after] = line.split(" - ");
            const fields = before.split(" ");
            const [type, source] = after.split(" ");
            return { root: fields[3], mountPoint: fields[4], optional: fields.slice(6).join(" "), type, source };
        });
}

function machineRootMount(): Mount {
    const root = parseMountinfo(readFileSync("/proc/self/mountinfo", "utf8"))
        .filter((m) => m.mountPoint === "/")
        .pop();
    assert.ok(root, "the machine has a root mount");
    return root;
}

/** This process's cgroup in a hierarchy of /sys/fs/cgroup (one controller per hierarchy, as here). */
function ownCgroupDir(hierarchy: string): string {
    const key = hierarchy === "unified" ? "" : hierarchy === "systemd" ? "name=systemd" : hierarchy;
    const line = readFileSync("/proc/self/cgroup", "utf8")
        .split("\n")
        .find((l) => l.split(":")[1] === key);
    assert.ok(line, `this process is in the ${hierarchy} hierarchy`);
    return join("/sys/fs/cgroup", hierarchy, line.split(":")[2]);
}

/** Starts a TCP listener on 0.0.0.0 in a child process; resolves with its PID and port. */
function startListener(): Promise<{ pid: number; port: number }> {
    const script = `require("net")
        .createServer((socket) => socket.on("error", () => {}).end("listener\\n"))
        .listen(0, "0.0.0.0", function () { console.log(this.address().port); });`;
    const child = spawn(process.execPath, ["-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    return new Promise((resolve, reject) => {
        child.stdout.once("data", (line: Buffer) => resolve({ pid: child.pid as number, port: Number(line.toString()) }));
        child.once("exit", (code) => reject(new Error(`listener exited with ${code}`)));
    });
}

/** The machine's IPv4 addresses outside loopback and the testbed range (its eth0's, here). */
function machineAddresses(): string[] {
    return Object.values(networkInterfaces())
        .flat()
        .filter((a) => a !== undefined && a.family === "IPv4" && !a.internal && !a.address.startsWith("10.77."))
        .map((a) => (a as { address: string }).address);
}

test("cluster ranges must lie in 10.77.224.0/19 and not overlap", { timeout: 10_000 }, async () => {
    await assert.rejects(startTestbed({ hosts: ["x"], podCidr: "10.77.5.0/24" }), /podCidr must lie in 10\.77\.224\.0\/19/);
    await assert.rejects(startTestbed({ hosts: ["x"], podCidr: "10.77.224.0/20", serviceCidr: "10.77.230.0/24" }), /overlap/);
    await assert.rejects(startTestbed({ hosts: ["x"], serviceCidr: "10.77.240.7/24" }), /not the first address/);
});

test("testbed hosts give containerd, runc and kubelet what they need", { timeout: 240_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const sysctlsBefore = machineSysctls();
    const rootBefore = machineRootMount();
    const testbed = await startTestbed({ hosts: ["k1", "k2"] });
    t.after(() => testbed.stop());
    const { instance, stateDir } = testbed;

    await t.test("whatever joins a host's mount namespace lands in the host's root (pivot_root)", async () => {
        const pid1 = testbed.pid1("k1");
        const joinMount = (command: string) => spawnSync("nsenter", [`--target=${pid1}`, "--mount", "--", "/bin/sh", "-c", command], { encoding: "utf8" });
        const hostname = joinMount("cat /etc/hostname");
        assert.equal(hostname.status, 0, hostname.stderr);
        assert.equal(hostname.stdout, "k1\n");
        // Only now that it is the host's root (else this would write onto the machine).
        assert.equal(joinMount("echo joined > /etc/testbed-setns-probe").status, 0);
        assert.equal(existsSync("/etc/testbed-setns-probe"), false, "a write through setns stays in the host");
        assert.equal((await testbed.exec("k1", "cat /etc/testbed-setns-probe")).stdout, "joined\n");
        assert.equal(readFileSync(`/proc/${pid1}/root/etc/hostname`, "utf8"), "k1\n");

        const mounts = parseMountinfo(readFileSync(`/proc/${pid1}/mountinfo`, "utf8"));
        assert.equal(mounts.find((m) => m.mountPoint === "/")?.type, "overlay");
        const machineRoot = mounts.filter((m) => m.source === rootBefore.source && m.type === rootBefore.type && m.root === "/");
        assert.deepEqual(machineRoot, [], "the machine's root file system is not mounted in the host");
    });

    await t.test("every cgroup controller is the host's own, writable, below the testbed's own cgroup", async () => {
        const listed = await testbed.exec("k1", "cat /proc/self/cgroup");
        for (const controller of CONTROLLERS) assert.match(listed.stdout, new RegExp(`^\\d+:${controller}:/$`, "m"));
        assert.match(listed.stdout, /^\d+:name=systemd:\/$/m);
        assert.match(listed.stdout, /^0::\/$/m);

        const probe = await testbed.exec(
            "k1",
            `set -e
            cd /sys/fs/cgroup
            for h in ${HIERARCHIES.join(" ")}; do mkdir $h/probe; done
            cat cpuset/cpuset.cpus > cpuset/probe/cpuset.cpus
            cat cpuset/cpuset.mems > cpuset/probe/cpuset.mems
            echo 64M > memory/probe/memory.limit_in_bytes
            cat memory/probe/memory.limit_in_bytes
            sh -c 'for h in ${HIERARCHIES.join(" ")}; do echo $$ > $h/probe/cgroup.procs; done; cat /proc/self/cgroup'
            for h in ${HIERARCHIES.join(" ")}; do rmdir $h/probe; done`,
        );
        assert.equal(probe.code, 0, probe.stderr);
        const [limit, ...cgroups] = probe.stdout.trim().split("\n");
        assert.equal(limit, String(64 * 1024 * 1024));
        assert.equal(cgroups.filter((line) => line.endsWith(":/probe")).length, HIERARCHIES.length, probe.stdout);

        // On the machine: nested below this process's own cgroups, the memory one included.
        const pid1Cgroups = readFileSync(`/proc/${testbed.pid1("k1")}/cgroup`, "utf8");
        for (const hierarchy of HIERARCHIES) {
            const hostDir = join(ownCgroupDir(hierarchy), `k8s-binary-bench-${instance}`, "k1");
            assert.ok(existsSync(join(hostDir, "cgroup.procs")), hostDir);
            const key = hierarchy === "unified" ? "" : hierarchy === "systemd" ? "name=systemd" : hierarchy;
            const path =
                pid1Cgroups
                    .split("\n")
                    .find((l) => l.split(":")[1] === key)
                    ?.split(":")[2] ?? "";
            assert.ok(join("/sys/fs/cgroup", hierarchy, path).startsWith(hostDir), `${hierarchy}: ${path}`);
        }
        for (const host of testbed.hosts) console.log(`${host.name}: ${Math.round(testbed.memoryKiB(host.name) / 1024)} MiB (PSS)`);
        const cpus = readFileSync("/sys/fs/cgroup/cpuset/cpuset.cpus", "utf8");
        assert.equal(readFileSync(join(ownCgroupDir("cpuset"), `k8s-binary-bench-${instance}`, "k1", "cpuset.cpus"), "utf8"), cpus);
    });

    await t.test("/var/lib/containerd takes overlay snapshots and survives a power cut", async () => {
        const overlay = await testbed.exec(
            "k1",
            `set -e
            findmnt -no FSTYPE /var/lib/containerd
            cd /var/lib/containerd && mkdir -p probe/lower probe/upper probe/work probe/merged
            echo lower > probe/lower/a
            mount -t overlay overlay -o lowerdir=probe/lower,upperdir=probe/upper,workdir=probe/work probe/merged
            echo upper > probe/merged/b
            cat probe/merged/a probe/upper/b
            umount probe/merged && rm -rf probe
            echo kept > /var/lib/containerd/kept`,
        );
        assert.equal(overlay.code, 0, overlay.stderr);
        const [fsType, ...rest] = overlay.stdout.trim().split("\n");
        assert.notEqual(fsType, "overlay");
        assert.deepEqual(rest, ["lower", "upper"]);
        assert.equal(readFileSync(join(stateDir, "k1", "containerd", "kept"), "utf8"), "kept\n", "on the machine's disk");

        await testbed.killHost("k1");
        await testbed.bootHost("k1");
        assert.equal((await testbed.exec("k1", "cat /var/lib/containerd/kept")).stdout, "kept\n");
    });

    await t.test("kubelet's start-up needs: /dev/kmsg, its sysctls for the host only, shared /, the service route", async () => {
        const keys = Object.keys(KUBELET_SYSCTLS);
        const inside = await testbed.exec(
            "k1",
            `readlink /dev/kmsg; head -c 0 /dev/kmsg && echo kmsg-opens
            sysctl -n ${keys.join(" ")}
            sysctl -qw kernel.panic=10 vm.overcommit_memory=1 && echo written
            findmnt -no PROPAGATION /
            ip route get ${testbed.serviceCidr.replace(/\.0\/\d+$/, ".10")}`,
        );
        assert.equal(inside.code, 0, inside.stderr);
        const lines = inside.stdout.trim().split("\n");
        assert.deepEqual(lines.slice(0, 2), ["/dev/console", "kmsg-opens"]);
        assert.deepEqual(lines.slice(2, 2 + keys.length), Object.values(KUBELET_SYSCTLS));
        assert.equal(lines[2 + keys.length], "written");
        assert.equal(lines[3 + keys.length], "shared");
        const route = lines[4 + keys.length];
        assert.match(route, / dev eth0 /);
        assert.doesNotMatch(route, / via /);
        assert.deepEqual(machineSysctls(), sysctlsBefore, "the machine's own values are untouched");
        assert.equal(machineRootMount().optional, rootBefore.optional, "the machine's / keeps its propagation");
        assert.equal(testbed.podCidr, "10.77.224.0/20");
        assert.equal(testbed.serviceCidr, "10.77.240.0/24");
        // Other machine-wide settings stay read-only.
        assert.notEqual((await testbed.exec("k1", "sysctl -qw vm.swappiness=1")).code, 0);
    });

    await t.test("hosts reach each other and the testbed's mirror, nothing else of the machine", async (t) => {
        const listener = await startListener();
        t.after(() => process.kill(listener.pid, "SIGKILL"));
        assert.equal(await tcpOpen("127.0.0.1", listener.port, 5000), true, "the listener answers on the machine");

        const dir = mkdtempSync(join(tmpdir(), "testbed-mirror-"));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        writeFileSync(join(dir, "ok.txt"), "mirror\n");
        const mirror = await testbed.serveDirectory(dir);

        const targets = [testbed.gateway, ...machineAddresses()];
        const result = await testbed.exec(
            "k1",
            `curl -fsS ${mirror}/ok.txt
            echo > /dev/tcp/k2/22 && echo k2-reached
            for address in ${targets.join(" ")}; do
                ip route replace $address/32 via ${testbed.gateway}
                timeout 10 bash -c "echo > /dev/tcp/$address/${listener.port}" 2>/dev/null && echo "$address reached" || echo "$address blocked"
            done`,
        );
        assert.equal(result.stdout, ["mirror", "k2-reached", ...targets.map((address) => `${address} blocked`)].join("\n") + "\n", result.stderr);
        assert.equal(await tcpOpen("127.0.0.1", listener.port, 5000), true, "the listener still answers: the firewall blocked the hosts");
        // Replies to what the machine opens still come back.
        assert.equal((await sshExec(testbed.host("k2"), "hostname")).stdout, "k2\n");
        console.log(`blocked from the hosts: ${targets.join(", ")} port ${listener.port}`);
    });

    await t.test("stop() removes the cgroups and firewall and leaves the machine's settings as they were", async () => {
        await testbed.stop();
        for (const hierarchy of HIERARCHIES) {
            assert.equal(existsSync(join(ownCgroupDir(hierarchy), `k8s-binary-bench-${instance}`)), false, hierarchy);
        }
        assert.notEqual(spawnSync("nft", ["list", "table", "inet", `k8s-binary-bench-${instance}`]).status, 0);
        assert.deepEqual(machineSysctls(), sysctlsBefore);
    });
});
