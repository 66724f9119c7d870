import { test } from "node:test";
import assert from "node:assert/strict";
import { etcdHostNeeds, etcdReleaseNeed, planEtcd, type EtcdClusterArgs } from "../../../components/etcd";
import type { InstalledRelease } from "../../../components/host";

const host = (n: number, address = `10.77.0.1${n}`) => ({ name: `e${n}`, address, connection: { host: address } });
const args = (over: Partial<EtcdClusterArgs> = {}): EtcdClusterArgs => ({
    members: [1, 2, 3].map((n) => host(n)),
    release: { version: "3.5.17", sha256: "b".repeat(64) },
    backup: { schedule: "hourly", retention: 3 },
    ...over,
});
const handle = (version = "3.5.17", paths: Record<string, string> = { etcd: "/usr/local/bin/etcd", etcdctl: "/usr/local/bin/etcdctl" }): InstalledRelease => ({
    name: "etcd",
    version,
    installDir: `/opt/k8s-binary/etcd/${version}`,
    paths,
    // The pure plan reads neither the digest nor the install step (resources need a runtime).
    checksum: undefined as unknown as InstalledRelease["checksum"],
    command: undefined as unknown as InstalledRelease["command"],
});

test("a sound plan has no issues and applies every default", () => {
    const { plan, issues, warnings } = planEtcd("main", args({ backup: undefined }));
    assert.deepEqual(issues, []);
    assert.deepEqual(warnings, []);
    assert.equal(plan.token, "main");
    assert.deepEqual([plan.clientPort, plan.peerPort, plan.dataDir, plan.healthTimeoutSeconds], [2379, 2380, "/var/lib/etcd", 180]);
    assert.deepEqual(plan.backup, { schedule: "*-*-* 00/6:00:00", retention: 8, directory: "/var/backups/etcd" });
});

test("an even member count is a warning at members", () => {
    const { issues, warnings } = planEtcd("main", args({ members: [host(1), host(2)] }));
    assert.deepEqual(issues, []);
    assert.deepEqual(
        warnings.map((w) => w.path),
        ["members"],
    );
    assert.match(warnings[0].message, /2 members tolerate no more failures than 1 do/);
});

test("every problem is collected, each at its Args path with a hint", () => {
    const { issues } = planEtcd(
        "main",
        args({
            members: [host(1), host(2), host(3), { ...host(4, "127.0.0.1"), name: "E_4" }, host(5, "not-an-ip"), host(1, "10.77.0.12")],
            initialMembers: ["e1", "e9"],
            clientPort: 2380,
            dataDir: "relative",
            extraFlags: { "--initial-cluster": "x", "bad flag": "y", "log-level": "a\nb" },
            network: "10.77.0.0/24",
            release: { version: "latest", arch: "AMD 64", sha256: "nope", url: "http://x", localPath: "/tmp/x" },
            backup: { schedule: "", retention: 0 },
            certificateRotation: { e7: "1" },
            healthTimeoutSeconds: 0,
            certificateValidityHours: 1.5,
            restore: { snapshotPath: "snap.db" },
        }),
    );
    const at = (path: string, re: RegExp) =>
        assert.ok(
            issues.some((i) => i.path === path && re.test(i.message) && i.hint.length > 0),
            `${path} ${re} in:\n${issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`,
        );
    at("members[3].name", /"E_4" is not a lower-case DNS label/);
    at("members[3].address", /127\.0\.0\.1 is a loopback address/);
    at("members[3].address", /outside the hosts' network/);
    at("members[4].address", /"not-an-ip" is not an IP address/);
    at("members[5].name", /"e1" is listed more than once/);
    at("members[5].address", /10\.77\.0\.12 is used by more than one member/);
    at("initialMembers[1]", /"e9" is not in members/);
    at("peerPort", /clientPort and peerPort are both 2380/);
    at("dataDir", /"relative" is not an absolute path/);
    at("extraFlags.--initial-cluster", /"initial-cluster" is set by the component/);
    at("extraFlags.bad flag", /not an etcd flag name/);
    at("extraFlags.log-level", /line break/);
    at("release.version", /"latest"/);
    at("release.arch", /"AMD 64"/);
    at("release.sha256", /"nope" is not 64 hex/);
    at("release", /both url and localPath/);
    at("backup.retention", /0 is not a number of snapshots/);
    at("backup.schedule", /is empty/);
    at("certificateRotation.e7", /not in members/);
    at("healthTimeoutSeconds", /not a positive number/);
    at("certificateValidityHours", /1\.5/);
    at("restore.snapshotPath", /not an absolute path/);
    assert.equal(issues.length, 22, issues.map((i) => `${i.path}: ${i.message}`).join("\n"));
});

test("a member outside the network, or a broken network, is an issue", () => {
    assert.deepEqual(
        planEtcd("main", args({ network: "10.77.1.0/24" })).issues.map((i) => i.path),
        ["members[0].address", "members[1].address", "members[2].address"],
    );
    assert.deepEqual(
        planEtcd("main", args({ network: "10.77.0.0" })).issues.map((i) => i.path),
        ["network"],
    );
    assert.deepEqual(planEtcd("main", args({ network: "10.77.0.0/16" })).issues, []);
});

test("installed releases: one per member, of release.version, linked where the scripts find them", () => {
    const ok = { e1: handle(), e2: handle(), e3: handle() };
    assert.deepEqual(planEtcd("main", args({ installed: ok })).issues, []);
    const { issues } = planEtcd(
        "main",
        args({
            installed: { e1: handle("3.5.16"), e2: handle("3.5.17", { etcd: "/opt/bin/etcd" }), e9: handle() },
        }),
    );
    assert.deepEqual(issues.map((i) => i.path).sort(), [
        "installed",
        "installed.e1.version",
        "installed.e2.paths.etcd",
        "installed.e2.paths.etcdctl",
        "installed.e9",
    ]);
    assert.match(issues.find((i) => i.path === "installed")!.message, /no release for member e3/);
});

test("the release need: default URL for the arch, etcdutl from 3.5 on, the sha256 as its checksum", () => {
    const need = etcdReleaseNeed({ version: "3.5.17", arch: "arm64", sha256: "B".repeat(64) });
    assert.equal(need.url, "https://github.com/etcd-io/etcd/releases/download/v3.5.17/etcd-v3.5.17-linux-arm64.tar.gz");
    assert.deepEqual(need.checksum, { algorithm: "sha256", digest: "b".repeat(64) });
    assert.deepEqual(need.binaries, ["etcd", "etcdctl", "etcdutl"]);
    assert.deepEqual(etcdReleaseNeed({ version: "3.4.23", sha256: "b".repeat(64) }).binaries, ["etcd", "etcdctl"]);
    assert.match(etcdReleaseNeed({ sha256: "b".repeat(64) }).url!, /v3\.5\.17-linux-amd64\.tar\.gz$/);
    const local = etcdReleaseNeed({ localPath: "/srv/etcd.tgz", url: "http://unused", sha256: "b".repeat(64) });
    assert.deepEqual([local.url, local.localPath], [undefined, "/srv/etcd.tgz"]);
});

test("host needs: the client and peer ports, said what they are, and the release", () => {
    const needs = etcdHostNeeds({ release: { version: "3.5.17", sha256: "b".repeat(64) }, clientPort: 12379 });
    assert.deepEqual(needs.ports, [
        { protocol: "tcp", port: 12379, what: "etcd clients" },
        { protocol: "tcp", port: 2380, what: "etcd peers" },
    ]);
    assert.deepEqual(
        needs.releases!.map((r) => `${r.name}@${r.version}`),
        ["etcd@3.5.17"],
    );
});
