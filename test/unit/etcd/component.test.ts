import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { installMockRuntime, settled, valueOf } from "../../../scripts/lib/mock-runtime";
import { standInOutputs } from "../../../scripts/lib/stand-in-outputs";

// A join step prints the initial cluster it read from the running cluster.
const joinOutputs = (args: pulumi.runtime.MockResourceArgs): Record<string, unknown> => {
    const joining = /^grow-(e\d)-join$/.exec(args.name);
    if (!joining) return {};
    return { stdout: `Member added\nETCD_INITIAL_CLUSTER=e1=https://10.77.0.11:2380,${joining[1]}=https://10.77.0.1${joining[1].slice(1)}:2380` };
};
const { registrations: registered } = installMockRuntime({ outputs: (args) => ({ ...standInOutputs(args), ...joinOutputs(args) }) });

import { EtcdCluster } from "../../../components/etcd";
import { sha256Hex } from "../../../components/host";

const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecretValue = (v: unknown): v is { value: unknown } =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === SECRET_SIG;
const plain = (v: unknown): unknown => (isSecretValue(v) ? v.value : v);

const host = (n: number) => ({ name: `e${n}`, address: `10.77.0.1${n}`, connection: { host: `10.77.0.1${n}`, user: "root" } });
const release = { version: "3.4.23", url: "http://10.77.0.1:8080/etcd.tar.gz", sha256: "a".repeat(64) };

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(r, `${name} is registered`);
    return r;
};
const has = (name: string) => registered.some((x) => x.name === name);
const dependsOn = (name: string, other: string) => named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));
const aliasParents = (name: string) => named(name).aliases.map((alias) => alias.parent);

const etcd = new EtcdCluster("etcd", { members: [1, 2, 3].map(host), release, network: "10.77.0.0/24" });
const given = new EtcdCluster("given", {
    members: [host(1)],
    release,
    ca: { certPem: "GIVEN-CA-CERT", privateKeyPem: pulumi.secret("GIVEN-CA-KEY") },
    extraServerSans: ["etcd.cluster.internal", "10.77.0.100"],
    certificateRotation: { e1: "2026-11" },
});
const grown = new EtcdCluster("grow", {
    members: [1, 2, 3, 4, 5].map(host),
    initialMembers: ["e1", "e2", "e3"],
    release,
    backup: { enabled: false },
});

test("every member gets release, certificates, files, unit, restart, wait and leave steps named after it", async () => {
    await settled();
    for (const m of ["e1", "e2", "e3"]) {
        for (const suffix of ["etcd-install", "server-cert", "peer-cert", "etcd-activate", "restart", "healthy-wait", "leave", "backup-timer-activate"]) {
            assert.ok(has(`etcd-${m}-${suffix}`), `etcd-${m}-${suffix}`);
        }
        for (const path of ["etc-etcd-etcd.env", "etc-etcd-initial-cluster.env", "etc-etcd-pki-server-key.pem", "usr-local-sbin-etcd-backup"]) {
            assert.ok(has(`etcd-${m}-${path}-write`), `etcd-${m}-${path}-write`);
        }
        assert.ok(!has(`etcd-${m}-join`), "members of a new cluster do not join");
    }
    assert.equal(registered.filter((r) => r.type === "k8s-binary:index:EtcdCluster").length, 5);
    assert.deepEqual(
        registered.filter((r) => r.type === "k8s-binary:index:EtcdMember" && r.name.startsWith("etcd-")).map((r) => r.name),
        ["etcd-e1", "etcd-e2", "etcd-e3"],
    );
    assert.ok(has("etcd-ca-cert"), "a CA is created when none is given");
});

test("a member's children keep the URNs they had as the cluster's children (an alias), so an existing cluster is adopted, not replaced", async () => {
    await settled();
    const cluster = "urn:pulumi:test::k8s-binary::k8s-binary:index:EtcdCluster::etcd";
    for (const child of [
        "etcd-e2-etcd",
        "etcd-e2-server",
        "etcd-e2-etc-etcd-etcd.env",
        "etcd-e2-restart",
        "etcd-e2-healthy",
        "etcd-e2-leave",
        "etcd-e2-backup-timer",
    ]) {
        assert.deepEqual(aliasParents(child), [cluster], child);
    }
    assert.deepEqual(aliasParents("etcd-e2"), [], "the member itself is new");
});

