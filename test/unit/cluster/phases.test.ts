// KubernetesCluster as the phases of a deploy, on the mock runtime: host plans first, then etcd,
// then the load balancer, each after its own hosts' preparation; a host holding etcd, control
// plane and worker roles installs each artifact once, with the binaries of every role.
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { installMockRuntime, settled } from "../../../scripts/lib/mock-runtime";
import { standInOutputs } from "../../../scripts/lib/stand-in-outputs";
import { unwrap } from "../../../scripts/lib/rpc-values";

const mock = installMockRuntime({ outputs: standInOutputs });

import { clusterHosts, KubernetesCluster, parseClusterSpec } from "../../../components";

const raw = parse(readFileSync(join(__dirname, "../../../stacks/Pulumi.seed001.yaml"), "utf8")).config["k8s-binary:cluster"];
// master01 as the modern default has it: a control plane that is also a node.
raw.hosts.find((h: { name: string }) => h.name === "master01").roles = ["etcd", "control-plane", "worker"];
const { spec } = parseClusterSpec(raw);
new KubernetesCluster("seed001", { spec, hosts: clusterHosts(spec, { privateKey: pulumi.secret("unit-test-key") }) });

const byType = (type: string) => mock.registrations.filter((r) => r.type === `k8s-binary:index:${type}`);
const index = (type: string, name?: string) =>
    mock.registrations.findIndex((r) => r.type === `k8s-binary:index:${type}` && (name === undefined || r.name === name));

test("the phases run in order: host plans, etcd, load balancer", async () => {
    await settled();
    const hostPlans = byType("HostPlan").map((r) => r.name);
    assert.deepEqual(
        hostPlans,
        spec.hosts.map((h) => h.name),
        "one host plan per host, in spec order",
    );
    const lastHostPlan = Math.max(...hostPlans.map((n) => index("HostPlan", n)));
    assert.ok(lastHostPlan < index("EtcdCluster") && index("EtcdCluster") < index("NginxKeepalivedLB"), "registered in phase order");

    const prepReady = (host: string) => mock.registrations.find((r) => r.name === `${host}-prep-time-sync`)!.urn;
    const etcd = byType("EtcdCluster")[0];
    assert.deepEqual(
        etcd.dependencies.filter((u) => u.includes("-prep-")).sort(),
        ["master01", "node01", "node02"].map(prepReady).sort(),
        "etcd waits for its hosts' preparation only",
    );
    const lb = byType("NginxKeepalivedLB")[0];
    assert.deepEqual(
        lb.dependencies.filter((u) => u.includes("-prep-")).sort(),
        ["lb01", "lb02"].map(prepReady).sort(),
        "the LB waits for its hosts' preparation only",
    );
});

test("a host with etcd, control plane and worker roles installs each artifact once, with every role's binaries", async () => {
    await settled();
    const releases = byType("BinaryRelease").filter((r) => mock.outputs.get(r.urn)?.facts?.host === "master01");
    const facts = releases.map((r) => mock.outputs.get(r.urn)!.facts as { name: string; binaries: string[] });
    assert.deepEqual(facts.map((f) => f.name).sort(), ["cni-plugins", "containerd", "etcd", "kubernetes-server", "runc"]);
    const server = facts.find((f) => f.name === "kubernetes-server")!;
    assert.deepEqual([...server.binaries].sort(), ["kube-apiserver", "kube-controller-manager", "kube-proxy", "kube-scheduler", "kubectl", "kubelet"]);
    assert.equal(
        byType("BinaryRelease").filter((r) => r.parent.endsWith("EtcdCluster::seed001-etcd") || r.name.includes("seed001-etcd")).length,
        0,
        "etcd installs nothing itself",
    );

    const etcdUnit = byType("SystemdUnit").find((r) => r.name === "seed001-etcd-master01-etcd")!;
    const etcdRelease = releases.find((r) => r.name === "master01-etcd-3.6.14")!;
    const install = mock.registrations.find((r) => r.name === "master01-etcd-3.6.14-install")!;
    assert.ok(etcdUnit && etcdRelease && install);
    // The unit file is written only once the install is done (its content waits on the install's checksum).
    const unitWrite = mock.registrations.find((r) => r.name === "seed001-etcd-master01-etcd-file-write")!;
    assert.ok(unitWrite.dependencies.includes(install.urn), "the member's unit waits for the host plan's install");
});

test("the pod network after the nodes, CoreDNS after the pod network", async () => {
    await settled();
    const flannel = byType("FlannelNetwork")[0];
    assert.ok(flannel, "one FlannelNetwork");
    const lastNode = Math.max(...byType("WorkerNode").map((r) => index("WorkerNode", r.name)));
    assert.ok(lastNode < index("FlannelNetwork"), "registered after the nodes");
    // Each node's first flannel step waits for that node's kubelet and kube-proxy to be ready.
    const read = mock.registrations.find((r) => r.name === "seed001-flannel-node01-settings-read")!;
    assert.ok(
        read.dependencies.some((u) => u.endsWith("::seed001-node-node01-kube-proxy-healthy-wait")),
        read.dependencies.join("\n"),
    );
    const coredns = mock.registrations.find((r) => r.type === "kubernetes:apps/v1:Deployment" && r.name === "seed001-coredns")!;
    assert.ok(
        coredns.dependencies.some((u) => u.endsWith("::seed001-flannel-node01-subnet")),
        "CoreDNS waits for each node's flannel subnet check",
    );
});

test("containerd looks for CNI plugins in the release's folder and where the DaemonSet puts flannel's", async () => {
    await settled();
    const config = mock.registrations.find((r) => r.name === "seed001-node-node01-etc-containerd-config.toml-write")!;
    assert.match(String(unwrap(config.inputs.stdin)), /bin_dirs = \['\/opt\/k8s-binary\/cni-plugins\/1\.9\.1', '\/opt\/cni\/bin'\]/);
});

test("every release install, on every host, waits for the version guard of every host running Kubernetes", async () => {
    await settled();
    const guards = mock.registrations.filter((r) => r.name.endsWith("-kubernetes-version"));
    assert.deepEqual(
        guards.map((g) => g.name),
        ["master01", "master02", "node01", "node02"].map((h) => `${h}-kubernetes-version`),
        "one guard per control-plane or node host; none on the load balancers",
    );
    assert.equal(guards[0].inputs.create, guards[0].inputs.update, "the same check on create and on update");
    assert.match(String(guards[0].inputs.create), /apiserver=/);
    for (const g of guards)
        assert.match(String(g.inputs.delete), /rm -f \/etc\/kubernetes\/k8s-binary-versions\n/, `${g.name} removes its record when the host leaves`);
    const releases = byType("BinaryRelease");
    assert.ok(releases.length > 0);
    for (const r of releases) for (const g of guards) assert.ok(r.dependencies.includes(g.urn), `${r.name} after ${g.name}`);
});
