// The host primitives on real test hosts, driven through the deployment engine over real SSH:
// secret files, restart-on-change services, checksum-verified releases, idempotent host prep,
// no-op second runs and deletes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { EngineRunError, readCheckpoint, readState, runProgram, type RunResult } from "../support/engine";
import { describeLeaks, findLeaks, plainState } from "../support/secret-scan";

const PROGRAM = join(__dirname, "programs", "primitives.ts");
const UNIT = "k8s-binary-demo.service";
/** A swap line as installers write it: host prep must comment it out, once, however often it runs. */
const SWAP_LINE = "/swap.img none swap sw 0 0";
const PREP_FILES = ["/etc/hostname", "/etc/hosts", "/etc/sysctl.d/90-k8s-binary.conf", "/etc/modules-load.d/k8s-binary.conf", "/etc/fstab"];

/** A release-style tarball holding one executable, and its sha256. */
function packRelease(dir: string, file: string, body: string): string {
    const src = join(dir, `${file}.d`, "demotool-linux-amd64");
    mkdirSync(src, { recursive: true });
    writeFileSync(join(src, "demotool"), body);
    chmodSync(join(src, "demotool"), 0o755);
    mkdirSync(join(src, "extra"));
    writeFileSync(join(src, "extra", "helper-amd64"), "#!/bin/sh\necho helper\n");
    const r = spawnSync("tar", ["-czf", join(dir, file), "-C", join(dir, `${file}.d`), "./demotool-linux-amd64"]);
    assert.equal(r.status, 0, String(r.stderr));
    return createHash("sha256")
        .update(readFileSync(join(dir, file)))
        .digest("hex");
}

