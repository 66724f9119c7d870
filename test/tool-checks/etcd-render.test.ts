import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BACKUP_SERVICE, BACKUP_TIMER, ETCD_PATHS, ETCD_UNIT } from "../../components/etcd/layout";
import { renderBackupScript, renderBackupService, renderBackupTimer } from "../../components/etcd/render-backup";
import { renderBootstrapEnv, renderEtcdctlEnv, renderInitialCluster, renderMemberEnv } from "../../components/etcd/render-env";
import { renderClusterHealthyCheck, renderMembersHealthyCheck } from "../../components/etcd/render-health";
import { parseJoinOutput, renderJoinScript, renderLeaveScript, renderRestoreScript } from "../../components/etcd/render-scripts";
import { renderEtcdUnit } from "../../components/etcd/render-unit";
import { verifyUnit } from "../support/systemd-verify";
import { familyPath } from "../support/toolchain";

// Real etcd (the toolchain's 3.6 build: etcd, etcdctl, etcdutl) started from the rendered files, on loopback addresses
// only. The renderers write fixed paths under /etc/etcd; here every such path is relocated into a
// temporary directory, and nothing else in the rendered text is changed.

const ETCD_BIN = join(familyPath("etcd"), "bin");
const work = mkdtempSync(join(tmpdir(), "k8s-binary-etcd-render-"));
const relocate = (text: string) => text.split("/etc/etcd/").join(`${join(work, "etc")}/`);
const PKI = join(work, "etc", "pki");
const base = 20000 + Math.floor(Math.random() * 20000);
const ports = { clientPort: base, peerPort: base + 1 };
const m1 = { name: "m1", address: "127.0.0.2" };
const m2 = { name: "m2", address: "127.0.0.3" };
// Both members share this machine's 127.0.0.1, where each also listens: the second one gets its own client port.
const clientPortOf = (member: { name: string }) => (member.name === "m2" ? ports.clientPort + 2 : ports.clientPort);
const settings = (member: { name: string }, dataDir: string) => ({
    ...ports,
    clientPort: clientPortOf(member),
    dataDir,
    extraFlags: { "heartbeat-interval": "100", "election-timeout": "1000" },
});
const children: ChildProcess[] = [];

