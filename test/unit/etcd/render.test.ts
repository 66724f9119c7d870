import { test } from "node:test";
import assert from "node:assert/strict";
import { renderBackupScript, renderBackupTimer } from "../../../components/etcd/render-backup";
import { envValue, flagToEnvName, renderBootstrapEnv, renderInitialCluster, renderMemberEnv } from "../../../components/etcd/render-env";
import { renderMembersHealthyCheck } from "../../../components/etcd/render-health";
import { parseJoinOutput } from "../../../components/etcd/render-scripts";

const members = [
    { name: "e1", address: "10.77.0.11" },
    { name: "e2", address: "10.77.0.12" },
    { name: "e3", address: "10.77.0.13" },
];

test("initial-cluster keeps the member order and brackets IPv6", () => {
    assert.equal(renderInitialCluster(members, 2380), "e1=https://10.77.0.11:2380,e2=https://10.77.0.12:2380,e3=https://10.77.0.13:2380");
    assert.equal(renderInitialCluster([{ name: "v6", address: "fd00::1" }], 2380), "v6=https://[fd00::1]:2380");
});

test("the member file is deterministic, sorts extra flags and quotes only what needs it", () => {
    const cluster = {
        clientPort: 2379,
        peerPort: 2380,
        dataDir: "/var/lib/etcd",
        extraFlags: { "quota-backend-bytes": "8589934592", "auto-compaction-mode": "periodic" },
    };
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