test("keys reach hosts as secrets on stdin and the client key output is secret", async () => {
    await settled();
    for (const key of ["etc-etcd-pki-server-key.pem", "etc-etcd-pki-peer-key.pem", "etc-etcd-pki-client-key.pem"]) {
        const write = named(`etcd-e1-${key}-write`);
        assert.ok(isSecretValue(write.inputs.stdin), `${key} is secret`);
        assert.match(String(write.inputs.create), /chmod '?0600'? /);
        assert.doesNotMatch(String(write.inputs.create), /PRIVATE-KEY/);
    }
    assert.ok(await pulumi.isSecret(etcd.clientKeyPem));
    assert.equal(await valueOf(etcd.clientKeyPem), "PRIVATE-KEY-OF-etcd-client-key");
    assert.ok(await pulumi.isSecret(etcd.clientCertPem), "the client certificate is a secret output too");
});

test("certificates: server for address, name, 127.0.0.1 and localhost with server and client auth; client cert for clients only", async () => {
    await settled();
    const csr = named("etcd-e2-server-csr").inputs;
    assert.deepEqual(csr.ipAddresses, ["10.77.0.12", "127.0.0.1"]);
    assert.deepEqual(csr.dnsNames, ["e2", "localhost"]);
    assert.deepEqual(
        named("etcd-e2-server-cert").inputs.allowedUses.filter((u: string) => u.endsWith("_auth")),
        ["server_auth", "client_auth"],
    );
    assert.deepEqual(named("etcd-e2-peer-csr").inputs.ipAddresses, ["10.77.0.12"]);
    assert.deepEqual(
        named("etcd-client-cert").inputs.allowedUses.filter((u: string) => u.endsWith("_auth")),
        ["client_auth"],
    );
});

test("configuration: initial-cluster from the members, TLS with client certificates on both sides", async () => {
    await settled();
    const env = String(plain(named("etcd-e1-etc-etcd-etcd.env-write").inputs.stdin));
    assert.match(env, /^ETCD_CLIENT_CERT_AUTH=true$/m);
    assert.match(env, /^ETCD_PEER_CLIENT_CERT_AUTH=true$/m);
    assert.match(env, /^ETCD_LISTEN_CLIENT_URLS=https:\/\/10\.77\.0\.11:2379,https:\/\/127\.0\.0\.1:2379$/m);
    const boot = String(plain(named("etcd-e3-etc-etcd-initial-cluster.env-write").inputs.stdin));
    assert.match(boot, /^ETCD_INITIAL_CLUSTER=e1=https:\/\/10\.77\.0\.11:2380,e2=https:\/\/10\.77\.0\.12:2380,e3=https:\/\/10\.77\.0\.13:2380$/m);
    assert.match(boot, /^ETCD_INITIAL_CLUSTER_STATE=new$/m);
    assert.match(boot, /^ETCD_INITIAL_CLUSTER_TOKEN=etcd$/m);
});

test("restarts roll: each member's restart waits for the previous member's health check", async () => {
    await settled();
    assert.ok(dependsOn("etcd-e2-restart", "etcd-e1-healthy-wait"));
    assert.ok(dependsOn("etcd-e3-restart", "etcd-e2-healthy-wait"));
    assert.ok(!dependsOn("etcd-e1-restart", "etcd-e3-healthy-wait"));
    assert.ok(dependsOn("etcd-e2-healthy-wait", "etcd-e2-restart"), "a member's wait follows its restart");
    // The restart runs only on update, driven by a fingerprint of what etcd reads.
    const restart = named("etcd-e2-restart").inputs;
    assert.equal(restart.create, undefined);
    assert.match(String(restart.update), /systemctl restart etcd\.service/);
    assert.match(String(plain(restart.stdin)), /^[0-9a-f]{64}$/);
    // Units start in parallel (a new cluster needs a quorum at once): no unit waits for another member.
    assert.ok(!dependsOn("etcd-e2-etcd-file-write", "etcd-e1-healthy-wait"));
    assert.ok(dependsOn("etcd-e2-etcd-file-write", "etcd-e2-etc-etcd-etcd.env-write"), "the unit is written after its config");
});

test("the unit text is the same on every member and says nothing member-specific", async () => {
    await settled();
    const units = ["e1", "e2", "e3"].map((m) => named(`etcd-${m}-etcd-file-write`).inputs.stdin);
    assert.equal(new Set(units).size, 1);
    assert.equal(typeof units[0], "string", "the unit text is not secret: the preview shows it");
    assert.match(units[0], /^Type=notify$/m);
    assert.match(units[0], /^EnvironmentFile=\/etc\/etcd\/etcd\.env$/m);
});

test("outputs resolve after the whole-cluster health check", async () => {
    await settled();
    assert.deepEqual(await valueOf(etcd.clientEndpoints), ["https://10.77.0.11:2379", "https://10.77.0.12:2379", "https://10.77.0.13:2379"]);
    const ready = named("etcd-healthy-wait");
    assert.ok(dependsOn("etcd-healthy-wait", "etcd-e3-healthy-wait"));
    assert.match(String(ready.inputs.create), /endpoint health --cluster/);
    assert.match(String(ready.inputs.create), /for m in e1 e2 e3/);
    assert.equal(await valueOf(etcd.caCertPem), "CERT-OF-etcd-ca-cert");
    assert.deepEqual(Object.keys(await valueOf(etcd.certificateExpiry)).sort(), [
        "client",
        "e1/peer",
        "e1/server",
        "e2/peer",
        "e2/server",
        "e3/peer",
        "e3/server",
    ]);
});

