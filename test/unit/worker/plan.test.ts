import { test } from "node:test";
import assert from "node:assert/strict";
import type { WorkerNodeArgs } from "../../../components/worker/args";
import { CNI_PLUGINS, kubeletMaySetLabel, NODE_BINARIES, planWorkerNode } from "../../../components/worker/plan";
import type { InstalledRelease } from "../../../components/host";
import type { Issue } from "../../../components/host/issues";
import { tarballRelease } from "../../support/releases";

const ALL = [...NODE_BINARIES, ...CNI_PLUGINS];
const release = tarballRelease("node", [...ALL]);
const args = (over: Partial<WorkerNodeArgs> = {}): WorkerNodeArgs => ({
    host: { name: "w1", address: "10.77.0.21", connection: { host: "10.77.0.21" } },
    version: "1.37.2",
    release: [release],
    endpoint: { host: "10.77.0.100" },
    ca: undefined as never,
    bootstrapToken: "abcdef.0123456789abcdef",
    ...over,
});
const show = (issues: Issue[]) => issues.map((i) => `${i.path}: ${i.message}`).join("\n");
/** The issues of `over`; each must have a message and a hint. */
const issuesOf = (over: Partial<WorkerNodeArgs>) => {
    const { issues } = planWorkerNode("main", args(over));
    for (const i of issues) assert.ok(i.message.length > 0 && i.hint.length > 0, show([i]));
    return issues;
};
/** Exactly the one issue at `path`, whose message matches. */
const only = (over: Partial<WorkerNodeArgs>, path: string, re: RegExp) => {
    const issues = issuesOf(over);
    assert.equal(issues.length, 1, `${JSON.stringify(over)}:\n${show(issues)}`);
    assert.equal(issues[0].path, path, show(issues));
    assert.match(issues[0].message, re);
};

