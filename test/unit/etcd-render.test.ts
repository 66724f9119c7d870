import { test } from "node:test";
import assert from "node:assert/strict";
import {
    envValue, flagToEnvName, parseJoinOutput, renderBackupScript, renderBackupTimer, renderBootstrapEnv,
    renderInitialCluster, renderMemberEnv, renderMembersHealthyCheck,
} from "../../components/etcd/render";
import { validateEtcdPlan, type EtcdPlan } from "../../components/etcd/validate";

const members = [{ name: "e1", address: "10.77.0.11" }, { name: "e2", address: "10.77.0.12" }, { name: "e3", address: "10.77.0.13" }];
const plan = (over: Partial<EtcdPlan> = {}): EtcdPlan => ({
    members, initialMembers: ["e1", "e2", "e3"], clientPort: 2379, peerPort: 2380, dataDir: "/var/lib/etcd",
    extraFlags: {}, version: "3.5.17", sha256: "b".repeat(64), certificateRotation: {},
    backup: { schedule: "hourly", retention: 3, directory: "/var/backups/etcd" }, ...over,
});

test("initial-cluster keeps the member order and brackets IPv6", () => {
    assert.equal(renderInitialCluster(members, 2380), "e1=https://10.77.0.11:2380,e2=https://10.77.0.12:2380,e3=https://10.77.0.13:2380");
    assert.equal(renderInitialCluster([{ name: "v6", address: "fd00::1" }], 2380), "v6=https://[fd00::1]:2380");
});

test("the member file is deterministic, sorts extra flags and quotes only what needs it", () => {
    const cluster = { clientPort: 2379, peerPort: 2380, dataDir: "/var/lib/etcd", extraFlags: { "quota-backend-bytes": "8589934592", "auto-compaction-mode": "periodic" } };
    const a = renderMemberEnv(members[0], cluster);
    assert.equal(a, renderMemberEnv(members[0], { ...cluster, extraFlags: { "auto-compaction-mode": "periodic", "quota-backend-bytes": "8589934592" } }));
    assert.ok(a.indexOf("ETCD_AUTO_COMPACTION_MODE=periodic") < a.indexOf("ETCD_QUOTA_BACKEND_BYTES=8589934592"));
    assert.equal(flagToEnvName("experimental-initial-corrupt-check"), "ETCD_EXPERIMENTAL_INITIAL_CORRUPT_CHECK");
    assert.equal(envValue("https://a:1,https://b:2"), "https://a:1,https://b:2");
    assert.equal(envValue('a "b" \\c'), '"a \\"b\\" \\\\c"');
    assert.doesNotMatch(a, /INITIAL_CLUSTER=/, "first-start settings live in their own file");
    assert.match(renderBootstrapEnv({ initialCluster: "e1=https://10.77.0.11:2380", state: "existing", token: "t" }), /^ETCD_INITIAL_CLUSTER_STATE=existing$/m);
});

test("the join output must name the joining member", () => {
    assert.equal(parseJoinOutput("Member added\nETCD_INITIAL_CLUSTER=e1=https://a:2380,e4=https://d:2380\n", "e4"), "e1=https://a:2380,e4=https://d:2380");
    assert.throws(() => parseJoinOutput("", "e4"), /no usable initial-cluster/);
    assert.throws(() => parseJoinOutput("ETCD_INITIAL_CLUSTER=e1=https://a:2380", "e4"), /e4/);
});

test("backup script and timer carry the settings", () => {
    const script = renderBackupScript("e2", 2379, { schedule: "hourly", retention: 5, directory: "/srv/etcd backups" });
    assert.match(script, /^keep=5$/m);
    assert.match(script, /^dir='\/srv\/etcd backups'$/m);
    assert.match(script, /--endpoints=https:\/\/127\.0\.0\.1:2379/);
    assert.match(renderBackupTimer("*-*-* 02:00:00"), /^OnCalendar=\*-\*-\* 02:00:00$/m);
});

test("the whole-cluster check waits for every expected member, sorted, and tolerates extra members being removed later", () => {
    const check = renderMembersHealthyCheck(2379, [members[2], members[0]]);
    assert.match(check, /for m in e1 e3/);
});

test("a sound plan passes; an even member count warns", () => {
    assert.deepEqual(validateEtcdPlan(plan()), { errors: [], warnings: [] });
    const even = validateEtcdPlan(plan({ members: members.slice(0, 2), initialMembers: ["e1", "e2"] }));
    assert.deepEqual(even.errors, []);
    assert.match(even.warnings[0], /2 members tolerate no more failures than 1 do/);
});

test("bad input is reported with every problem", () => {
    const { errors } = validateEtcdPlan(plan({
        members: [...members, { name: "E_4", address: "127.0.0.1" }, { name: "e5", address: "not-an-ip" }],
        initialMembers: ["e1", "e9"],
        clientPort: 2380,
        dataDir: "relative",
        extraFlags: { "--initial-cluster": "x", "bad flag": "y", "log-level": "a\nb" },
        network: "10.77.0.0/24",
        version: "latest",
        backup: { schedule: "", retention: 0, directory: "/var/backups/etcd" },
        certificateRotation: { e7: "1" },
    }));
    const expect = [
        /member name "E_4" must be a lower-case DNS label/, /address 127\.0\.0\.1 is a loopback address/, /"not-an-ip" is not an IP address/,
        /initialMembers names "e9"/, /clientPort and peerPort are both 2380/, /dataDir "relative" is not an absolute path/,
        /"initial-cluster" is set by the component/, /"bad flag" is not an etcd flag name/, /"log-level" contains a line break/,
        /version "latest"/, /retention 0/, /backup\.schedule/, /certificateRotation names "e7"/,
        /127\.0\.0\.1 is outside the hosts' network/,
    ];
    for (const re of expect) assert.ok(errors.some((e) => re.test(e)), `${re} in:\n${errors.join("\n")}`);
});

test("a member outside the network, or a broken network, is an error", () => {
    assert.match(validateEtcdPlan(plan({ network: "10.77.1.0/24" })).errors.join("\n"), /10\.77\.0\.11 is outside the hosts' network 10\.77\.1\.0\/24/);
    assert.match(validateEtcdPlan(plan({ network: "10.77.0.0" })).errors.join("\n"), /not a CIDR/);
    assert.deepEqual(validateEtcdPlan(plan({ network: "10.77.0.0/16" })).errors, []);
});
