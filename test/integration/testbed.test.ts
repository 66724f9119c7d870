import assert from "node:assert/strict";
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { requireTestbed, sshExec, startTestbed } from "../support/testbed";
import { registeredInstances, withRegistryLock } from "../support/testbed/registry";
import { tcpOpen } from "../support/tcp-open";

/** Every hierarchy a host has a cgroup in (this machine: one controller per v1 hierarchy). */
const HIERARCHIES = ["cpu", "cpuacct", "cpuset", "memory", "devices", "freezer", "blkio", "pids", "systemd", "unified"];

/** An instance's cgroup in a hierarchy: below this process's own cgroup there (as the testbed's child processes stand). */
function instanceCgroupDir(hierarchy: string, instance: number): string {
    const key = hierarchy === "unified" ? "" : hierarchy === "systemd" ? "name=systemd" : hierarchy;
    const line = readFileSync("/proc/self/cgroup", "utf8")
        .split("\n")
        .find((l) => l.split(":")[1] === key);
    assert.ok(line, `this process is in the ${hierarchy} hierarchy`);
    return join("/sys/fs/cgroup", hierarchy, line.split(":")[2], `k8s-binary-bench-${instance}`);
}

/** The nft table's handle: a table deleted and made again under the same name gets a new one. */
function firewallHandle(instance: number): string | undefined {
    const listed = spawnSync("nft", ["-a", "list", "table", "inet", `k8s-binary-bench-${instance}`], { encoding: "utf8" });
    return listed.status === 0 ? /# handle (\d+)/.exec(listed.stdout)?.[1] : undefined;
}

const FLAKY_UNIT = `[Unit]
Description=Fails on its first start only

[Service]
ExecStart=/bin/sh -c 'if [ -e /run/testbed-flaky.once ]; then exec sleep infinity; fi; touch /run/testbed-flaky.once; exit 3'
Restart=on-failure
RestartSec=100ms

[Install]
WantedBy=multi-user.target
`;