function sh(script: string, env: NodeJS.ProcessEnv = {}): { code: number; out: string } {
    const r = spawnSync("/bin/bash", ["-c", `set -euo pipefail\n${script}`], { encoding: "utf8", env: { ...process.env, ...env }, timeout: 60_000 });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Parses an EnvironmentFile as systemd does for the forms the renderers write (bare or double-quoted values). */
function parseEnvFile(text: string): Record<string, string> {
    const out: Record<string, string> = {};
    for (const line of text.split("\n")) {
        if (line.trim() === "" || line.startsWith("#")) continue;
        const m = /^([A-Z0-9_]+)=(.*)$/.exec(line);
        assert.ok(m, `environment line ${JSON.stringify(line)}`);
        let v = m[2];
        if (v.startsWith('"')) v = v.slice(1, -1).replace(/\\(.)/g, "$1");
        out[m[1]] = v;
    }
    return out;
}

function certificates(): void {
    mkdirSync(PKI, { recursive: true });
    const ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
    const issue = (name: string, cn: string, eku: string, sans: string) =>
        sh(`cd ${PKI}
openssl req ${ec} -subj /CN=${cn} -keyout ${name}-key.pem -out ${name}.csr 2>/dev/null
printf 'extendedKeyUsage=${eku}\\nkeyUsage=digitalSignature,keyEncipherment\\n${sans ? `subjectAltName=${sans}` : ""}\\n' > ${name}.ext
openssl x509 -req -in ${name}.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 1 -extfile ${name}.ext -out ${name}.pem 2>/dev/null`);
    assert.equal(sh(`cd ${PKI}; openssl req -x509 ${ec} -days 1 -subj /CN=etcd-ca -keyout ca-key.pem -out ca.pem 2>/dev/null`).code, 0);
    // One server and one peer certificate for both members (their SANs name both addresses).
    const sans = "DNS:m1,DNS:m2,DNS:localhost,IP:127.0.0.1,IP:127.0.0.2,IP:127.0.0.3";
    for (const r of [
        issue("server", "m", "serverAuth,clientAuth", sans),
        issue("peer", "m", "serverAuth,clientAuth", sans),
        issue("client", "client", "clientAuth", ""),
    ]) {
        assert.equal(r.code, 0, r.out);
    }
}

/** Starts etcd with exactly the variables of the rendered environment files, as systemd would. */
function startEtcd(member: typeof m1, dataDir: string, bootstrap: string): { proc: ChildProcess; log: () => string } {
    const env = {
        ...parseEnvFile(relocate(renderMemberEnv(member, settings(member, dataDir)))),
        ...parseEnvFile(relocate(bootstrap)),
    };
    let log = "";
    const proc = spawn(join(ETCD_BIN, "etcd"), [], { env: { PATH: `${ETCD_BIN}:/usr/bin:/bin`, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    children.push(proc);
    return { proc, log: () => log };
}

/** Runs a rendered script the way the component does (strict bash), with the relocated paths. */
function runScript(script: string): { code: number; out: string } {
    return sh(relocate(script), { PATH: `${ETCD_BIN}:/usr/bin:/bin:/usr/sbin:/sbin` });
}

async function until(what: string, check: () => boolean, seconds = 20): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    while (!check()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 200));
    }
}

describe("etcd units against systemd-analyze", () => {
    test("etcd.service verifies clean", () => {
        const v = verifyUnit(ETCD_UNIT, renderEtcdUnit());
        assert.equal(v.code, 0, v.problems.join("\n"));
        assert.deepEqual(v.problems, []);
    });

    test("the backup service and timer verify clean together", () => {
        const v = verifyUnit(BACKUP_TIMER, renderBackupTimer("*-*-* 00/6:00:00"), {
            [BACKUP_SERVICE]: renderBackupService(),
            [ETCD_UNIT]: renderEtcdUnit(),
        });
        assert.equal(v.code, 0, v.problems.join("\n"));
        assert.deepEqual(
            v.problems.filter((p) => !/etcd-backup'? is not executable|No such file/.test(p)),
            [],
        );
    });

    test("systemd parses the default schedule and rejects a broken one", () => {
        assert.equal(spawnSync("systemd-analyze", ["calendar", "*-*-* 00/6:00:00"]).status, 0);
        assert.notEqual(spawnSync("systemd-analyze", ["calendar", "every six hours"]).status, 0);
    });

    test("every rendered script is valid bash", () => {
        const scripts = [
            renderBackupScript("m1", 2379, { schedule: "hourly", retention: 3, directory: "/var/backups/etcd" }),
            renderJoinScript(m2, 2380, "/var/lib/etcd", ["https://10.0.0.1:2379"]),
            renderLeaveScript(m2, { clientPort: 2379, peerPort: 2380 }, ["https://10.0.0.1:2379"]),
            renderRestoreScript({
                member: m1,
                snapshotPath: "/root/s.db",
                dataDir: "/var/lib/etcd",
                peerPort: 2380,
                initialCluster: "m1=https://10.0.0.1:2380",
                token: "t",
            }),
            renderClusterHealthyCheck(2379),
            renderMembersHealthyCheck(2379, [m1, m2]),
        ];
        for (const s of scripts) {
            const r = spawnSync("bash", ["-n"], { input: s, encoding: "utf8" });
            assert.equal(r.status, 0, `${r.stderr}\n${s}`);
        }
    });
});

describe("real etcd from the rendered files, on loopback", () => {
    let first: ReturnType<typeof startEtcd>;
    const data1 = join(work, "data1");
    const backups = join(work, "backups");
    const backup = { schedule: "hourly", retention: 2, directory: backups };
    const local = `https://127.0.0.1:${ports.clientPort}`;
    const ctl = (endpoint: string) => `set -a; . ${ETCD_PATHS.etcdctlEnv}; set +a; etcdctl --endpoints=${endpoint} --dial-timeout=3s --command-timeout=10s`;

    before(async () => {
        certificates();
        writeFileSync(relocate(ETCD_PATHS.etcdctlEnv), relocate(renderEtcdctlEnv()));
        first = startEtcd(m1, data1, renderBootstrapEnv({ initialCluster: renderInitialCluster([m1], ports.peerPort), state: "new", token: "render-test" }));
        await until("the first member to answer", () => runScript(renderClusterHealthyCheck(ports.clientPort)).code === 0);
    });

    after(() => {
        for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
        rmSync(work, { recursive: true, force: true });
    });

    test("etcd recognises every rendered variable and logs no TLS error", () => {
        assert.doesNotMatch(first.log(), /unrecognized environment variable|shadowed/);
        assert.doesNotMatch(first.log(), /bad certificate|incompatible key usage|certificate is valid for/);
        assert.equal(statSync(data1).mode & 0o777, 0o700, "etcd keeps its data dir private");
    });

    test("a client needs a certificate signed by the CA", () => {
        const put = runScript(`${ctl(local)} put /render/key v1`);
        assert.equal(put.code, 0, put.out);
        const anonymous = sh(`etcdctl --endpoints=${local} --cacert=${PKI}/ca.pem --dial-timeout=2s --command-timeout=3s get /render/key`, {
            PATH: `${ETCD_BIN}:/usr/bin:/bin`,
        });
        assert.notEqual(anonymous.code, 0, "a client without a certificate is refused");
        const byAddress = runScript(`${ctl(`https://${m1.address}:${ports.clientPort}`)} get /render/key --print-value-only`);
        assert.equal(byAddress.out.trim(), "v1", "the advertised address serves with the CA-verified server certificate");
    });

    test("the backup script saves verified snapshots and keeps the newest `retention`", async () => {
        const script = renderBackupScript("m1", ports.clientPort, backup);
        for (let i = 0; i < 3; i++) {
            const r = runScript(script);
            assert.equal(r.code, 0, r.out);
            await new Promise((res) => setTimeout(res, 1100)); // distinct second stamps
        }
        const files = readdirSync(backups).sort();
        assert.equal(files.length, 2, files.join(" "));
        for (const f of files) {
            assert.match(f, /^etcd-snapshot-m1-\d{8}T\d{6}Z\.db$/);
            assert.equal(statSync(join(backups, f)).mode & 0o777, 0o600);
        }
        assert.equal(statSync(backups).mode & 0o777, 0o700);
        const status = sh(`etcdutl snapshot status ${join(backups, files[1])} -w json`, { PATH: `${ETCD_BIN}:/usr/bin:/bin` });
        assert.equal(status.code, 0, status.out);
        assert.ok(JSON.parse(status.out).totalKey >= 1);
    });

    test("a second member joins through the join script and the members check sees both", async () => {
        const join1 = runScript(renderJoinScript(m2, ports.peerPort, join(work, "data2"), [local]));
        assert.equal(join1.code, 0, join1.out);
        const initialCluster = parseJoinOutput(join1.out, "m2");
        assert.deepEqual(initialCluster.split(",").sort(), [`m1=https://127.0.0.2:${ports.peerPort}`, `m2=https://127.0.0.3:${ports.peerPort}`]);
        const again = runScript(renderJoinScript(m2, ports.peerPort, join(work, "data2"), [local]));
        assert.equal(again.code, 0, `re-running the join adds nothing: ${again.out}`);
        assert.equal(parseJoinOutput(again.out, "m2"), initialCluster);

        const second = startEtcd(m2, join(work, "data2"), renderBootstrapEnv({ initialCluster, state: "existing", token: "render-test" }));
        await until("both members healthy", () => runScript(renderMembersHealthyCheck(ports.clientPort, [m1, m2])).code === 0, 30).catch((e) => {
            throw new Error(`${e}\n${second.log()}`);
        });
        const read = runScript(`${ctl(`https://${m2.address}:${clientPortOf(m2)}`)} get /render/key --print-value-only`);
        assert.equal(read.out.trim(), "v1", read.out);
        assert.doesNotMatch(second.log(), /unrecognized environment variable|bad certificate/);
    });

    test("the leave script removes the member, and again is a no-op", async () => {
        const leave = runScript(renderLeaveScript(m2, ports, [local]));
        assert.equal(leave.code, 0, leave.out);
        const list = runScript(`${ctl(local)} member list`);
        assert.doesNotMatch(list.out, /127\.0\.0\.3/, list.out);
        const again = runScript(renderLeaveScript(m2, ports, [local]));
        assert.equal(again.code, 0, again.out);
        assert.match(again.out, /not a member any more/);
        const last = runScript(renderLeaveScript(m1, ports, []));
        assert.equal(last.code, 0, last.out);
        assert.match(last.out, /m1 is the last member/, "destroying the whole cluster does not wait on an impossible removal");
        assert.match(runScript(`${ctl(local)} member list`).out, /m1/);
    });

    test("the restore script rebuilds a data dir from a snapshot, and never overwrites one", async () => {
        const snap = readdirSync(backups).sort().at(-1)!;
        const restored = join(work, "restored");
        const plan = {
            member: m1,
            snapshotPath: join(backups, snap),
            dataDir: restored,
            peerPort: ports.peerPort,
            initialCluster: renderInitialCluster([m1], ports.peerPort),
            token: "restored",
        };
        const r = runScript(renderRestoreScript(plan));
        assert.equal(r.code, 0, r.out);
        assert.ok(existsSync(join(restored, "member", "snap", "db")));
        assert.equal(statSync(restored).mode & 0o777, 0o700);
        const twice = runScript(renderRestoreScript(plan));
        assert.match(twice.out, /restore skipped/);
        const missing = runScript(renderRestoreScript({ ...plan, dataDir: join(work, "other"), snapshotPath: "/nonexistent.db" }));
        assert.notEqual(missing.code, 0);
        assert.match(missing.out, /not found/);

        // The restored member serves the saved key once the running one is stopped (same ports).
        first.proc.kill("SIGTERM");
        await until("the first member to stop", () => first.proc.exitCode !== null || first.proc.signalCode !== null);
        startEtcd(m1, restored, renderBootstrapEnv({ initialCluster: plan.initialCluster, state: "new", token: "restored" }));
        await until("the restored member healthy", () => runScript(renderClusterHealthyCheck(ports.clientPort)).code === 0, 30);
        const read = runScript(`${ctl(local)} get /render/key --print-value-only`);
        assert.equal(read.out.trim(), "v1");
        assert.doesNotMatch(readFileSync(relocate(ETCD_PATHS.etcdctlEnv), "utf8"), /ETCDCTL_API/, "etcdctl 3.6 warns about it on every call");
    });
});
