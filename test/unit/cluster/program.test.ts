// The program (index.ts) on the mock runtime with the seed 001 example stack: what it declares,
// once per host, in which order, and with which secrets.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";

const registered = recordingMocks();
const stack = parse(readFileSync(join(__dirname, "../../../stacks/Pulumi.seed001.yaml"), "utf8")).config;
const cluster = stack["k8s-binary:cluster"];
const keyDir = mkdtempSync(join(tmpdir(), "k8s-binary-cluster-"));
after(() => rmSync(keyDir, { recursive: true, force: true }));
const keyFile = join(keyDir, "id_ed25519");
writeFileSync(keyFile, "-----BEGIN OPENSSH PRIVATE KEY-----\nunit-test-key\n-----END OPENSSH PRIVATE KEY-----\n");
cluster.ssh.privateKeyPath = keyFile;
pulumi.runtime.setAllConfig({ "k8s-binary:cluster": JSON.stringify(cluster) });

const hostNames: string[] = cluster.hosts.map((h: { name: string }) => h.name);
const withRole = (role: string): string[] => cluster.hosts.filter((h: { roles: string[] }) => h.roles.includes(role)).map((h: { name: string }) => h.name);

test("the seed 001 program declares every host's preparation once, etcd on the etcd hosts, the LB on the lb hosts", async () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- the program runs now, after the mocks and the stack config are set
    const program = require("../../../index");
    await settled();
    const names = registered.map((r) => `${r.type}::${r.name}`);
    assert.equal(new Set(names).size, names.length, "no two resources share a type and name");

    const kernelSteps = registered
        .filter((r) => r.name.endsWith("-prep-kernel"))
        .map((r) => r.name)
        .sort();
    assert.deepEqual(kernelSteps, hostNames.map((h) => `${h}-prep-kernel`).sort(), "one HostPrep per host, colocated roles or not");
    const blocks = new Set(registered.filter((r) => r.name.endsWith("-prep-etc-hosts")).map((r) => r.inputs.stdin));
    assert.equal(blocks.size, 1, "every host gets the same /etc/hosts block");
    assert.match([...blocks][0], /192\.168\.80\.10 master01\n/);

    const etcdEnvWrites = registered.filter((r) => r.type === "command:remote:Command" && /-etc-etcd-/.test(r.name) && /-write$/.test(r.name));
    for (const h of withRole("etcd"))
        assert.ok(
            etcdEnvWrites.some((r) => r.name.startsWith(`${h}-`) || r.name.includes(`-${h}-`)),
            `etcd files on ${h}`,
        );
    for (const h of hostNames.filter((n) => !withRole("etcd").includes(n))) {
        assert.ok(!etcdEnvWrites.some((r) => r.name.includes(h)), `no etcd files on ${h}`);
    }

    const etcd = registered.find((r) => r.type === "k8s-binary:index:EtcdCluster")!;
    for (const h of withRole("etcd")) {
        assert.ok(
            etcd.dependencies.some((u) => u.endsWith(`::${h}-prep-time-sync`)),
            `etcd waits for ${h}'s preparation`,
        );
    }
    assert.ok(!etcd.dependencies.some((u) => u.includes("::lb01-prep")), "and not for the LB hosts'");
    const lb = registered.find((r) => r.type === "k8s-binary:index:NginxKeepalivedLB");
    assert.ok(lb, "the LB is declared");

    const fw = (h: string) => String(registered.find((r) => r.name === `${h}-prep-firewall`)!.inputs.create);
    assert.match(fw("master01"), /--add-port=2379\/tcp[\s\S]*--add-port=6443\/tcp/);
    assert.doesNotMatch(fw("lb01"), /2379/);
    assert.match(fw("lb01"), /--add-protocol=vrrp/);
    assert.match(fw("node01"), /--add-port=8472\/udp/);

    assert.equal(await new Promise((r) => program.apiserverEndpoint.apply(r)), "https://192.168.80.100:6443");
    assert.deepEqual(await new Promise((r) => program.versions.apply(r)), {
        kubernetes: "1.36.0",
        kubernetesNode: "1.36.0",
        etcd: "3.6.14",
        containerd: "2.3.4",
        runc: "1.4.3",
        cniPlugins: "1.9.1",
    });
    const sshKeyUses = registered.filter((r) => r.type === "command:remote:Command" && JSON.stringify(r.inputs.create ?? "").includes("unit-test-key"));
    assert.deepEqual(sshKeyUses, [], "the SSH key is never in a command line");

    // Every node drains on removal with kubectl from the server tarball, as the node-drainer identity.
    const nodeHosts = [...new Set([...withRole("worker"), ...withRole("control-plane")])].sort();
    const removals = registered.filter((r) => r.name.endsWith("-removal"));
    assert.deepEqual(removals.map((r) => r.name.replace(/^.*-node-/, "").replace(/-removal$/, "")).sort(), nodeHosts);
    for (const r of removals) assert.match(String(r.inputs.delete), /\/kubectl --kubeconfig "\$kubeconfig"/);
    const drainer = registered.find((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding" && r.name.endsWith("-node-drainer"));
    assert.ok(drainer, "the drainer's binding is declared");
    // And before an upgrade of its kubelet, one node at a time (nodes.upgrade.maxUnavailable's default).
    const drains = registered.filter((r) => r.name.endsWith("-upgrade-drain"));
    assert.deepEqual(drains.map((r) => r.name.replace(/^.*-node-/, "").replace(/-upgrade-drain$/, "")).sort(), nodeHosts);
    for (const r of drains) assert.deepEqual([...new Set(String(r.inputs.update).match(/k8s-binary-node-upgrade-\d+/g))], ["k8s-binary-node-upgrade-0"]);
    const slotRole = registered.find((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:Role" && r.name.endsWith("-node-drainer-upgrade-slots"));
    assert.deepEqual((slotRole?.inputs.rules as { resourceNames?: string[] }[])[1].resourceNames, ["k8s-binary-node-upgrade-0"]);
});