test("testbed: hosts with systemd and sshd on a private bridge", { timeout: 180_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const testbed = await startTestbed({ hosts: ["h1", "h2"] });
    t.after(() => testbed.stop());
    const [h1, h2] = testbed.hosts;
    console.log(`testbed ${testbed.instance}: timings ${JSON.stringify(testbed.timings)}`);

    await t.test("each host booted with systemd as PID 1, on its own address and hostname", async () => {
        assert.equal(testbed.subnet, `10.77.${testbed.instance}.0/24`);
        assert.deepEqual(
            testbed.hosts.map((host) => host.address),
            [`10.77.${testbed.instance}.11`, `10.77.${testbed.instance}.12`],
        );
        for (const host of testbed.hosts) {
            const pid1 = await testbed.exec(host.name, "cat /proc/1/comm; hostname; systemctl is-system-running");
            assert.equal(pid1.code, 0, pid1.stderr);
            const [comm, hostname, state] = pid1.stdout.trim().split("\n");
            assert.equal(comm, "systemd");
            assert.equal(hostname, host.name);
            assert.match(state, /^(running|degraded)$/);
            console.log(`${host.name}: ${state}, ${Math.round(testbed.memoryKiB(host.name) / 1024)} MiB (PSS of all its processes)`);
        }
    });

    await t.test("the test machine's etcd, nginx and keepalived services are not the hosts'; timesyncd stays off", async () => {
        const files = "/etc/init.d/etcd /etc/default/etcd /lib/systemd/system/etcd.service /lib/systemd/system/nginx.service /etc/init.d/keepalived";
        const result = await testbed.exec(
            "h1",
            `for f in ${files}; do test -e $f && echo "$f present"; done; systemctl is-enabled systemd-timesyncd; command -v etcd`,
        );
        assert.equal(result.stdout, "disabled\n/usr/bin/etcd\n", "service files hidden, binaries kept");
    });

    await t.test("hosts reach each other by name, nothing beyond the bridge; network settings stay theirs", async () => {
        const machineForwarding = readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8");
        const result = await testbed.exec(
            "h1",
            "echo > /dev/tcp/h2/22 && echo reached; ip route show default | wc -l; sysctl -qw net.ipv4.ip_forward=1 && cat /proc/sys/net/ipv4/ip_forward",
        );
        assert.equal(result.stdout, "reached\n0\n1\n", result.stderr);
        assert.equal(readFileSync("/proc/sys/net/ipv4/ip_forward", "utf8"), machineForwarding);
        const global = await testbed.exec("h1", "sysctl -qw kernel.pid_max=100000");
        assert.notEqual(global.code, 0);
    });

    await t.test("SSH with the generated key reaches each host, which presents its own host key", async () => {
        assert.notEqual(h1.hostKey, h2.hostKey);
        for (const host of testbed.hosts) {
            const start = Date.now();
            const result = await sshExec(host, "hostname; id -u; cat");
            assert.equal(result.code, 0, result.stderr);
            assert.equal(result.stdout, `${host.name}\n0\n`);
            console.log(`ssh ${host.name}: ${Date.now() - start} ms for connect + one command`);
        }
        const piped = await sshExec(h1, "cat", { input: "from stdin\n" });
        assert.equal(piped.stdout, "from stdin\n");
        await assert.rejects(sshExec({ ...h1, hostKey: h2.hostKey }, "true"), /verification failed/i);
        const cli = spawnSync(
            "ssh",
            [
                "-F",
                "/dev/null",
                "-i",
                testbed.privateKeyPath,
                "-o",
                `UserKnownHostsFile=${testbed.knownHostsPath}`,
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                `root@${h2.address}`,
                "hostname",
            ],
            { encoding: "utf8" },
        );
        assert.equal(cli.stdout, "h2\n", cli.stderr);
    });

    await t.test("a file written in one host is seen neither in the other nor on the machine", async () => {
        const marker = `/etc/testbed-marker-${testbed.instance}`;
        const written = await sshExec(h1, `echo h1 > ${marker} && cat ${marker}`);
        assert.equal(written.stdout, "h1\n");
        assert.equal((await testbed.exec("h2", `test -e ${marker}`)).code, 1);
        assert.equal(existsSync(marker), false);
    });

    await t.test("systemd runs transient units and enables written ones, restarting on failure", async () => {
        const transient = await testbed.exec("h2", "systemd-run --quiet --wait --unit=testbed-transient /bin/true");
        assert.equal(transient.code, 0, transient.stderr);
        const failing = await testbed.exec("h2", "systemd-run --quiet --wait --unit=testbed-failing /bin/false");
        assert.notEqual(failing.code, 0);

        const enabled = await testbed.exec("h1", "cat > /etc/systemd/system/testbed-flaky.service && systemctl enable --now testbed-flaky", {
            input: FLAKY_UNIT,
        });
        assert.equal(enabled.code, 0, enabled.stderr);
        let state = "";
        for (let attempt = 0; attempt < 100 && !state.startsWith("active"); attempt++) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            state = (await testbed.exec("h1", "systemctl is-active testbed-flaky; systemctl show -P NRestarts testbed-flaky")).stdout;
        }
        assert.equal(state, "active\n1\n");
        assert.equal((await testbed.exec("h1", "systemctl is-enabled testbed-flaky")).stdout, "enabled\n");
        assert.equal((await testbed.exec("h2", "systemctl is-enabled testbed-flaky")).code, 1);
    });

    await t.test("hosts download from the testbed's HTTP server on the gateway", async () => {
        const dir = mkdtempSync(join(tmpdir(), "testbed-http-"));
        t.after(() => rmSync(dir, { recursive: true, force: true }));
        writeFileSync(join(dir, "release.txt"), "release 1.2.3\n");
        const baseUrl = await testbed.serveDirectory(dir);
        assert.match(baseUrl, new RegExp(`^http://${testbed.gateway.replace(/\./g, "\\.")}:\\d+$`));
        const fetched = await testbed.exec("h2", `curl -fsS ${baseUrl}/release.txt`);
        assert.equal(fetched.code, 0, fetched.stderr);
        assert.equal(fetched.stdout, "release 1.2.3\n");
        const outside = await testbed.exec("h2", `curl -s -o /dev/null -w '%{http_code}' --path-as-is ${baseUrl}/../etc/passwd`);
        assert.equal(outside.stdout, "404");
    });

    await t.test("a killed host boots again with its disk and its SSH host key", async () => {
        await testbed.exec("h1", "echo kept > /var/lib/testbed-kept");
        const killStart = Date.now();
        await testbed.killHost("h1");
        console.log(`killHost h1: ${Date.now() - killStart} ms`);
        assert.equal(await tcpOpen(h1.address, 22, 1000), false);
        await assert.rejects(testbed.exec("h1", "true"), /not running/);
        assert.equal((await sshExec(h2, "hostname")).stdout, "h2\n");

        const bootMs = await testbed.bootHost("h1");
        console.log(`bootHost h1: ${bootMs} ms`);
        // The flaky unit fails on its first start after every boot (/run is new) and is restarted
        // 100 ms later: wait for that restart rather than race it.
        const after = await sshExec(
            h1,
            "hostname; cat /var/lib/testbed-kept; for i in $(seq 50); do systemctl is-active --quiet testbed-flaky && break; sleep 0.1; done; systemctl is-active testbed-flaky",
        );
        assert.equal(after.code, 0, after.stderr);
        assert.equal(after.stdout, "h1\nkept\nactive\n");
    });

    await t.test("stop() leaves nothing of the instance on the machine", async () => {
        const { instance, stateDir } = testbed;
        const stopStart = Date.now();
        await testbed.stop();
        console.log(`stop: ${Date.now() - stopStart} ms`);
        const netns = existsSync("/run/netns") ? readdirSync("/run/netns") : [];
        assert.deepEqual(
            netns.filter((name) => name.startsWith(`kb${instance}-`)),
            [],
        );
        const links = readdirSync("/sys/class/net");
        assert.deepEqual(
            links.filter((name) => name === `kbbr${instance}` || name.startsWith(`kbv${instance}-`)),
            [],
        );
        assert.equal(existsSync(stateDir), false);
        assert.equal(readFileSync("/proc/self/mountinfo", "utf8").includes(stateDir), false);
        for (const hierarchy of HIERARCHIES) assert.equal(existsSync(instanceCgroupDir(hierarchy, instance)), false, hierarchy);
        assert.equal(firewallHandle(instance), undefined, "nft table removed");
        assert.equal(existsSync(`/run/k8s-binary-bench/${instance}.json`), false);
        // The blackhole route for 10.77.0.0/16 lives exactly as long as any testbed is registered
        // (other test files may run testbeds now): read both under the registry's lock.
        withRegistryLock(() => {
            const others = registeredInstances();
            const route = spawnSync("ip", ["route", "show", "type", "blackhole", "10.77.0.0/16"], { encoding: "utf8" }).stdout;
            if (others.length === 0) {
                assert.equal(route, "", "the last testbed removed the blackhole route");
            } else {
                assert.match(route, /10\.77\.0\.0\/16/, `testbeds ${others.join(", ")} still run: the route stays`);
                console.log(`blackhole route kept for testbeds ${others.join(", ")}`);
            }
        });
    });
});