test("removal: the leave step depends on the unit, so it runs before the unit is stopped", async () => {
    await settled();
    const leave = named("etcd-e2-leave").inputs;
    assert.equal(leave.create, undefined);
    assert.match(String(leave.delete), /member remove/);
    // A leaving leader hands the lead over before it is removed: no election stalls the cluster.
    const script = String(leave.delete);
    const handOver = script.indexOf(" move-leader ");
    assert.ok(handOver >= 0 && handOver < script.indexOf(" member remove "), "move-leader before member remove");
    assert.match(String(leave.delete), /\$4 != p && \$3 != "" && \$6 != "true"/, "to a started voting member other than itself");
    assert.ok(dependsOn("etcd-e2-leave", "etcd-e2-etcd-activate"));
});

test("growing: new members join one at a time after the running cluster is healthy", async () => {
    await settled();
    for (const m of ["e1", "e2", "e3"]) assert.ok(!has(`grow-${m}-join`));
    const join4 = named("grow-e4-join").inputs;
    assert.match(String(join4.create), /member add "\$name"/);
    assert.match(String(join4.create), /10\.77\.0\.13:2379/);
    assert.doesNotMatch(String(join4.create), /10\.77\.0\.15:2379/, "e5 is not running yet when e4 joins");
    assert.ok(dependsOn("grow-e4-join", "grow-e3-healthy-wait"));
    assert.ok(dependsOn("grow-e5-join", "grow-e4-healthy-wait"), "e5 joins only after e4 is healthy");
    assert.match(String(named("grow-e5-join").inputs.create), /10\.77\.0\.14:2379/);
    const boot = String(plain(named("grow-e4-etc-etcd-initial-cluster.env-write").inputs.stdin));
    assert.match(boot, /^ETCD_INITIAL_CLUSTER=e1=https:\/\/10\.77\.0\.11:2380,e4=https:\/\/10\.77\.0\.14:2380$/m);
    assert.match(boot, /^ETCD_INITIAL_CLUSTER_STATE=existing$/m);
    assert.ok(dependsOn("grow-e4-etcd-file-write", "grow-e4-join"), "the new member starts after it was added");
    // The initial members' first-start file names only the initial members: adding hosts changes nothing on them.
    const initialBoot = String(plain(named("grow-e1-etc-etcd-initial-cluster.env-write").inputs.stdin));
    assert.doesNotMatch(initialBoot, /e4=/);
    assert.ok(!has("grow-e1-backup-timer-activate"), "backup can be turned off");
    assert.deepEqual(grown.memberNames, ["e1", "e2", "e3", "e4", "e5"]);
});

test("a given CA signs the certificates and none is created; extra SANs reach the server certificate only", async () => {
    await settled();
    assert.ok(!has("given-ca-cert"));
    assert.equal(named("given-e1-server-cert").inputs.caCertPem, "GIVEN-CA-CERT");
    assert.ok(isSecretValue(named("given-e1-server-cert").inputs.caPrivateKeyPem));
    assert.deepEqual(named("given-e1-server-csr").inputs.dnsNames, ["e1", "localhost", "etcd.cluster.internal"]);
    assert.deepEqual(named("given-e1-server-csr").inputs.ipAddresses, ["10.77.0.11", "127.0.0.1", "10.77.0.100"]);
    assert.deepEqual(named("given-e1-peer-csr").inputs.dnsNames, ["e1"]);
    assert.equal(await valueOf(given.caCertPem), "GIVEN-CA-CERT");
    assert.deepEqual(given.memberNames, ["e1"]);
});

test("an even member count is accepted with a warning", () => {
    const warned: string[] = [];
    const warn = console.warn;
    // Without an engine, the runtime's log.warn goes to console.warn.
    console.warn = (msg: string) => warned.push(msg);
    try {
        new EtcdCluster("even", { members: [1, 2, 3, 4].map(host), release });
    } finally {
        console.warn = warn;
    }
    assert.deepEqual(warned, ["warning: [runtime] EtcdCluster even: members: 4 members tolerate no more failures than 3 do (quorum 3) (use an odd count)"]);
});

