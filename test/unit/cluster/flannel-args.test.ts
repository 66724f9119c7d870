// FlannelNetwork's Args from a spec (pure): which hosts flannel runs on in each mode, the pod range
// and subnet length the controller-manager shares, the endpoint (systemd-kube) and the etcd members
// (systemd-etcd); the seed 000, 001 and 002 stacks each express their seed's flannel.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { hostsOf } from "../../../components/cluster/lb-args";
import { flannelArgs } from "../../../components/cluster/flannel-args";
import { controlPlaneArgs } from "../../../components/cluster/control-plane-args";
import { planHosts } from "../../../components/cluster/host-needs";
import { resolveReleasesByArch } from "../../../components/cluster-spec";
import { loadStackFile, parseClusterSpec, planFlannel, SpecError, type FlannelNetworkArgs } from "../../../components";
import { baseSpec } from "../cluster-spec/fixtures/base";

const root = path.join(__dirname, "../../..");
const names = (a: { nodes?: { host: { name: string } }[] }) => (a.nodes ?? []).map((n) => n.host.name);
// The plan's checks with stand-ins for what exists only while deploying (the CA, the installs).
const planned = (a: ReturnType<typeof flannelArgs>) =>
    planFlannel("t", {
        ...a,
        ca: {} as never,
        etcd: a!.etcd ? { ...a!.etcd, ca: {} as never } : undefined,
        installed: Object.fromEntries(names(a!).map((n) => [n, [{ paths: { flanneld: "/x", flannel: "/y" } } as never]])),
    } as FlannelNetworkArgs);

describe("flannelArgs", () => {
    it("daemonset: the kubelets' hosts; the pod range and subnet length are the controller-manager's", () => {
        const spec = parseClusterSpec(baseSpec()).spec;
        const a = flannelArgs(spec, hostsOf(spec))!;
        assert.equal(a.mode, "daemonset");
        assert.deepEqual(names(a), ["cp1", "cp2", "cp3", "w1", "w2"]);
        const cp = controlPlaneArgs(spec, hostsOf(spec));
        assert.deepEqual([a.podCidr, a.subnetLen], [cp.podCidr, cp.nodeCidrMaskSize]);
        assert.equal(a.endpoint, undefined);
        assert.deepEqual(planned(a).issues, []);
    });

    it("none: no flannel", () => {
        const spec = parseClusterSpec({ ...baseSpec(), flannel: { mode: "none" } }).spec;
        assert.equal(flannelArgs(spec, hostsOf(spec)), undefined);
    });

    it("seed 000: systemd-kube with DirectRouting on masters and nodes, through the VIP", () => {
        const { spec, warnings } = loadStackFile(path.join(root, "stacks/Pulumi.seed000.yaml"));
        assert.deepEqual(
            warnings.filter((w) => w.path !== "ssh.privateKeyPath"),
            [],
        );
        const a = flannelArgs(spec, hostsOf(spec))!;
        assert.deepEqual([a.mode, a.backend, a.directRouting], ["systemd-kube", "vxlan", true]);
        assert.deepEqual(names(a), ["k8s-master01", "k8s-master02", "k8s-master03", "k8s-node01", "k8s-node02", "k8s-node03"]);
        assert.deepEqual(a.endpoint, { host: "172.17.20.200", port: 6443 });
        assert.deepEqual(planned(a).issues, []);
    });

    it("seed 001: the DaemonSet, vxlan", () => {
        const { spec } = loadStackFile(path.join(root, "stacks/Pulumi.seed001.yaml"));
        const a = flannelArgs(spec, hostsOf(spec))!;
        assert.deepEqual([a.mode, a.backend], ["daemonset", "vxlan"]);
        assert.deepEqual(planned(a).issues, []);
    });

    it("seed 002: systemd-etcd host-gw on every control-plane and worker host, the config written from the first etcd member", () => {
        const { spec, warnings } = loadStackFile(path.join(root, "stacks/Pulumi.seed002.yaml"));
        assert.deepEqual(
            warnings.filter((w) => w.path !== "ssh.privateKeyPath" && w.path !== "loadBalancer"),
            [],
        );
        const a = flannelArgs(spec, hostsOf(spec))!;
        assert.deepEqual([a.mode, a.backend, a.podCidr], ["systemd-etcd", "host-gw", "172.7.0.0/16"]);
        assert.deepEqual(names(a), ["hdss7-21", "hdss7-22"]);
        assert.deepEqual(a.etcd!.endpoints, ["https://10.4.7.12:2379", "https://10.4.7.21:2379", "https://10.4.7.22:2379"]);
        assert.equal(a.etcd!.configHost.name, "hdss7-12");
        assert.deepEqual(planned(a).issues, []);
    });

    it("the component's own checks are the spec's, at the spec's paths, before any resource exists", () => {
        const refused = (flannel: object) => {
            try {
                parseClusterSpec({ ...baseSpec(), flannel });
            } catch (e) {
                if (e instanceof SpecError) return e.issues.map((i) => `${i.path}: ${i.message}`);
                throw e;
            }
            return [];
        };
        assert.deepEqual(refused({ backend: "host-gw", mtu: 1400 }), [
            "flannel.mtu: the host-gw backend has no MTU setting: the pods take the host interface's MTU",
        ]);
        assert.deepEqual(refused({ image: "flannel:latest" }).length, 1);
        assert.deepEqual(refused({ backend: "vxlan", mtu: 1450 }), []);
    });

    it("host plans: flanneld's releases and its rule tool where it runs under systemd; the DaemonSet needs neither", () => {
        const { spec } = loadStackFile(path.join(root, "stacks/Pulumi.seed002.yaml"));
        const hosts = planHosts(spec, resolveReleasesByArch(spec)).hosts;
        const of = (h: string) => hosts.get(h)!.needs;
        assert.deepEqual(
            of("hdss7-21")
                .releases.map((r) => r.name)
                .filter((n) => n.startsWith("flannel"))
                .sort(),
            ["flannel", "flannel-cni-plugin"],
        );
        assert.ok(of("hdss7-21").packages.includes("iptables"));
        assert.ok(!of("hdss7-12").releases.some((r) => r.name.startsWith("flannel")), "not on the etcd-only host");
        const ds = loadStackFile(path.join(root, "stacks/Pulumi.seed001.yaml")).spec;
        const node = planHosts(ds, resolveReleasesByArch(ds)).hosts.get("node01")!.needs;
        assert.ok(!node.releases.some((r) => r.name.startsWith("flannel")));
        assert.deepEqual(
            node.ports.filter((p) => "port" in p && p.port === 8472),
            [{ protocol: "udp", port: 8472, what: "flannel vxlan" }],
        );
    });
});
