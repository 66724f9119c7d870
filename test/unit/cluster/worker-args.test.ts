// The nodes' Args from a spec (pure): which hosts run a kubelet, their pod blocks, the images'
// sources, the runtime options, and the schema's side (nftables, the nodes section).
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { hostsOf } from "../../../components/cluster/lb-args";
import { nthSubnet, workerNodeArgs } from "../../../components/cluster/worker-args";
import { parseClusterSpec, SpecError } from "../../../components";
import { baseSpec, SHA256 } from "../cluster-spec/fixtures/base";

const parse = (raw: object) => parseClusterSpec(raw).spec;
const DIGEST = `sha256:${"e".repeat(64)}`;

describe("workerNodeArgs", () => {
    it("nthSubnet: the index-th block of the range, none beyond it", () => {
        assert.equal(nthSubnet("10.244.0.0/16", 24, 0), "10.244.0.0/24");
        assert.equal(nthSubnet("10.244.0.0/16", 24, 3), "10.244.3.0/24");
        assert.equal(nthSubnet("10.77.224.0/20", 24, 15), "10.77.239.0/24");
        assert.equal(nthSubnet("10.77.224.0/20", 24, 16), undefined);
        assert.equal(nthSubnet("10.244.0.0/16", 26, 5), "10.244.1.64/26");
    });

    it("registerNodes (the default): the control-plane hosts are nodes too, tainted; each node its own block without flannel", () => {
        const spec = parse(baseSpec());
        const args = workerNodeArgs(spec, hostsOf(spec));
        assert.deepEqual([...args.keys()], ["cp1", "cp2", "cp3", "w1", "w2"]);
        assert.equal(args.get("cp1")!.controlPlane, true);
        assert.equal(args.get("w1")!.controlPlane, false);
        // flannel writes the nodes' CNI network: no plain bridge block.
        assert.deepEqual(
            [...args.values()].map((a) => a.podSubnet),
            [undefined, undefined, undefined, undefined, undefined],
        );
        // Without flannel, each node its own block of the pod range.
        const plain = parse({ ...baseSpec(), flannel: { mode: "none" } });
        const blocks = [...workerNodeArgs(plain, hostsOf(plain)).values()].map((a) => a.podSubnet);
        assert.equal(new Set(blocks).size, blocks.length, `disjoint: ${blocks.join(", ")}`);
        assert.deepEqual(args.get("w2")!.labels, { disktype: "ssd" });
        assert.equal(args.get("w2")!.taints![0].key, "dedicated");
        // Behind the load balancer: the VIP.
        assert.equal(args.get("w1")!.endpoint.host, spec.loadBalancer!.vip);
    });

    it("registerNodes false: the workers only", () => {
        const raw = baseSpec();
        raw.controlPlane = { registerNodes: false };
        const spec = parse(raw);
        assert.deepEqual([...workerNodeArgs(spec, hostsOf(spec)).keys()], ["w1", "w2"]);
    });

    it("the nodes section: runtime options, nftables, images from a mirror or a local folder", () => {
        const raw = baseSpec();
        raw.network.proxyMode = "nftables";
        raw.nodes = {
            cgroupV1: true,
            restrictOomScoreAdj: true,
            conntrackMaxPerCore: 0,
            images: [
                { ref: "registry.k8s.io/pause:3.10.2", file: "pause.tar", sha256: SHA256, digest: DIGEST, baseUrl: "http://10.0.0.1:8080/images/" },
                { ref: "registry.k8s.io/coredns/coredns:v1.14.6", file: "coredns.tar", sha256: SHA256, digest: DIGEST, localPath: "/srv/images" },
            ],
        };
        const spec = parse(raw);
        const w1 = workerNodeArgs(spec, hostsOf(spec)).get("w1")!;
        assert.deepEqual(w1.proxy, { mode: "nftables", conntrackMaxPerCore: 0 });
        assert.equal(w1.cgroupV1, true);
        assert.equal(w1.restrictOomScoreAdj, true);
        assert.deepEqual(
            w1.images!.map((i) => i.url ?? i.localPath),
            ["http://10.0.0.1:8080/images/pause.tar", "/srv/images/coredns.tar"],
        );
    });

    it("an image with both or neither source is refused at its path", () => {
        const raw = baseSpec();
        raw.nodes = { images: [{ ref: "registry.k8s.io/pause:3.10.2", file: "pause.tar", sha256: SHA256, digest: DIGEST }] };
        assert.throws(
            () => parse(raw),
            (e: SpecError) => e.issues.some((i) => i.path === "nodes.images[0].baseUrl" && /exactly one/.test(i.message)),
        );
    });
});
