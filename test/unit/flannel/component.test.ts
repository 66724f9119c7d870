// FlannelNetwork on the mock runtime, in its three modes: every node reads its settings record
// first and runs the preflight after it; flanneld's files wait for the preflight, its unit for the
// RBAC (kube) or the etcd config (etcd); the conflist waits for flannel to run, the subnet check for
// the conflist, the new record for the check; keys travel as secrets; the DaemonSet's objects.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";
import { isSecret, unwrap } from "../../../scripts/lib/rpc-values";

const registered = recordingMocks();

import { FlannelNetwork, type FlannelNetworkArgs } from "../../../components/flannel";
import { tarballRelease } from "../../support/releases";

const host = (name: string, address: string) => ({ name, address, connection: { host: address, user: "root" } });
const nodes = [{ host: host("w1", "10.77.0.21") }, { host: host("w2", "10.77.0.22") }];
const ca = { certPem: "CA-CERT", privateKeyPem: pulumi.secret("CA-KEY") };
const common: FlannelNetworkArgs = {
    nodes,
    interface: "eth0",
    release: [tarballRelease("flannel", ["flanneld"]), tarballRelease("flannel-cni-plugin", ["flannel"])],
};
new FlannelNetwork("k", { ...common, mode: "systemd-kube", endpoint: { host: "10.77.0.100" }, ca });
new FlannelNetwork("e", {
    ...common,
    mode: "systemd-etcd",
    etcd: {
        endpoints: ["https://10.77.0.11:2379"],
        ca: { certPem: "ETCD-CA", privateKeyPem: pulumi.secret("ETCD-CA-KEY") },
        configHost: host("cp1", "10.77.0.11"),
    },
});
new FlannelNetwork("d", { nodes, interface: "eth0" });

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(r, `${name} is registered; names: ${registered.map((x) => x.name).join(", ")}`);
    return r;
};
const has = (name: string) => registered.some((x) => x.name === name);
const dependsOn = (name: string, other: string) => named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));

test("every node reads its settings record first; the preflight, then everything else, comes after it", async () => {
    await settled();
    for (const c of ["k", "e", "d"])
        for (const w of ["w1", "w2"]) {
            assert.match(String(named(`${c}-${w}-settings-read`).inputs.create), /k8s-binary-settings\.json/);
            assert.ok(dependsOn(`${c}-${w}-preflight`, `${c}-${w}-settings-read`), `${c} ${w}: preflight after the read`);
        }
    for (const w of ["w1", "w2"]) {
        assert.ok(dependsOn(`k-${w}-etc-flannel-flanneld.env-write`, `k-${w}-preflight`), "flanneld's files after the preflight");
        assert.ok(
            named(`k-${w}-flanneld-file-write`).dependencies.some((u) => /::k-w\d-flannel-1\.0\.0/.test(u)),
            "the unit waits for flanneld's release, installed here",
        );
    }
});

test("systemd-kube: flanneld's unit waits for its RBAC; its kubeconfig is a secret with mode 0600; the client certificate is system:flannel", async () => {
    await settled();
    const unit = named("k-w1-flanneld-file-write");
    assert.ok(
        unit.dependencies.some((u) => u.endsWith("::k-cluster-role-binding")),
        "unit after the ClusterRoleBinding",
    );
    const kubeconfig = named("k-w1-etc-flannel-kubeconfig-write");
    assert.ok(isSecret(kubeconfig.inputs.stdin));
    assert.match(String(kubeconfig.inputs.create), /0600/);
    assert.equal(named("k-kube-client-csr").inputs.subject.commonName, "system:flannel");
    assert.match(String(unwrap(named("k-w1-etc-flannel-flanneld.env-write").inputs.stdin)), /NODE_NAME=w1/);
    assert.deepEqual(named("k-cluster-role-binding").inputs.subjects, [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "system:flannel" }]);
    assert.ok(!has("k-daemonset"));
});

test("systemd-etcd: the config is put from the etcd member before any flanneld starts; flanneld's etcd key is a secret", async () => {
    await settled();
    const config = named("e-etcd-config");
    assert.match(String(config.inputs.create), /put "\$key" "\$want"/);
    for (const w of ["w1", "w2"]) {
        assert.ok(
            named(`e-${w}-flanneld-file-write`).dependencies.some((u) => u.endsWith("::e-etcd-config")),
            `${w}: unit after the config`,
        );
        assert.ok(isSecret(named(`e-${w}-etc-flannel-pki-etcd-client-key.pem-write`).inputs.stdin));
    }
    assert.ok(!has("e-cluster-role") && !has("e-daemonset"), "no Kubernetes objects in etcd mode");
});

test("each node: conflist once flannel runs, the subnet check after it, the new record after the check", async () => {
    await settled();
    for (const c of ["k", "e"]) {
        assert.ok(named(`${c}-w1-etc-cni-net.d-10-flannel.conflist-write`).dependencies.some((u) => u.endsWith(`::${c}-w1-flanneld-healthy-wait`)));
    }
    for (const c of ["k", "e", "d"]) {
        assert.ok(
            dependsOn(`${c}-w1-subnet`, `${c}-w1-etc-cni-net.d-10-flannel.conflist-write`) ||
                dependsOn(`${c}-w1-subnet`, `${c}-w1-etc-cni-net.d-10-flannel.conflist`),
        );
        assert.ok(dependsOn(`${c}-w1-settings-record`, `${c}-w1-subnet`));
        assert.match(String(named(`${c}-w1-settings-record`).inputs.delete), /rm -f \/etc\/flannel\/k8s-binary-settings\.json/);
    }
    assert.ok(
        named("d-w1-etc-cni-net.d-10-flannel.conflist-write").dependencies.some((u) => u.endsWith("::d-daemonset")),
        "daemonset: conflist once the DaemonSet rolled out",
    );
});

test("daemonset: the kube-flannel objects after every node's preflight, the DaemonSet last", async () => {
    await settled();
    for (const r of ["d-namespace", "d-service-account", "d-config", "d-cluster-role", "d-cluster-role-binding", "d-daemonset"]) assert.ok(has(r), r);
    const ds = named("d-daemonset");
    for (const w of ["w1", "w2"]) assert.ok(ds.dependencies.some((u) => u.endsWith(`::d-${w}-preflight`)));
    assert.ok(ds.dependencies.some((u) => u.endsWith("::d-config")));
    assert.ok(!has("d-w1-flanneld"), "no flanneld unit");
});
