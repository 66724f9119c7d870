import { test } from "node:test";
import assert from "node:assert/strict";
import type { FlannelNetworkArgs } from "../../../components/flannel/args";
import { BACKEND_OVERHEAD, planFlannel, planFlannelChange } from "../../../components/flannel/plan";
import type { Issue } from "../../../components/host/issues";
import { tarballRelease } from "../../support/releases";

const release = tarballRelease("flannel", ["flanneld", "flannel"]);
const node = (name: string, address: string, iface?: string) => ({
    host: { name, address, connection: { host: address } },
    ...(iface === undefined ? {} : { interface: iface }),
});
const NODES = [node("w2", "10.77.0.22"), node("w1", "10.77.0.21")];
const kube = (over: Partial<FlannelNetworkArgs> = {}): FlannelNetworkArgs => ({
    mode: "systemd-kube",
    nodes: NODES,
    endpoint: { host: "10.77.0.100" },
    ca: {} as never,
    release: [release],
    ...over,
});
const etcdArgs = (over: Partial<FlannelNetworkArgs> = {}): FlannelNetworkArgs => ({
    mode: "systemd-etcd",
    nodes: NODES,
    etcd: { endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379"], ca: {} as never, configHost: {} as never },
    release: [release],
    ...over,
});
const show = (issues: Issue[]) => issues.map((i) => `${i.path}: ${i.message}`).join("\n");
const issuesOf = (args: FlannelNetworkArgs) => {
    const { issues } = planFlannel("net", args);
    for (const i of issues) assert.ok(i.message.length > 0 && i.hint.length > 0, show([i]));
    return issues;
};
/** Exactly the one issue at `path`, whose message matches. */
const only = (args: FlannelNetworkArgs, path: string, re: RegExp) => {
    const issues = issuesOf(args);
    assert.equal(issues.length, 1, `${JSON.stringify(args)}:\n${show(issues)}`);
    assert.equal(issues[0].path, path, show(issues));
    assert.match(issues[0].message, re);
};

test("the DaemonSet with no Args at all: every default, no issue, no warning", () => {
    const { plan, issues, warnings } = planFlannel("net", {});
    assert.deepEqual(issues, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(plan, {
        name: "net",
        mode: "daemonset",
        backend: "vxlan",
        directRouting: false,
        ipMasq: true,
        podCidr: "10.244.0.0/16",
        subnetLen: 24,
        overhead: 50,
        nftables: false,
        nodes: [],
        clusterName: "kubernetes",
        image: "ghcr.io/flannel-io/flannel:v0.28.10",
        cniPluginImage: "ghcr.io/flannel-io/flannel-cni-plugin:v0.9.1",
        cniBinDir: "/opt/cni/bin",
    });
});

test("systemd-kube: nodes sorted, interfaces inherited or their own, the endpoint's URL", () => {
    const { plan, issues, warnings } = planFlannel(
        "net",
        kube({ interface: "eth1", nodes: [node("w2", "10.77.0.22", "10.77.0.22"), node("w1", "10.77.0.21")] }),
    );
    assert.deepEqual(issues, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(plan.nodes, [
        { name: "w1", address: "10.77.0.21", interface: "eth1" },
        { name: "w2", address: "10.77.0.22", interface: "10.77.0.22" },
    ]);
    assert.deepEqual(plan.endpoint, { host: "10.77.0.100", port: 6443, url: "https://10.77.0.100:6443" });
    assert.equal(plan.etcd, undefined);
});

test("systemd-etcd: the members and the prefix", () => {
    const { plan, issues } = planFlannel("net", etcdArgs({ etcdPrefix: "/k8s/flannel" }));
    assert.deepEqual(issues, []);
    assert.deepEqual(plan.etcd, { endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379"], prefix: "/k8s/flannel" });
    assert.equal(plan.endpoint, undefined);
});

test("MTU follows the backend's overhead; host-gw and udp have none to set", () => {
    for (const [backend, overhead] of [
        ["vxlan", 50],
        ["wireguard", 80],
    ] as const) {
        const { plan, issues } = planFlannel("net", { backend, mtu: 1400 });
        assert.deepEqual(issues, []);
        assert.equal(plan.overhead, overhead);
        assert.equal(plan.backendMtu, 1400 + overhead);
        assert.equal(BACKEND_OVERHEAD[backend], overhead);
    }
    only({ backend: "host-gw", mtu: 1400 }, "mtu", /host-gw backend has no MTU setting/);
    only({ backend: "udp", mtu: 1400 }, "mtu", /udp backend has no MTU setting.*less 28/);
    only({ mtu: 575 }, "mtu", /575 is not a pod MTU from 576 to 8950/);
    only({ backend: "wireguard", mtu: 8921 }, "mtu", /from 576 to 8920 \(9000 less wireguard's 80/);
    only({ mtu: 1400.5 }, "mtu", /not a pod MTU/);
    assert.deepEqual(issuesOf({ mtu: 8950 }), []);
});

test("every check at its path", () => {
    only({ mode: "static" as never }, "mode", /not a flannel mode/);
    only({ backend: "ipip" as never }, "backend", /not a backend/);
    only({ backend: "wireguard", directRouting: true }, "directRouting", /vxlan setting; the wireguard backend ignores it/);
    only({ backend: "host-gw", directRouting: true }, "directRouting", /host-gw/);
    only({ podCidr: "10.244.0.0/33" }, "podCidr", /not an IPv4 CIDR/);
    only({ podCidr: "10.244.1.0/16" }, "podCidr", /host bits set \(the block is 10\.244\.0\.0\/16\)/);
    only({ podCidr: "127.16.0.0/16" }, "podCidr", /loopback/);
    only({ subnetLen: 31 }, "subnetLen", /not a prefix length from 16 to 30/);
    only({ subnetLen: 15 }, "subnetLen", /not a prefix length/);
    only({ podCidr: "10.244.0.0/23", subnetLen: 24 }, "subnetLen", /split podCidr 10\.244\.0\.0\/23 into fewer than four/);
    assert.match(issuesOf({ podCidr: "10.244.0.0/23", subnetLen: 24 })[0].hint, /subnetLen of 25 or more/);
    only({ interface: "eth0 ; reboot" }, "interface", /not a network interface name/);
    only({ interface: "127.0.0.1" }, "interface", /loopback/);
    only(kube({ nodes: [node("W1", "10.77.0.21")] }), "nodes[0].host.name", /not a lower-case DNS name/);
    only(kube({ nodes: [node("w1", "10.77.0.21"), node("w1", "10.77.0.22")] }), "nodes[1].host.name", /more than once/);
    only(kube({ nodes: [node("w1", "10.77.0.256")] }), "nodes[0].host.address", /not an IPv4 address/);
    only(kube({ nodes: [node("w1", "10.244.3.4")] }), "nodes[0].host.address", /inside podCidr 10\.244\.0\.0\/16/);
    only(kube({ nodes: [node("w1", "10.77.0.21", "eth0/x")] }), "nodes[0].interface", /not a network interface name/);
    only({ nodes: [node("w1", "10.77.0.21", "eth1")] }, "nodes[0].interface", /DaemonSet gives every node the same flags/);
    only(kube({ nodes: [] }), "nodes", /none are given/);
    only(
        kube({
            podCidr: "10.244.0.0/24",
            subnetLen: 26,
            nodes: [node("a", "10.77.0.1"), node("b", "10.77.0.2"), node("c", "10.77.0.3"), node("d", "10.77.0.4")],
        }),
        "subnetLen",
        /4 nodes need more than the 3 \/26 subnets/,
    );
    only(kube({ hostSubnets: ["10.77.0.0/33"] }), "hostSubnets[0]", /not an IPv4 CIDR/);
    only(kube({ hostSubnets: ["10.77.1.0/24"], nodes: [node("w1", "10.77.0.21")] }), "nodes[0].host.address", /none of hostSubnets/);
    only(
        kube({ backend: "host-gw", hostSubnets: ["10.77.0.0/24", "10.77.1.0/24"], nodes: [node("w1", "10.77.0.21"), node("w2", "10.77.1.22")] }),
        "backend",
        /host-gw .* one L2 segment; the nodes are in 2 of hostSubnets/,
    );
    only({ clusterName: "Lab" }, "clusterName", /not a DNS name/);
    only(kube({ endpoint: undefined }), "endpoint", /needs the apiservers' endpoint/);
    only(kube({ endpoint: { host: "https://vip" } }), "endpoint.host", /./);
    only(kube({ endpoint: { host: "10.77.0.100", port: 70000 } }), "endpoint.port", /not a TCP port/);
    only(kube({ ca: undefined }), "ca", /cluster CA/);
    only(etcdArgs({ etcd: undefined }), "etcd", /no etcd is given/);
    only(etcdArgs({ etcd: { endpoints: [], ca: {} as never, configHost: {} as never } }), "etcd.endpoints", /no member/);
    only(
        etcdArgs({ etcd: { endpoints: ["http://10.77.0.11:2379"], ca: {} as never, configHost: {} as never } }),
        "etcd.endpoints[0]",
        /not an https:\/\/host:port URL/,
    );
    only(etcdArgs({ etcd: { endpoints: ["https://bad_host:2379"], ca: {} as never, configHost: {} as never } }), "etcd.endpoints[0]", /the host/);
    only(
        etcdArgs({ etcd: { endpoints: ["https://10.77.0.11:2379", "https://10.77.0.11:2379"], ca: {} as never, configHost: {} as never } }),
        "etcd.endpoints",
        /more than once/,
    );
    for (const prefix of ["coreos.com/network", "/coreos.com/network/", "/a b", "/a$(x)"])
        only(etcdArgs({ etcdPrefix: prefix }), "etcdPrefix", /not an absolute etcd key path/);
    only({ image: "flannel:v0.28.10" }, "image", /not a fully qualified image reference/);
    only({ cniPluginImage: "ghcr.io/flannel-io/flannel-cni-plugin" }, "cniPluginImage", /not a fully qualified/);
    only({ cniBinDir: "opt/cni/bin" }, "cniBinDir", /the path/);
    only(kube({ release: undefined }), "release", /neither/);
    only(kube({ installed: {} }), "installed", /both/);
    only(kube({ release: [{ ...release, binaries: ["flanneld"] }] }), "release", /no release holds flannel$/);
    const installed = (paths: Record<string, string>) => [
        { name: "flannel", version: "1", installDir: "/opt", paths, checksum: undefined as never, command: undefined as never },
    ];
    only(kube({ release: undefined, installed: { w1: installed({ flanneld: "/a", flannel: "/b" }) } }), "installed.w2", /no releases are given for node w2/);
    only(
        kube({ release: undefined, installed: { w1: installed({ flanneld: "/a", flannel: "/b" }), w2: installed({ flannel: "/b" }) } }),
        "installed.w2",
        /no release installed on w2 holds flanneld/,
    );
    assert.deepEqual(issuesOf({ release: undefined, installed: undefined }), [], "the DaemonSet needs no releases");
});

test("warnings: ignored settings, host-gw without hostSubnets, udp, nftables, tiny subnets", () => {
    const paths = (args: FlannelNetworkArgs) => {
        const { issues, warnings } = planFlannel("net", args);
        assert.deepEqual(issues, [], show(issues));
        return warnings.map((w) => w.path);
    };
    assert.deepEqual(paths({ backend: "host-gw" }), ["hostSubnets"]);
    assert.deepEqual(paths({ backend: "host-gw", hostSubnets: ["10.77.0.0/24"], nodes: [node("w1", "10.77.0.21")] }), []);
    assert.deepEqual(paths({ backend: "udp" }), ["backend"]);
    assert.deepEqual(paths({ nftables: true }), ["nftables"]);
    assert.deepEqual(paths({ subnetLen: 29 }), ["subnetLen"]);
    assert.deepEqual(paths({ endpoint: { host: "10.77.0.100" }, etcd: { endpoints: [], ca: {} as never, configHost: {} as never }, etcdPrefix: "/x" }), [
        "endpoint",
        "etcd",
        "etcdPrefix",
    ]);
    assert.deepEqual(paths(kube({ backend: "host-gw", hostSubnets: ["10.77.0.0/24"] })), []);
});

test("changes on a live cluster: daemonset <-> systemd-kube rolls; etcd mode, backend and pod range are refused with how", () => {
    const p = (args: FlannelNetworkArgs) => planFlannel("net", args).plan;
    assert.deepEqual(planFlannelChange(p({}), p(kube())), []);
    assert.deepEqual(planFlannelChange(p(kube()), p({})), []);
    assert.deepEqual(planFlannelChange(p({ mtu: 1400 }), p({ mtu: 1450, ipMasq: false })), []);
    for (const [before, after] of [
        [{}, etcdArgs()],
        [etcdArgs(), kube()],
    ]) {
        const issues = planFlannelChange(p(before), p(after));
        assert.deepEqual(
            issues.map((i) => i.path),
            ["mode"],
        );
        assert.match(issues[0].message, /moves every node's pod subnet/);
        assert.match(issues[0].hint, /maintenance window: drain every node/);
    }
    const backend = planFlannelChange(p({}), p({ backend: "host-gw" }));
    assert.deepEqual(
        backend.map((i) => i.path),
        ["backend"],
    );
    assert.match(backend[0].message, /vxlan to host-gw .* splits it/);
    assert.match(backend[0].hint, /stop flanneld on every node/);
    assert.deepEqual(
        planFlannelChange(p({}), p({ podCidr: "10.32.0.0/16" })).map((i) => i.path),
        ["podCidr"],
    );
    assert.deepEqual(
        planFlannelChange(p({}), p({ subnetLen: 25 })).map((i) => i.path),
        ["subnetLen"],
    );
});
