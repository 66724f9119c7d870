import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { clusterObjects, isDeployedFile } from "../../../scripts/bench/deploy/floor-bundle";
import { checkInotifyRoom, inotifyLimit } from "../../../scripts/bench/deploy/inotify";
import { serviceAddresses } from "../../../scripts/bench/deploy/ready";
import { writeState, emptyState } from "../../../test/support/engine/state";
import type { PropertyMap } from "../../../test/support/engine/values";

test("the floor copies what the deploy wrote, not what the daemons made", () => {
    for (const kept of [
        "opt/k8s-binary/etcd/3.6.16/etcd",
        "usr/local/bin/kubelet",
        "etc/kubernetes/pki/apiserver.crt",
        "etc/kubernetes/bootstrap-kubelet.conf",
        "etc/etcd/etcd.env",
        "etc/systemd/system/kube-apiserver.service",
        "var/lib/kubelet/config.yaml",
        "var/lib/kubelet/pki/kubelet-serving.crt",
        "etc/cni/net.d/10-flannel.conflist",
        "opt/cni/bin/bridge",
    ])
        assert.ok(isDeployedFile(kept), kept);
    for (const dropped of [
        "var/lib/etcd/member/snap/db",
        "var/lib/kubelet/pki/kubelet-client-current.pem",
        "var/lib/kubelet/pki/kubelet-client-2026-11-29-23-54-32.pem",
        "etc/kubernetes/kubelet.conf",
        "etc/kubernetes/k8s-binary-versions",
        "var/lib/kubelet/cpu_manager_state",
        "var/lib/kubelet/pods/abc/volumes",
        "var/lib/k8s-binary/units/kubelet.service.owner",
        "opt/cni/bin/flannel",
        "var/log/journal/x",
        "root/.bash_history",
    ])
        assert.ok(!isDeployedFile(dropped), dropped);
    // A prefix is a whole path segment unless it ends in "-".
    assert.ok(isDeployedFile("var/lib/etcd-backup.conf"));
});

test("the cluster's objects come from the state's Kubernetes resources, namespaces first, the engine's keys left out", () => {
    const dir = mkdtempSync(join(tmpdir(), "floor-objects-"));
    try {
        const state = emptyState();
        const resource = (type: string, inputs: Record<string, unknown>, custom = true) => ({
            urn: `urn:pulumi:s::p::${type}::${String((inputs.metadata as { name?: string } | undefined)?.name ?? type)}`,
            type,
            name: "n",
            custom,
            id: "",
            parent: "",
            inputs: inputs as PropertyMap,
            secretInputs: [],
            outputs: {},
            secretOutputs: [],
            dependencies: [],
            createdIndex: 0,
            deleteBeforeReplace: false,
            deletedWith: "",
        });
        for (const r of [
            resource("kubernetes:rbac.authorization.k8s.io/v1:ClusterRole", {
                apiVersion: "rbac.authorization.k8s.io/v1",
                kind: "ClusterRole",
                metadata: { name: "flannel" },
                __inputs: {},
            }),
            resource("kubernetes:core/v1:Namespace", { apiVersion: "v1", kind: "Namespace", metadata: { name: "kube-flannel" } }),
            resource("pulumi:providers:kubernetes", { kubeconfig: "secret" }),
            resource("k8s-binary:index:FlannelNetwork", {}, false),
        ])
            state.resources[r.urn] = r;
        writeState(join(dir, "state.json"), state);
        assert.deepEqual(
            clusterObjects(join(dir, "state.json")).map((o) => `${String(o.kind)}/${(o.metadata as { name: string }).name}`),
            ["Namespace/kube-flannel", "ClusterRole/flannel"],
        );
        assert.ok(!("__inputs" in clusterObjects(join(dir, "state.json"))[1]));
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});

test("the DNS probe asks the cluster DNS address for the kubernetes Service's", () => {
    assert.deepEqual(serviceAddresses("10.77.240.0/24"), { dns: "10.77.240.10", kubernetes: "10.77.240.1" });
});

test("a size past the machine's inotify limit is refused before it starts, saying what to raise", () => {
    assert.throws(
        () => checkInotifyRoom("cp1 + 8 workers", 9, inotifyLimit()),
        /cp1 \+ 8 workers needs about \d+ inotify instances .* sysctl -w fs\.inotify\.max_user_instances=512/,
    );
    assert.doesNotThrow(() => checkInotifyRoom("nothing", 0, 12));
});