/** Starts a one-host testbed in a child process that keeps it until killed; resolves with what it reports. */
function startTestbedInChild(): Promise<{ child: ChildProcess; instance: number; stateDir: string }> {
    const script = `require(${JSON.stringify(join(__dirname, "../support/testbed"))})
        .startTestbed({ hosts: ["victim"] })
        .then((testbed) => { console.log(JSON.stringify({ instance: testbed.instance, stateDir: testbed.stateDir })); setInterval(() => {}, 60000); })
        .catch((error) => { console.error(error); process.exit(1); });`;
    const child = spawn(process.execPath, ["--import", "tsx", "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    return new Promise((resolve, reject) => {
        child.stdout.once("data", (line: Buffer) => resolve({ child, ...JSON.parse(line.toString()) }));
        child.once("exit", (code) => reject(new Error(`testbed child exited with ${code}`)));
    });
}

test("testbed: a SIGKILLed run's hosts die with it and the next start reclaims the rest", { timeout: 120_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const { child, instance, stateDir } = await startTestbedInChild();
    const childPid = child.pid as number;
    const hostCgroup = join(instanceCgroupDir("unified", instance), "victim");
    const deadTable = firewallHandle(instance);
    assert.ok(deadTable, "the dead run's nft table exists");
    assert.match(readFileSync(join(hostCgroup, "cgroup.events"), "utf8"), /^populated 1$/m);
    child.kill("SIGKILL");
    await new Promise((resolve) => child.once("exit", resolve));

    // The parent-death signal takes the host down at once, before any cleanup ran.
    const deadline = Date.now() + 5000;
    while (/^populated 1$/m.test(readFileSync(join(hostCgroup, "cgroup.events"), "utf8"))) {
        assert.ok(Date.now() < deadline, "the dead run's host is still alive");
        await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(existsSync(stateDir), true, "nothing cleaned up yet");

    const next = await startTestbed({ hosts: ["survivor"] });
    t.after(() => next.stop());
    // This start, or a concurrent one, reclaimed the dead instance: its state, cgroups and nft
    // table are gone (the number may be taken again, with a new table), and its number is free
    // or owned by a live process.
    assert.equal(existsSync(stateDir), false);
    for (const hierarchy of HIERARCHIES) assert.equal(existsSync(join(instanceCgroupDir(hierarchy, instance), "victim")), false, hierarchy);
    assert.notEqual(firewallHandle(instance), deadTable);
    const record = `/run/k8s-binary-bench/${instance}.json`;
    if (existsSync(record)) {
        assert.notEqual(JSON.parse(readFileSync(record, "utf8")).owner.pid, childPid);
    }
    assert.equal((await next.exec("survivor", "systemctl is-system-running")).stdout.trim(), "running");
});