test("a sound plan has no issues and applies every default", () => {
    const { plan, issues, warnings } = planWorkerNode("main", args());
    assert.deepEqual(issues, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(plan, {
        name: "w1",
        address: "10.77.0.21",
        nodeIp: "10.77.0.21",
        controlPlane: false,
        version: "1.37.2",
        minor: 37,
        containerdVersion: "2.4.2",
        containerdConfigVersion: 4,
        endpoint: { host: "10.77.0.100", port: 6443, url: "https://10.77.0.100:6443" },
        clusterName: "kubernetes",
        podCidr: "10.244.0.0/16",
        serviceCidr: "10.96.0.0/12",
        clusterDns: "10.96.0.10",
        clusterDomain: "cluster.local",
        sandboxImage: "registry.k8s.io/pause:3.10.2",
        cniBinDir: "/opt/cni/bin",
        extraCniBinDirs: [],
        cgroupV1: false,
        restrictOomScoreAdj: false,
        proxy: { mode: "iptables" },
        labels: {},
        taints: [],
    });
});

test("given values pass through; a control-plane host gets its taint first", () => {
    const { plan, issues } = planWorkerNode(
        "main",
        args({
            controlPlane: true,
            nodeIp: "10.77.1.21",
            containerdVersion: "2.1.4",
            endpoint: { host: "k8s.example.com", port: 443 },
            clusterName: "lab",
            podCidr: "10.77.224.0/20",
            serviceCidr: "10.77.240.0/24",
            clusterDomain: "corp.internal",
            podSubnet: "10.77.225.0/24",
            sandboxImage: "mirror.local:5000/pause@sha256:" + "b".repeat(64),
            cniBinDir: "/usr/lib/cni",
            cgroupV1: true,
            restrictOomScoreAdj: true,
            proxy: { mode: "nftables", conntrackMaxPerCore: 0 },
            labels: { "example.com/rack": "r1", "node.kubernetes.io/pool": "edge" },
            taints: [{ key: "example.com/gpu", value: "true", effect: "NoExecute" }],
        }),
    );
    assert.deepEqual(issues, []);
    assert.equal(plan.nodeIp, "10.77.1.21");
    assert.equal(plan.containerdConfigVersion, 3, "containerd before 2.3 reads schema 3");
    assert.equal(plan.endpoint.url, "https://k8s.example.com:443");
    assert.equal(plan.clusterDns, "10.77.240.10");
    assert.equal(plan.podSubnet, "10.77.225.0/24");
    assert.deepEqual(plan.proxy, { mode: "nftables", conntrackMaxPerCore: 0 });
    assert.deepEqual(plan.taints, [
        { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
        { key: "example.com/gpu", value: "true", effect: "NoExecute" },
    ]);
    assert.deepEqual(Object.keys(plan.labels), ["example.com/rack", "node.kubernetes.io/pool"]);
    assert.equal(planWorkerNode("main", args({ serviceCidr: "10.77.240.0/28" })).plan.clusterDns, "10.77.240.10", "a /28 still has a 10th address");
    assert.equal(
        planWorkerNode("main", args({ serviceCidr: "10.77.240.0/29" })).plan.clusterDns,
        "10.77.240.2",
        "a tiny block falls back to its second address",
    );
});

test("every check reports at its path", () => {
    only({ host: { name: "W_1", address: "10.77.0.21", connection: { host: "x" } } }, "host.name", /not a lower-case DNS name/);
    only({ host: { name: "w1", address: "root@10.77.0.21", connection: { host: "x" } } }, "host.address", /holds a user/);
    only({ host: { name: "w1", address: "127.0.0.1", connection: { host: "x" } } }, "host.address", /loopback/);
    only({ nodeIp: "10.77.0" }, "nodeIp", /not an IPv4 address/);
    only({ version: "v1.37" }, "version", /not a version/);
    only({ version: "1.30.4" }, "version", /older than 1\.31/);
    only({ containerdVersion: "1.7.28" }, "containerdVersion", /not a 2\.x release/);
    only({ containerdVersion: "2.4" }, "containerdVersion", /not a version/);
    only({ release: undefined }, "release", /neither/);
    only({ installed: [] }, "installed", /both/);
    only({ release: [{ ...release, binaries: ALL.filter((b) => b !== "runc") }] }, "release", /no release holds runc/);
    only({ endpoint: { host: "10.77.0.100:6443" } }, "endpoint.host", /holds a port/);
    only({ endpoint: { host: "169.254.0.1" } }, "endpoint.host", /link-local/);
    only({ endpoint: { host: "10.77.0.100", port: 0 } }, "endpoint.port", /not a TCP port/);
    only({ clusterName: "Lab" }, "clusterName", /not a DNS name/);
    only({ podCidr: "10.244.0.0" }, "podCidr", /not an IPv4 CIDR/);
    only({ podCidr: "10.244.1.0/16" }, "podCidr", /host bits set/);
    only({ serviceCidr: "127.0.0.0/16" }, "serviceCidr", /loopback/);
    only({ podCidr: "10.96.0.0/16" }, "podCidr", /overlaps serviceCidr/);
    only({ clusterDns: "10.96.0.1" }, "clusterDns", /taken by the `kubernetes` Service/);
    only({ clusterDns: "10.96.0.0" }, "clusterDns", /network or broadcast/);
    only({ clusterDns: "10.112.0.10" }, "clusterDns", /outside serviceCidr/);
    only({ clusterDns: "dns" }, "clusterDns", /not an IPv4 address/);
    only({ clusterDomain: "Cluster.Local" }, "clusterDomain", /not a lower-case DNS name/);
    only({ nodeIp: "10.244.3.1" }, "nodeIp", /inside podCidr/);
    only({ host: { name: "w1", address: "10.96.0.5", connection: { host: "x" } } }, "host.address", /inside serviceCidr/);
    only({ podSubnet: "10.245.0.0/24" }, "podSubnet", /not inside podCidr/);
    only({ podSubnet: "10.244.1.0/29" }, "podSubnet", /too few/);
    only({ podSubnet: "10.244.1.1/24" }, "podSubnet", /host bits/);
    only({ sandboxImage: "pause:3.10.2" }, "sandboxImage", /not a fully qualified image reference/);
    only({ sandboxImage: "registry.k8s.io/pause" }, "sandboxImage", /not a fully qualified/);
    only({ sandboxImage: "registry.k8s.io/pause:3.10'" }, "sandboxImage", /not a fully qualified/);
    only({ cniBinDir: "opt/cni/bin" }, "cniBinDir", /not an absolute path/);
    only({ proxy: { mode: "userspace" as never } }, "proxy.mode", /not a kube-proxy mode/);
    only({ proxy: { conntrackMaxPerCore: -1 } }, "proxy.conntrackMaxPerCore", /not a whole number/);
    only({ labels: { "a/b/c": "x" } }, "labels.a/b/c", /more than one/);
    only({ labels: { "node-role.kubernetes.io/worker": "" } }, "labels.node-role.kubernetes.io/worker", /kubelet may not set/);
    only({ labels: { "example.com/rack": "r 1" } }, "labels.example.com/rack", /not a label value/);
    only({ taints: [{ key: "-x", effect: "NoSchedule" }] }, "taints[0].key", /name part/);
    only({ taints: [{ key: "x", value: "a b", effect: "NoSchedule" }] }, "taints[0].value", /label-style/);
    only({ taints: [{ key: "x", effect: "Never" as never }] }, "taints[0].effect", /not a taint effect/);
    only(
        {
            taints: [
                { key: "x", effect: "NoSchedule" },
                { key: "x", effect: "NoSchedule" },
            ],
        },
        "taints[1]",
        /more than once/,
    );
    only({ controlPlane: true, taints: [{ key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" }] }, "taints[0]", /sets itself/);
    only({ maxPods: 0 }, "maxPods", /not a whole number of pods/);
    only({ podSubnet: "10.244.1.0/26", maxPods: 62 }, "maxPods", /62 pods do not fit a node's \/26 block \(61 pod addresses\)/);
    only(
        { release: [{ ...release, binaries: [...ALL, "kubectl"] }], removal: { kubeconfig: "k", drainTimeoutSeconds: 0 } },
        "removal.drainTimeoutSeconds",
        /not a whole number of seconds/,
    );
    only({ removal: { kubeconfig: "k" } }, "release", /no release holds kubectl, which the removal drains the node with/);
});

test("maxPods fits the node's block exactly; a removal takes the default drain timeout", () => {
    assert.deepEqual(issuesOf({ podSubnet: "10.244.1.0/26", maxPods: 61 }), []);
    const withKubectl = [{ ...release, binaries: [...ALL, "kubectl"] }];
    const { plan, issues } = planWorkerNode("main", args({ release: withKubectl, removal: { kubeconfig: "k" } }));
    assert.deepEqual(issues, []);
    assert.equal(plan.drainTimeoutSeconds, 300);
    assert.equal(planWorkerNode("main", args()).plan.drainTimeoutSeconds, undefined);
});

test("installed releases: every node binary and CNI plugin must be in one of them", () => {
    const installed = (names: string[]) =>
        [
            { name: "n", version: "1", installDir: "/opt", paths: Object.fromEntries(names.map((n) => [n, `/usr/local/bin/${n}`])) },
        ] as unknown as InstalledRelease[];
    assert.deepEqual(issuesOf({ release: undefined, installed: installed(ALL) }), []);
    const issues = issuesOf({ release: undefined, installed: installed(ALL.filter((b) => b !== "portmap" && b !== "kubelet")) });
    assert.deepEqual(
        issues.map((i) => `${i.path}: ${i.message}`),
        ["installed: no release holds kubelet", "installed: no release holds portmap"],
    );
    assert.match(issues[1].hint, /CNI plugins/);
});

test("warnings: a newer minor, an older containerd, ipvs", () => {
    const w = (over: Partial<WorkerNodeArgs>) => planWorkerNode("main", args(over));
    const newer = w({ version: "1.38.0" });
    assert.deepEqual(newer.issues, []);
    assert.deepEqual(
        newer.warnings.map((x) => x.path),
        ["version"],
    );
    assert.deepEqual(
        w({ containerdVersion: "2.1.4" }).warnings.map((x) => x.path),
        ["containerdVersion"],
    );
    const ipvs = w({ proxy: { mode: "ipvs" } });
    assert.deepEqual(ipvs.issues, []);
    assert.match(ipvs.warnings[0].message, /deprecated/);
});

test("the kubelet's own label rule (the tool-check shows the real kubelet refusing the same)", () => {
    for (const ok of [
        "rack",
        "example.com/rack",
        "node.kubernetes.io/pool",
        "x.node.kubernetes.io/a",
        "kubelet.kubernetes.io/a",
        "topology.kubernetes.io/zone",
        "kubernetes.io/arch",
    ])
        assert.ok(kubeletMaySetLabel(ok), ok);
    for (const bad of [
        "node-role.kubernetes.io/worker",
        "kubernetes.io/role",
        "example.k8s.io/a",
        "k8s.io/a",
        "node.kubernetes.io.evil.com/a".replace(".evil.com", ".k8s.io"),
    ])
        assert.ok(!kubeletMaySetLabel(bad), bad);
});
