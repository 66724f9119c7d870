import { test } from "node:test";
import assert from "node:assert/strict";
import { parseClusterSpec } from "../../../components/cluster-spec";
import { parseArgs } from "../../../scripts/sandbox/options";
import { changeSummary, phaseOf, progressLine } from "../../../scripts/sandbox/progress";
import { sandboxSpec, TOPOLOGIES, type TopologyName } from "../../../scripts/sandbox/topology";
import type { Operation } from "../../../test/support/engine";

const started = (names: string[]) => ({
    hosts: names.map((name, i) => ({
        name,
        address: `10.77.5.${11 + i}`,
        hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHmXRtGSfHIHFHmNqCAtoUF4eVPAZ9PP0ilkYuHw0ZV0",
    })),
    subnet: "10.77.5.0/24",
    podCidr: "10.77.224.0/20",
    serviceCidr: "10.77.240.0/24",
    vip: "10.77.5.100",
    privateKeyPath: "/nonexistent/id_ed25519",
});
const sha = (c: string) => c.repeat(64);
const binaries = (flannel: boolean) => ({
    kubernetes: { version: "1.37.2", baseUrl: "http://10.77.5.1:8000/kubernetes", serverTarball: { sha512: sha("a").repeat(2) } },
    etcd: { version: "3.6.16", sha256: sha("b"), localPath: "/tmp/etcd" },
    containerd: { version: "2.4.2", baseUrl: "http://10.77.5.1:8000/containerd", sha256: sha("c") },
    runc: { version: "1.5.2", baseUrl: "http://10.77.5.1:8000/runc", sha256: sha("d") },
    cniPlugins: { version: "1.10.0", baseUrl: "http://10.77.5.1:8000/cni-plugins", sha256: sha("e") },
    ...(flannel
        ? {
              flannel: { version: "0.28.10", baseUrl: "http://10.77.5.1:8000/flannel", sha256: sha("f") },
              flannelCniPlugin: { version: "0.9.1", baseUrl: "http://10.77.5.1:8000/flannel-cni-plugin", sha256: sha("0") },
          }
        : {}),
});
const image = (ref: string) => ({ ref, file: "x.tar", sha256: sha("1"), digest: `sha256:${sha("2")}` });
const images = ["registry.k8s.io/pause:3.10.2", "ghcr.io/flannel-io/flannel:v0.28.10", "ghcr.io/flannel-io/flannel-cni-plugin:v0.9.1"].map(image);

test("every topology and flannel mode makes a spec the program accepts", () => {
    for (const topology of Object.keys(TOPOLOGIES) as TopologyName[]) {
        for (const flannel of ["daemonset", "systemd-kube", "systemd-etcd"] as const) {
            const names = TOPOLOGIES[topology].hosts.map((h) => h.name);
            const spec = sandboxSpec(
                TOPOLOGIES[topology],
                { flannel, backend: "vxlan" },
                started(names),
                binaries(flannel !== "daemonset"),
                images,
                "http://10.77.5.1:8000",
            );
            const { spec: parsed } = parseClusterSpec(spec, { source: `${topology}/${flannel}` });
            assert.deepEqual(
                parsed.hosts.map((h) => [h.name, h.address]),
                names.map((n, i) => [n, `10.77.5.${11 + i}`]),
            );
            assert.equal(parsed.flannel.mode, flannel);
            assert.equal(parsed.loadBalancer?.vip, topology === "seed001" ? "10.77.5.100" : undefined);
            // flannel's images only where the DaemonSet runs it.
            assert.equal(
                parsed.nodes.images.some((i) => i.ref.includes("flannel")),
                flannel === "daemonset",
            );
        }
    }
});

test("seed001 is seed 001's roles", () => {
    const roles = Object.fromEntries(TOPOLOGIES.seed001.hosts.map((h) => [h.name, h.roles.join("+")]));
    assert.deepEqual(roles, {
        master01: "etcd+control-plane",
        master02: "control-plane",
        node01: "etcd+worker",
        node02: "etcd+worker",
        lb01: "lb",
        lb02: "lb",
    });
});

test("the command line: commands, options of up, and clear refusals", () => {
    assert.deepEqual(parseArgs(["up"]), { command: "up", options: {} });
    assert.deepEqual(parseArgs(["up", "--topology", "small", "--flannel=systemd-etcd", "--backend", "host-gw"]), {
        command: "up",
        options: { topology: "small", flannel: "systemd-etcd", backend: "host-gw" },
    });
    assert.deepEqual(parseArgs(["down"]), { command: "down", options: {} });
    assert.throws(() => parseArgs([]), /^Error: usage: npm run sandbox -- <command>/);
    assert.throws(() => parseArgs(["destroy"]), /unknown command "destroy"/);
    assert.throws(() => parseArgs(["up", "--topology", "huge"]), /--topology takes one of seed001, small; got huge/);
    assert.throws(() => parseArgs(["up", "--flannel"]), /--flannel takes one of daemonset, systemd-kube, systemd-etcd; got nothing/);
    assert.throws(() => parseArgs(["up", "--nodes", "3"]), /unknown option "--nodes"/);
    assert.throws(() => parseArgs(["preview", "--topology", "small"]), /--topology is an option of up only/);
});

test("progress names the phase of a step from its URN, the host by name, and failures", () => {
    const urn = (types: string, name: string) => `urn:pulumi:sandbox::k8s-binary::${types}::${name}`;
    const cluster = "k8s-binary:index:KubernetesCluster";
    assert.equal(phaseOf(urn(`${cluster}$k8s-binary:index:EtcdCluster$k8s-binary:index:EtcdMember$command:remote:Command`, "e")), "etcd");
    assert.equal(phaseOf(urn(`${cluster}$k8s-binary:index:HostPlan$k8s-binary:index:HostPrep$command:remote:Command`, "p")), "hosts");
    assert.equal(phaseOf(urn(`${cluster}$k8s-binary:index:WorkerNode$command:remote:Command`, "w")), "nodes");
    assert.equal(phaseOf(urn(`${cluster}$kubernetes:apps/v1:Deployment`, "coredns")), "cluster");
    const entry = {
        urn: urn(`${cluster}$k8s-binary:index:ControlPlane$command:remote:Command`, "sandbox-cp-master01-apiserver-unit"),
        host: "10.77.5.11",
        phase: "create" as const,
        commandLine: "",
        exitCode: 0,
        durationMs: 5,
        logged: "",
    };
    const names = new Map([["10.77.5.11", "master01"]]);
    assert.equal(progressLine(entry, 83_000, names), "   1:23  control plane  master01   create sandbox-cp-master01-apiserver-unit");
    assert.match(progressLine({ ...entry, exitCode: 1 }, 0, names), / {2}FAILED \(exit 1\)$/);
    assert.match(progressLine({ ...entry, host: "localhost" }, 0, names), /control plane {2}local {5}/);
});

test("the summary counts changes, not unchanged steps", () => {
    const op = (o: Operation["op"], type = "command:remote:Command"): Operation => ({ urn: "u", type, name: "n", op: o, commandLines: [] });
    assert.equal(changeSummary([op("same"), op("same", "pulumi:pulumi:Stack")]), "no changes");
    assert.equal(changeSummary([op("create"), op("create"), op("update"), op("same"), op("create", "pulumi:pulumi:Stack")]), "2 create, 1 update");
});
