// EtcdCluster on real hosts: the etcd release the toolchain built from Go modules, served by a
// mirror on the testbed's bridge and installed through BinaryRelease with its published sha256, driven through the deployment engine over real SSH. One testbed,
// one story: form, lose a member, re-run, rotate one certificate, grow 3 -> 5, shrink back,
// back up on a timer, restore into a fresh cluster by following docs/etcd-backup-restore.md.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFile, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { runProgram, type RunResult } from "../support/engine";
import { builtEtcdRelease } from "../support/etcd-release";

const PROGRAM = join(__dirname, "programs", "etcd.ts");
const SNAPSHOT_ON_NEW_HOSTS = "/root/etcd-restore.db";

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

test("EtcdCluster on real hosts", async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-etcd-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const release = builtEtcdRelease();
    const testbed: Testbed = await startTestbed({ hosts: ["e1", "e2", "e3", "e4", "e5", "r1", "r2", "r3"] });
    t.after(() => testbed.stop());
    console.log(`testbed: 8 hosts up in ${seconds(testbed.timings.bootMs)}; release ${release.file} sha256 ${release.sha256.slice(0, 12)}…`);
    const baseUrl = await testbed.serveDirectory(release.dir);

    const hostsJson = (names: string[]) =>
        JSON.stringify(
            names.map((n) => {
                const h = testbed.host(n);
                return { name: h.name, address: h.address, connection: { ...h.connection, hostKey: h.hostKey } };
            }),
        );
    const main = ["e1", "e2", "e3"];
    const config = (over: Record<string, string> = {}) => ({
        "etcd:hosts": hostsJson(main),
        "etcd:release": JSON.stringify({ version: release.version, url: `${baseUrl}/${release.file}`, sha256: release.sha256 }),
        "etcd:network": testbed.subnet,
        // Every 15 s, keeping 3: the test sees rotation within its own runtime.
        "etcd:backup": JSON.stringify({ schedule: "*-*-* *:*:00/15", retention: 3 }),
        ...over,
    });
    const stateFile = join(work, "state.json");
    const run = async (label: string, cfg: Record<string, string>, state = stateFile): Promise<RunResult> => {
        const started = performance.now();
        const result = await runProgram({ program: PROGRAM, stateFile: state, config: cfg });
        console.log(`${label}: ${result.commandLog.length} remote commands, ${seconds(performance.now() - started)}`);
        return result;
    };
    const exec = async (host: string, cmd: string, input?: string) => {
        const r = await testbed.exec(host, cmd, input === undefined ? undefined : { input });
        assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const invocation = (host: string) => exec(host, "systemctl show -p InvocationID --value etcd.service");
    const invocations = async (hosts: string[]) => Object.fromEntries(await Promise.all(hosts.map(async (h) => [h, await invocation(h)])));

    // etcdctl on this machine with the component's outputs: what an apiserver would hold.
    const pki = join(work, "client");
    let endpoints: string[] = [];
    const etcdctl = (eps: string[], args: string[], commandTimeout = "5s") =>
        spawnSync(
            release.etcdctl,
            [
                `--endpoints=${eps.join(",")}`,
                `--cacert=${join(pki, "ca.pem")}`,
                `--cert=${join(pki, "client.pem")}`,
                `--key=${join(pki, "client-key.pem")}`,
                "--dial-timeout=2s",
                `--command-timeout=${commandTimeout}`,
                ...args,
            ],
            { encoding: "utf8" },
        );
    const endpointOf = (host: string) => `https://${testbed.host(host).address}:2379`;
    const get = (host: string, key: string) => {
        const r = etcdctl([endpointOf(host)], ["get", key, "--print-value-only"]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout.trim();
    };
    const put = (eps: string[], key: string, value: string, timeout?: string) => etcdctl(eps, ["put", key, value], timeout).status === 0;
    const until = async (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<number> => {
        const start = performance.now();
        while (!(await check())) {
            if (performance.now() - start > timeoutMs) throw new Error(`timed out after ${seconds(timeoutMs)} waiting for ${what}`);
            await new Promise((r) => setTimeout(r, 100));
        }
        return performance.now() - start;
    };
    const memberList = () => {
        const r = etcdctl([endpointOf("e1")], ["member", "list"]);
        assert.equal(r.status, 0, r.stderr);
        return r.stdout
            .trim()
            .split("\n")
            .map((l) => l.split(", "))
            .map(([, status, name]) => `${name}:${status}`)
            .sort();
    };

    const formStart = performance.now();
    const first = await run("form 3 members", config());
    const formMs = performance.now() - formStart;

    await t.test("three members form a healthy TLS cluster; a key written through one is read through another", async () => {
        mkdirSync(pki, { recursive: true, mode: 0o700 });
        writeFileSync(join(pki, "ca.pem"), String(first.outputs.caCertPem));
        writeFileSync(join(pki, "client.pem"), String(first.outputs.clientCertPem));
        writeFileSync(join(pki, "client-key.pem"), String(first.outputs.clientKeyPem), { mode: 0o600 });
        assert.ok(first.secretOutputs.includes("clientKeyPem"), "the client key is a secret output");
        assert.ok(first.secretOutputs.includes("clientBundle"), "the client bundle is a secret output");
        assert.deepEqual(first.outputs.clientBundle, {
            endpoints: first.outputs.clientEndpoints,
            caCertPem: first.outputs.caCertPem,
            clientCertPem: first.outputs.clientCertPem,
            clientKeyPem: first.outputs.clientKeyPem,
        });
        endpoints = first.outputs.clientEndpoints as string[];
        assert.deepEqual(endpoints, main.map(endpointOf));
        // The outputs resolved after the readiness check: the cluster answers at once.
        const health = etcdctl(endpoints, ["endpoint", "health"]);
        assert.equal(health.status, 0, health.stderr);
        assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 3);
        assert.ok(put([endpointOf("e1")], "/testbed/k1", "v1"));
        assert.equal(get("e2", "/testbed/k1"), "v1");
        assert.equal(get("e3", "/testbed/k1"), "v1");
        assert.deepEqual(memberList(), ["e1:started", "e2:started", "e3:started"]);
        for (const h of main) {
            assert.equal(
                await exec(
                    h,
                    "stat -c '%a' /var/lib/etcd /etc/etcd/pki/server-key.pem /etc/etcd/pki/peer-key.pem /etc/etcd/pki/client-key.pem | sort -u | xargs",
                ),
                "600 700",
            );
            assert.equal(await exec(h, "readlink /usr/local/bin/etcd"), `/opt/k8s-binary/etcd/${release.version}/etcd`);
            const tlsErrors = await exec(h, "journalctl -u etcd.service --no-pager -o cat | grep -ciE 'bad certificate|x509|tls: ' || true");
            assert.equal(tlsErrors, "0", `${h}: TLS errors in the journal`);
        }
        // No private key in any command line, nor in what the provider would have logged.
        const key = String(first.outputs.clientKeyPem);
        for (const e of first.commandLog) assert.ok(!e.commandLine.includes(key.split("\n")[1]) && !e.logged.includes(key.split("\n")[1]), e.urn);
        console.log(`figures: cluster formed and healthy ${seconds(formMs)} after the first run started (${first.commandLog.length} commands)`);
    });

    await t.test("SIGKILL of the leader: writes go on through the others, systemd restarts it and it rejoins", async () => {
        const status = etcdctl(endpoints, ["endpoint", "status", "-w", "json"]);
        assert.equal(status.status, 0, status.stderr);
        const statuses = JSON.parse(status.stdout) as { Endpoint: string; Status: { header: { member_id: number }; leader: number } }[];
        const leader = statuses.find((s) => s.Status.header.member_id === s.Status.leader)!;
        const victim = main.find((h) => endpointOf(h) === leader.Endpoint)!;
        const survivors = main.filter((h) => h !== victim).map(endpointOf);
        const pid = await exec(victim, "systemctl show -p MainPID --value etcd.service");
        const killed = performance.now();
        await exec(victim, `kill -9 ${pid}`);
        let n = 0;
        // A short command timeout: a write proposed while there is no leader waits out its timeout.
        const writeMs = await until("a write through the surviving members", () => put(survivors, "/testbed/failover", `w${n++}`, "500ms"), 30_000);
        const backMs = await until(`${victim} healthy again`, () => etcdctl([endpointOf(victim)], ["endpoint", "health"]).status === 0, 60_000);
        assert.notEqual(await exec(victim, "systemctl show -p MainPID --value etcd.service"), pid);
        assert.equal(get(victim, "/testbed/failover"), `w${n - 1}`, "the rejoined member has the writes made while it was down");
        console.log(
            `figures: leader ${victim} SIGKILLed: a write succeeded after ${seconds(writeMs)}; back and healthy after ${seconds(performance.now() - killed)} (RestartSec=5s; wait ${seconds(backMs)})`,
        );
    });

    await t.test("a second run with no change runs no remote command", async () => {
        const again = await run("no change", config());
        assert.deepEqual(
            again.commandLog.map((e) => `${e.host} ${e.urn}`),
            [],
        );
        assert.ok(again.operations.every((o) => o.op === "same"));
    });

    await t.test("a certificate change on one member restarts that member only", async () => {
        const before = await invocations(main);
        const rotated = await run("rotate e2's certificates", config({ "etcd:certificateRotation": JSON.stringify({ e2: "2026-11" }) }));
        const after = await invocations(main);
        assert.notEqual(after.e2, before.e2, "e2 restarted");
        assert.equal(after.e1, before.e1, "e1 untouched");
        assert.equal(after.e3, before.e3, "e3 untouched");
        const hosts = new Set(rotated.commandLog.map((e) => e.host));
        assert.deepEqual([...hosts], [testbed.host("e2").address], "commands ran on e2 only");
        const changed = rotated.operations
            .filter((o) => o.op !== "same" && o.type === "command:remote:Command")
            .map((o) => o.name)
            .sort();
        assert.deepEqual(changed, [
            "etcd-e2-etc-etcd-pki-peer-key.pem-write",
            "etcd-e2-etc-etcd-pki-peer.pem-write",
            "etcd-e2-etc-etcd-pki-server-key.pem-write",
            "etcd-e2-etc-etcd-pki-server.pem-write",
            "etcd-e2-healthy-wait",
            "etcd-e2-restart",
        ]);
        assert.equal(get("e2", "/testbed/k1"), "v1");
        const tlsErrors = await exec("e2", "journalctl -u etcd.service --no-pager -o cat | grep -ciE 'bad certificate|x509' || true");
        assert.equal(tlsErrors, "0");
    });
    const rotation = { "etcd:certificateRotation": JSON.stringify({ e2: "2026-11" }) };

    await t.test("a change for every member rolls: one restart at a time, each after the cluster is healthy again", async () => {
        const before = await invocations(main);
        // A writer through all endpoints during the roll: the cluster keeps a quorum throughout.
        let writing = true;
        let ok = 0;
        let failed = 0;
        let lastOk = performance.now();
        let longestGap = 0;
        const writer = (async () => {
            for (let i = 0; writing; i++) {
                const success = await new Promise<boolean>((resolve) =>
                    execFile(
                        release.etcdctl,
                        [
                            `--endpoints=${endpoints.join(",")}`,
                            `--cacert=${join(pki, "ca.pem")}`,
                            `--cert=${join(pki, "client.pem")}`,
                            `--key=${join(pki, "client-key.pem")}`,
                            "--dial-timeout=2s",
                            "--command-timeout=3s",
                            "put",
                            "/testbed/roll",
                            String(i),
                        ],
                        (error) => resolve(!error),
                    ),
                );
                const now = performance.now();
                if (success) {
                    ok++;
                    longestGap = Math.max(longestGap, now - lastOk);
                    lastOk = now;
                } else failed++;
            }
        })();
        const rolled = await run("extra flag on every member", config({ ...rotation, "etcd:extraFlags": JSON.stringify({ "heartbeat-interval": "150" }) }));
        writing = false;
        await writer;
        const after = await invocations(main);
        for (const h of main) assert.notEqual(after[h], before[h], `${h} restarted`);
        const steps = rolled.commandLog.map((e) => e.urn.split("::").pop()!).filter((n) => /-(restart|healthy-wait)$/.test(n));
        assert.deepEqual(
            steps,
            ["etcd-e1-restart", "etcd-e1-healthy-wait", "etcd-e2-restart", "etcd-e2-healthy-wait", "etcd-e3-restart", "etcd-e3-healthy-wait"],
            "each restart follows the previous member's health check",
        );
        for (const h of main)
            assert.match(
                await exec(h, "tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value etcd.service)/environ | grep HEARTBEAT"),
                /ETCD_HEARTBEAT_INTERVAL=150/,
            );
        assert.ok(ok > 0);
        console.log(
            `figures: rolling restart of 3 members: ${ok} writes succeeded, ${failed} failed during the run; longest gap between successful writes ${seconds(longestGap)}`,
        );
    });
    const flags = { "etcd:extraFlags": JSON.stringify({ "heartbeat-interval": "150" }) };

    await t.test("adding two hosts grows the cluster to five without touching the three", async () => {
        const before = await invocations(main);
        const grow = config({ ...rotation, ...flags, "etcd:hosts": hostsJson([...main, "e4", "e5"]), "etcd:initialMembers": JSON.stringify(main) });
        const started = performance.now();
        const grown = await run("grow 3 -> 5", grow);
        const growMs = performance.now() - started;
        assert.deepEqual(memberList(), ["e1:started", "e2:started", "e3:started", "e4:started", "e5:started"]);
        assert.deepEqual(await invocations(main), before, "no original member restarted");
        const touched = new Set(grown.commandLog.map((e) => e.host));
        assert.ok(
            main.every((h) => !touched.has(testbed.host(h).address)),
            `no command ran on the original members: ${[...touched].join(" ")}`,
        );
        const elsewhere = grown.operations.filter((o) => o.op !== "same" && !/^etcd-e[45](-|$)/.test(o.name) && o.name !== "etcd-healthy-wait");
        assert.deepEqual(
            elsewhere.map((o) => `${o.op} ${o.name}`),
            [],
            "nothing of the original members changes, not even in state",
        );
        assert.equal(get("e5", "/testbed/k1"), "v1", "the original data is on the new members");
        assert.equal(get("e4", "/testbed/failover").startsWith("w"), true);
        const all = [...main, "e4", "e5"].map(endpointOf);
        const health = etcdctl(all, ["endpoint", "health"]);
        assert.equal((health.stdout + health.stderr).match(/is healthy/g)?.length, 5, health.stderr);
        assert.deepEqual((await run("grown, no change", grow)).commandLog, []);
        console.log(`figures: 3 -> 5 members, all healthy ${seconds(growMs)} after the run started (the two joins run one after the other)`);
    });

    await t.test("removing the two hosts again takes them out of the cluster before their service stops", async () => {
        const shrunk = await run("shrink 5 -> 3", config({ ...rotation, ...flags, "etcd:initialMembers": JSON.stringify(main) }));
        assert.deepEqual(memberList(), ["e1:started", "e2:started", "e3:started"]);
        for (const h of ["e4", "e5"]) {
            assert.equal((await testbed.exec(h, "systemctl is-active etcd.service")).stdout.trim(), "inactive");
            const order = shrunk.operations
                .filter((o) => o.op === "delete" && (o.name === `etcd-${h}-leave` || o.name === `etcd-${h}-etcd-activate`))
                .map((o) => o.name);
            assert.deepEqual(order, [`etcd-${h}-leave`, `etcd-${h}-etcd-activate`], "member remove ran before the unit was stopped");
            assert.equal(await exec(h, "test -d /var/lib/etcd/member && echo kept"), "kept", "the data dir stays (see docs/etcd-membership.md)");
        }
        assert.equal(get("e3", "/testbed/k1"), "v1");
    });

    await t.test("the backup timer keeps verified snapshots, and the restore runbook brings the data into a fresh cluster", async () => {
        // Runbook step 1: the newest snapshot on a member, taken after the last write.
        assert.ok(put([endpointOf("e1")], "/testbed/before-backup", "yes"));
        const written = Number(await exec("e1", "date +%s"));
        await until(
            "a snapshot newer than the last write",
            async () => {
                const newest = (await testbed.exec("e1", "stat -c %Y $(ls -1 /var/backups/etcd/etcd-snapshot-e1-*.db | tail -n 1)")).stdout.trim();
                return Number(newest) > written;
            },
            40_000,
        );
        const runs = Number(await exec("e1", "journalctl -u etcd-backup.service --no-pager -o cat | grep -c '^saved ' || true"));
        const files = (await exec("e1", "ls -1 /var/backups/etcd")).split("\n");
        assert.equal(files.length, Math.min(runs, 3), `retention 3 after ${runs} backups: ${files.join(" ")}`);
        assert.equal(await exec("e1", "stat -c '%a' /var/backups/etcd"), "700");
        const newest = files.sort().at(-1)!;
        // Step 2: check it.
        const status = await exec("e1", `etcdutl snapshot status /var/backups/etcd/${newest} -w json`);
        assert.ok(JSON.parse(status).totalKey >= 3);
        // Step 3: copy it to every host of the new cluster.
        const snapshot = await exec("e1", `base64 -w0 /var/backups/etcd/${newest}`);
        const sum = await exec("e1", `sha256sum /var/backups/etcd/${newest} | cut -d' ' -f1`);
        for (const h of ["r1", "r2", "r3"]) {
            await exec(h, `base64 -d > ${SNAPSHOT_ON_NEW_HOSTS} && chmod 0600 ${SNAPSHOT_ON_NEW_HOSTS}`, snapshot);
            assert.equal(await exec(h, `sha256sum ${SNAPSHOT_ON_NEW_HOSTS} | cut -d' ' -f1`), sum);
        }
        // Step 4: a new stack with `restore.snapshotPath`, and `up`.
        const restoreConfig = config({
            "etcd:name": "restored",
            "etcd:hosts": hostsJson(["r1", "r2", "r3"]),
            "etcd:restore": JSON.stringify({ snapshotPath: SNAPSHOT_ON_NEW_HOSTS }),
            "etcd:backup": JSON.stringify({ enabled: false }),
            // The restored cluster runs on installs the program hands over.
            "etcd:sharedInstall": "true",
        });
        const started = performance.now();
        const restored = await run("restore into r1-r3", restoreConfig, join(work, "restored.json"));
        const restoreMs = performance.now() - started;
        const releases = restored.operations
            .filter((o) => o.type === "k8s-binary:index:BinaryRelease")
            .map((o) => o.name)
            .sort();
        assert.deepEqual(releases, ["shared-r1-etcd", "shared-r2-etcd", "shared-r3-etcd"], "with installed handles the cluster installs nothing itself");
        // Step 5: check the data and the members with the new cluster's client certificate.
        writeFileSync(join(pki, "ca.pem"), String(restored.outputs.caCertPem));
        writeFileSync(join(pki, "client.pem"), String(restored.outputs.clientCertPem));
        writeFileSync(join(pki, "client-key.pem"), String(restored.outputs.clientKeyPem), { mode: 0o600 });
        assert.equal(get("r2", "/testbed/k1"), "v1");
        assert.equal(get("r3", "/testbed/before-backup"), "yes");
        const members = etcdctl([endpointOf("r1")], ["member", "list"]);
        assert.deepEqual(
            members.stdout
                .trim()
                .split("\n")
                .map((l) => l.split(", ")[2])
                .sort(),
            ["r1", "r2", "r3"],
            "only the new members: the old cluster's membership is gone",
        );
        assert.ok(put([endpointOf("r1")], "/testbed/after-restore", "ok"));
        // Step 6: leaving `restore` set is harmless: a member holding data is never restored over.
        assert.deepEqual((await run("restored, no change", restoreConfig, join(work, "restored.json"))).commandLog, []);
        console.log(
            `figures: ${runs} timer backups seen, ${files.length} kept; restore of ${newest} into 3 fresh members healthy ${seconds(restoreMs)} after the run started`,
        );
    });

    await t.test("restore by hand inside a running stack, as the runbook's last section says", async () => {
        const restoredHosts = ["r1", "r2", "r3"];
        const initialCluster = restoredHosts.map((h) => `${h}=https://${testbed.host(h).address}:2380`).join(",");
        await Promise.all(restoredHosts.map((h) => exec(h, "systemctl stop etcd.service")));
        const started = performance.now();
        await Promise.all(
            restoredHosts.map((h) =>
                exec(
                    h,
                    [
                        "mv /var/lib/etcd /var/lib/etcd.before-restore-$(date -u +%Y%m%dT%H%M%SZ)",
                        "set -a; . /etc/etcd/etcd.env; . /etc/etcd/initial-cluster.env; set +a",
                        `etcdutl snapshot restore ${SNAPSHOT_ON_NEW_HOSTS} ` +
                            `--name "$ETCD_NAME" --initial-advertise-peer-urls "$ETCD_INITIAL_ADVERTISE_PEER_URLS" ` +
                            `--initial-cluster '${initialCluster}' ` +
                            `--initial-cluster-token "$ETCD_INITIAL_CLUSTER_TOKEN-restored" --data-dir "$ETCD_DATA_DIR"`,
                        `chmod 0700 "$ETCD_DATA_DIR"`,
                        "systemctl start --no-block etcd.service",
                    ].join("\n"),
                ),
            ),
        );
        await until("the hand-restored cluster healthy", () => etcdctl(restoredHosts.map(endpointOf), ["endpoint", "health"]).status === 0, 60_000);
        assert.equal(get("r1", "/testbed/k1"), "v1");
        assert.equal(get("r2", "/testbed/after-restore"), "", "the data is the snapshot's: what was written since is gone");
        console.log(`figures: hand restore inside the running stack healthy ${seconds(performance.now() - started)} after the members were stopped`);
    });
});