test("host primitives on two real hosts", async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-primitives-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const testbed: Testbed = await startTestbed({ hosts: ["p1", "p2"] });
    t.after(() => testbed.stop());
    console.log(`testbed: 2 hosts up in ${testbed.timings.bootMs.toFixed(0)} ms`);

    const releases = join(work, "releases");
    mkdirSync(releases);
    const goodSha = packRelease(releases, "demotool-1.0.0.tar.gz", "#!/bin/sh\nexec sleep infinity\n");
    packRelease(releases, "demotool-2.0.0.tar.gz", "#!/bin/sh\necho tampered\nexec sleep infinity\n");
    const baseUrl = await testbed.serveDirectory(releases);
    const secret = `testbed-secret-${randomBytes(12).toString("hex")}`;
    const hosts = (names: string[]) =>
        JSON.stringify(
            names.map((n) => {
                const h = testbed.host(n);
                return { name: h.name, address: h.address, connection: { ...h.connection, hostKey: h.hostKey } };
            }),
        );
    const config = (over: Record<string, string> = {}) => ({
        "testbed:hosts": hosts(["p1", "p2"]),
        "testbed:release": JSON.stringify({ url: `${baseUrl}/demotool-1.0.0.tar.gz`, sha256: goodSha, version: "1.0.0" }),
        "testbed:serviceConfig": "greeting=hello\n",
        "testbed:secret": secret,
        ...over,
    });
    const stateFile = join(work, "state.json");
    const run = async (cfg: Record<string, string>, state = stateFile): Promise<RunResult> => {
        const started = performance.now();
        const result = await runProgram({ program: PROGRAM, stateFile: state, config: cfg });
        console.log(`run: ${result.commandLog.length} remote commands in ${(performance.now() - started).toFixed(0)} ms`);
        return result;
    };
    const exec = async (host: string, cmd: string) => {
        const r = await testbed.exec(host, cmd);
        assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const mainPid = (host: string) => exec(host, `systemctl show -p MainPID --value ${UNIT}`);
    const snapshot = async (host: string) => Promise.all(PREP_FILES.map((f) => exec(host, `sha256sum ${f} 2>/dev/null || echo absent`)));

    // Starting state: each host's fstab has an active swap line for HostPrep to disable.
    for (const h of ["p1", "p2"]) {
        await exec(h, `printf '%s\\n' '${SWAP_LINE}' >> /etc/fstab`);
        assert.equal(await exec(h, `grep -c '^${SWAP_LINE}$' /etc/fstab`), "1", `${h}: one active swap line before the first run`);
    }

    const first = await run(config());
    await t.test(
        "first run: secret file 0600, service up, release linked, swap line disabled; the secret in no command line, log or plain state, in any encoding",
        async () => {
            for (const h of ["p1", "p2"]) {
                assert.equal(await exec(h, "stat -c '%a %U' /etc/k8s-binary-demo/secret.key"), "600 root");
                assert.equal(await exec(h, "cat /etc/k8s-binary-demo/secret.key"), secret);
                assert.equal(await exec(h, `systemctl is-active ${UNIT}`), "active");
                assert.equal(await exec(h, "readlink /usr/local/bin/demotool"), "/opt/k8s-binary/demotool/1.0.0/demotool");
                assert.equal(await exec(h, "demohelper"), "helper", "installed under its own name from its archive path, executable");
                assert.equal(await exec(h, "hostname"), h);
                assert.match(await exec(h, "cat /etc/hosts"), /# BEGIN k8s-binary managed hosts\n10\.77\.\d+\.11 p1\n10\.77\.\d+\.12 p2\n# END/);
            }
            for (const h of ["p1", "p2"]) {
                const fstab = await exec(h, "cat /etc/fstab");
                assert.equal(
                    fstab.split("\n").filter((l) => l === `# disabled by k8s-binary: ${SWAP_LINE}`).length,
                    1,
                    `${h}: the swap line commented once:\n${fstab}`,
                );
                assert.doesNotMatch(fstab, /^[^#].*\sswap\s/m, `${h}: no active swap line left`);
            }
            assert.ok(first.commandLog.length > 0);
            const texts: Record<string, string> = { ...plainState(readState(stateFile)), checkpoint: readCheckpoint(stateFile) };
            for (const [i, entry] of first.commandLog.entries()) {
                texts[`command line ${i} ${entry.urn}`] = entry.commandLine;
                texts[`log ${i} ${entry.urn}`] = entry.logged;
            }
            const leaks = findLeaks(texts, { "testbed secret": secret });
            assert.deepEqual(leaks, [], describeLeaks(leaks));
            assert.match(String(first.outputs.p1Report), /module overlay: present/);
        },
    );

    const pids = { p1: await mainPid("p1"), p2: await mainPid("p2") };
    const before = { p1: await snapshot("p1"), p2: await snapshot("p2") };

    await t.test("second run with no change runs no remote command and restarts nothing", async () => {
        const second = await run(config());
        assert.deepEqual(second.commandLog, []);
        assert.ok(
            second.operations.every((o) => o.op === "same"),
            second.operations
                .filter((o) => o.op !== "same")
                .map((o) => `${o.op} ${o.name}`)
                .join(", "),
        );
        assert.equal(await mainPid("p1"), pids.p1);
        assert.equal(await mainPid("p2"), pids.p2);
    });

    await t.test("a changed config file rewrites it and restarts its service, and nothing else", async () => {
        const third = await run(config({ "testbed:serviceConfig": "greeting=changed\n" }));
        const ran = [...new Set(third.operations.filter((o) => o.op !== "same").map((o) => o.name))].sort();
        assert.deepEqual(ran, ["p1-demo-activate", "p1-demo-conf-write", "p2-demo-activate", "p2-demo-conf-write"]);
        for (const h of ["p1", "p2"] as const) {
            assert.equal(await exec(h, "cat /etc/k8s-binary-demo/demo.conf"), "greeting=changed");
            assert.notEqual(await mainPid(h), pids[h], `${h}: the service was restarted`);
            assert.equal(await exec(h, `systemctl is-active ${UNIT}`), "active");
        }
        assert.deepEqual((await run(config({ "testbed:serviceConfig": "greeting=changed\n" }))).commandLog, []);
    });

    await t.test("a release with a wrong sha256 is refused and nothing is installed", async () => {
        const bad = config({
            "testbed:serviceConfig": "greeting=changed\n",
            "testbed:release": JSON.stringify({ url: `${baseUrl}/demotool-2.0.0.tar.gz`, sha256: goodSha, version: "2.0.0" }),
        });
        await assert.rejects(run(bad), (err: unknown) => {
            assert.ok(err instanceof EngineRunError);
            assert.match(
                err.message,
                /sha256 mismatch for demotool 2\.0\.0 from http:\/\/10\.77\.\d+\.1:\d+\/demotool-2\.0\.0\.tar\.gz: expected [0-9a-f]{64}, got [0-9a-f]{64}; nothing was installed/,
            );
            return true;
        });
        for (const h of ["p1", "p2"]) {
            assert.equal(await exec(h, "test -e /opt/k8s-binary/demotool/2.0.0 && echo present || echo absent"), "absent");
            assert.equal(await exec(h, "readlink /usr/local/bin/demotool"), "/opt/k8s-binary/demotool/1.0.0/demotool");
            assert.equal(await exec(h, "ls /var/tmp | grep -c '^k8s-binary\\.' || true"), "0", "no temp dir left behind");
        }
    });

    await t.test("every step run again from scratch (lost state) leaves byte-identical host prep files", async () => {
        const again = await run(config({ "testbed:serviceConfig": "greeting=changed\n" }), join(work, "fresh-state.json"));
        assert.ok(
            again.commandLog.some((e) => /-prep-kernel/.test(e.urn)),
            "host prep ran again",
        );
        assert.deepEqual(await snapshot("p1"), before.p1);
        assert.deepEqual(await snapshot("p2"), before.p2);
        assert.equal(await exec("p1", "grep -c 'BEGIN k8s-binary managed hosts' /etc/hosts"), "1", "one managed block, not two");
        assert.equal(await exec("p1", `grep -c '^# disabled by k8s-binary: ${SWAP_LINE}$' /etc/fstab`), "1", "the swap line commented once, not twice");
    });

    await t.test("renamed file and unit resources: the old ones' deletes leave the new ones' file and service in place", async () => {
        const renamed = await run(
            config({ "testbed:serviceConfig": "greeting=changed\n", "testbed:secretResourceName": "credential", "testbed:unitResourceName": "greeter" }),
        );
        const ops = renamed.operations
            .filter((o) => o.op !== "same" && o.type === "command:remote:Command")
            .map((o) => `${o.op} ${o.name}`)
            .sort();
        assert.deepEqual(ops, [
            "create p1-credential-write",
            "create p1-greeter-activate",
            "create p1-greeter-file-write",
            "create p2-credential-write",
            "create p2-greeter-activate",
            "create p2-greeter-file-write",
            "delete p1-demo-activate",
            "delete p1-demo-file-write",
            "delete p1-secret-write",
            "delete p2-demo-activate",
            "delete p2-demo-file-write",
            "delete p2-secret-write",
        ]);
        for (const h of ["p1", "p2"]) {
            assert.equal(await exec(h, "cat /etc/k8s-binary-demo/secret.key"), secret);
            assert.equal(await exec(h, `systemctl is-active ${UNIT}`), "active", `${h}: the unit survives its old resource's delete`);
            assert.equal(await exec(h, `systemctl is-enabled ${UNIT}`), "enabled");
            assert.equal(await exec(h, `test -e /etc/systemd/system/${UNIT} && echo present || echo absent`), "present");
        }
    });

    await t.test("a host dropped from the program has its unit stopped and its files and links removed", async () => {
        const dropped = await run(
            config({
                "testbed:serviceConfig": "greeting=changed\n",
                "testbed:secretResourceName": "credential",
                "testbed:unitResourceName": "greeter",
                "testbed:hosts": hosts(["p1"]),
            }),
        );
        const deleted = dropped.operations.filter((o) => o.op === "delete").map((o) => o.name);
        assert.ok(deleted.includes("p2-greeter-activate") && deleted.includes("p2-credential-write"), deleted.join(", "));
        // On p1 only the managed /etc/hosts block changes: it no longer lists p2.
        assert.deepEqual(
            dropped.operations.filter((o) => o.op !== "same" && o.op !== "delete").map((o) => o.name),
            ["p1-prep-etc-hosts"],
        );
        assert.doesNotMatch(await exec("p1", "cat /etc/hosts"), / p2\n/);
        assert.equal(await exec("p2", `systemctl is-active ${UNIT} || true`), "inactive");
        assert.equal(await exec("p2", `test -e /etc/systemd/system/${UNIT} && echo present || echo absent`), "absent");
        assert.equal(await exec("p2", "test -e /etc/k8s-binary-demo/secret.key && echo present || echo absent"), "absent");
        assert.equal(await exec("p2", "test -e /usr/local/bin/demotool && echo present || echo absent"), "absent");
        assert.equal(await exec("p1", `systemctl is-active ${UNIT}`), "active");
    });
});
