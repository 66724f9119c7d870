// The versions stack output (pure): every release the stack pins, and the kubelets' always.
import { test } from "node:test";
import assert from "node:assert/strict";
import { clusterVersions } from "../../../components/cluster/versions-output";
import { parseClusterSpec } from "../../../components";
import { baseSpec, pin } from "../cluster-spec/fixtures/base";

test("the nodes' release set apart shows as kubernetesNode; unpinned releases are absent", () => {
    const raw = baseSpec() as { binaries: Record<string, unknown> };
    raw.binaries.kubernetesNode = { version: "1.32.9", sha256: { kubelet: pin("kubelet 1.32.9"), "kube-proxy": pin("kube-proxy 1.32.9") } };
    const versions = clusterVersions(parseClusterSpec(raw).spec);
    assert.deepEqual(versions, { kubernetes: "1.33.5", kubernetesNode: "1.32.9", etcd: "3.5.21", containerd: "2.1.4", runc: "1.3.1", cniPlugins: "1.7.1" });
    assert.equal(clusterVersions(parseClusterSpec(baseSpec()).spec).kubernetesNode, "1.33.5", "the control plane's release otherwise");
});