test("bad input fails with one ResourceError listing every problem at its Args path, before any child is declared", async () => {
    assert.throws(
        () =>
            new EtcdCluster("bad", {
                members: [host(1), host(1), { ...host(2), address: "192.168.80.20" }],
                release: { ...release, sha256: "nope" },
                network: "10.77.0.0/24",
                extraFlags: { "data-dir": "/x" },
                initialMembers: ["e1", "e9"],
            }),
        (e: Error) => {
            assert.ok(pulumi.ResourceError.isInstance(e), "a pulumi.ResourceError, naming the component");
            assert.match(e.message, /^EtcdCluster bad: invalid arguments, 6 problems\n/);
            for (const line of [
                /- members\[1\]\.name: "e1" is listed more than once \(fix: /,
                /- members\[1\]\.address: 10\.77\.0\.11 is used by more than one member/,
                /- members\[2\]\.address: 192\.168\.80\.20 is outside the hosts' network 10\.77\.0\.0\/24/,
                /- initialMembers\[1\]: "e9" is not in members/,
                /- extraFlags\.data-dir: "data-dir" is set by the component/,
                /- release\.sha256: "nope"/,
            ])
                assert.match(e.message, line);
            return true;
        },
    );
    await settled();
    assert.deepEqual(
        registered.filter((r) => r.name === "bad" || r.name.startsWith("bad-")).map((r) => `${r.type} ${r.name}`),
        ["k8s-binary:index:EtcdCluster bad"],
        "the component is registered (the error names it), none of its children",
    );
});

// A release installed by someone else (the cluster's one install per host), handed over as handles.
class Install extends pulumi.CustomResource {}
const installCommand = new Install("test:index:Install", "shared-etcd-install", {});
const handle = (member: string) => ({
    name: "etcd",
    version: release.version,
    installDir: `/opt/k8s-binary/etcd/${release.version}`,
    paths: { etcd: "/usr/local/bin/etcd", etcdctl: "/usr/local/bin/etcdctl" },
    checksum: pulumi.output(`CHECKSUM-ON-${member}`),
    command: installCommand,
});
new EtcdCluster("inst", {
    members: [1, 2, 3].map(host),
    release,
    backup: { enabled: false },
    installed: Object.fromEntries(["e1", "e2", "e3"].map((m) => [m, handle(m)])),
});

test("with installed releases no BinaryRelease is declared; members start after the handle and restart on its checksum", async () => {
    await settled();
    const mine = registered.filter((r) => r.name.startsWith("inst-"));
    assert.ok(mine.length > 0);
    assert.deepEqual(
        mine.filter((r) => r.type === "k8s-binary:index:BinaryRelease").map((r) => r.name),
        [],
    );
    assert.ok(dependsOn("inst-e2-etcd-file-write", "shared-etcd-install"), "the unit is written after the install");
    // The restart fingerprint is the handle's checksum, then the hashes of what etcd reads (see EtcdMember).
    const hash = (path: string) => sha256Hex(String(plain(named(`inst-e2-${path}-write`).inputs.stdin)));
    const parts = [
        "CHECKSUM-ON-e2",
        ...[
            "etc-etcd-etcd.env",
            "etc-etcd-pki-ca.pem",
            "etc-etcd-pki-server.pem",
            "etc-etcd-pki-server-key.pem",
            "etc-etcd-pki-peer.pem",
            "etc-etcd-pki-peer-key.pem",
        ].map(hash),
    ];
    const expected = sha256Hex(parts.map((p) => `${p.length}:${p}`).join("\n"));
    assert.equal(plain(named("inst-e2-restart").inputs.stdin), expected);
});

const rsa = new EtcdCluster("rsa", { members: [host(1)], release, keyAlgorithm: "RSA" });

test("keyAlgorithm reaches every key the component issues: its CA, each member's server and peer keys, the client key", async () => {
    await settled();
    const keys = registered.filter((r) => r.type === "tls:index/privateKey:PrivateKey" && r.name.startsWith("rsa-"));
    assert.deepEqual(keys.map((k) => k.name).sort(), ["rsa-ca-key", "rsa-client-key", "rsa-e1-peer-key", "rsa-e1-server-key"]);
    for (const k of keys) assert.equal(k.inputs.algorithm, "RSA", k.name);
    assert.equal(named("etcd-e1-server-key").inputs.algorithm, "ECDSA", "ECDSA P-256 by default");
    assert.ok(rsa.memberNames.length === 1);
});

test("the client bundle is one secret value, resolving after the whole-cluster health check", async () => {
    await settled();
    assert.ok(await pulumi.isSecret(etcd.clientBundle));
    assert.deepEqual(await valueOf(etcd.clientBundle), {
        endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379", "https://10.77.0.13:2379"],
        caCertPem: "CERT-OF-etcd-ca-cert",
        clientCertPem: "CERT-OF-etcd-client-cert",
        clientKeyPem: "PRIVATE-KEY-OF-etcd-client-key",
    });
});
