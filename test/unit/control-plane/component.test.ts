// ControlPlane on the mock runtime: what it declares per host and in the cluster, what waits for
// what, where secrets go, and bad Args refused before any child exists.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";
import { isSecret, unwrap } from "../../../scripts/lib/rpc-values";

const registered = recordingMocks();

import { ControlPlane, type ControlPlaneArgs } from "../../../components/control-plane";
import { tarballRelease } from "../../support/releases";

const host = (n: number) => ({ name: `cp${n}`, address: `10.77.0.1${n}`, connection: { host: `10.77.0.1${n}`, user: "root" } });
const release = [tarballRelease("kubernetes-server", ["kube-apiserver", "kube-controller-manager", "kube-scheduler"], { version: "1.37.2" })];
const args = (extra: Partial<ControlPlaneArgs> = {}): ControlPlaneArgs => ({
    members: [host(1), host(2)],
    version: "1.37.2",
    release,
    endpoint: { host: "10.77.0.100", port: 6443 },
    etcd: {
        endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379", "https://10.77.0.13:2379"],
        ca: { certPem: "ETCD-CA", privateKeyPem: pulumi.secret("ETCD-CA-KEY") },
    },
    ...extra,
});
new ControlPlane("cp", args());

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(
        r,
        `${name} is registered; some names: ${registered
            .map((x) => x.name)
            .filter((n) => n.startsWith(name.slice(0, 8)))
            .slice(0, 20)}`,
    );
    return r;
};
const has = (name: string) => registered.some((x) => x.name === name);
const dependsOn = (name: string, other: string) => named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));

test("each member writes its files, starts its three services and takes three links of one rolling chain", async () => {
    await settled();
    for (const m of ["cp1", "cp2"]) {
        for (const path of [
            "etc-kubernetes-pki-apiserver.crt",
            "etc-kubernetes-pki-apiserver.key",
            "etc-kubernetes-pki-sa.key",
            "etc-kubernetes-encryption-config.yaml",
            "etc-kubernetes-audit-policy.yaml",
            "etc-kubernetes-kube-apiserver.env",
            "etc-kubernetes-controller-manager.conf",
            "etc-kubernetes-kube-scheduler.yaml",
        ])
            assert.ok(has(`cp-${m}-${path}-write`), `cp-${m}-${path}-write`);
        for (const unit of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"]) assert.ok(has(`cp-${m}-${unit}-activate`), `${m} ${unit}`);
    }
    // One chain: cp2's apiserver restarts after cp1's scheduler is healthy again.
    assert.ok(dependsOn("cp-cp2-apiserver-restart", "cp-cp1-scheduler-healthy-wait"));
    assert.ok(dependsOn("cp-cp1-controller-manager-restart", "cp-cp1-apiserver-healthy-wait"));
    // Ready means back in the load balancer's rotation: the next host goes down only then.
    const ready = String(named("cp-cp1-apiserver-healthy-wait").inputs.create);
    assert.match(ready, /curl -fsSk --max-time 5 https:\/\/127\.0\.0\.1:6443\/readyz/);
    assert.match(ready, /openssl s_client -connect 10\.77\.0\.100:6443/);
    assert.match(ready, /-in \/etc\/kubernetes\/pki\/apiserver\.crt/);
    // Behind the load balancer, new connections are refused while the apiserver restarts: it passes them on.
    const restart = String(named("cp-cp1-apiserver-restart").inputs.update);
    assert.match(restart, /rule=\(INPUT -p tcp --dport 6443 --syn .* -j REJECT --reject-with tcp-reset\)/);
    assert.ok(restart.indexOf('iptables -w -I "${rule[@]}"') < restart.indexOf("systemctl restart kube-apiserver.service"), "refused before the stop");
    assert.doesNotMatch(String(named("cp-cp1-controller-manager-restart").inputs.update), /iptables/, "only the apiserver's restart refuses");
});

test("every member waits for every host's settings guard, so a refused change touches no certificate or file", async () => {
    await settled();
    // The engine waits for a component's dependsOn in none of its children: each child must wait itself.
    for (const m of ["cp1", "cp2"])
        for (const guard of ["cp-cp1-settings", "cp-cp2-settings"])
            for (const child of [
                `cp-${m}-apiserver-key`,
                `cp-${m}-apiserver-csr`,
                `cp-${m}-apiserver-cert`,
                `cp-${m}-etc-kubernetes-kube-apiserver.env-write`,
                `cp-${m}-etc-kubernetes-kube-controller-manager.env-write`,
            ])
                assert.ok(dependsOn(child, guard), `${child} after ${guard}`);
    const guard = named("cp-cp1-settings");
    assert.equal(guard.inputs.stdin, "serviceCidr=10.96.0.0/12\npodCidr=10.244.0.0/16\nclusterDomain=cluster.local\n");
    assert.equal(guard.inputs.create, guard.inputs.update, "the same check on create and on update");
    assert.match(String(guard.inputs.delete), /rm -f \/etc\/kubernetes\/k8s-binary-settings/, "a host leaving the control plane takes its record along");
});

test("each serving certificate names its own host, the endpoint and the kubernetes Service; not the other host", async () => {
    await settled();
    const csr = named("cp-cp2-apiserver-csr").inputs;
    assert.ok(
        (csr.ipAddresses as string[]).includes("10.77.0.12") &&
            (csr.ipAddresses as string[]).includes("10.77.0.100") &&
            (csr.ipAddresses as string[]).includes("10.96.0.1"),
    );
    assert.ok(!(csr.ipAddresses as string[]).includes("10.77.0.11"), "a host's certificate does not change when another host comes or goes");
    assert.ok((csr.dnsNames as string[]).includes("kubernetes.default.svc.cluster.local"));
});

test("keys, the encryption configuration and kubeconfigs travel as secrets; the in-cluster objects wait for the endpoint", async () => {
    await settled();
    for (const path of ["etc-kubernetes-encryption-config.yaml", "etc-kubernetes-pki-ca.key", "etc-kubernetes-pki-sa.key", "etc-kubernetes-scheduler.conf"]) {
        const write = named(`cp-cp1-${path}-write`);
        assert.ok(isSecret(write.inputs.stdin), `${path} is written from a secret`);
    }
    const encryption = String(unwrap(named("cp-cp1-etc-kubernetes-encryption-config.yaml-write").inputs.stdin));
    assert.match(encryption, /secretbox:\n\s+keys:\n\s+- name: key1\n\s+secret: \S{43}=/);
    const provider = named("cp-k8s");
    assert.ok(isSecret(provider.inputs.kubeconfig), "the provider's kubeconfig is a secret");
    assert.ok(
        dependsOn("cp-k8s", "cp-endpoint-ready-wait") || provider.dependencies.some((u) => u.includes("endpoint-ready")),
        "the provider waits for the endpoint",
    );
    const token = named("cp-bootstrap-token");
    assert.equal(token.type, "kubernetes:core/v1:Secret");
    assert.equal(token.inputs.type, "bootstrap.kubernetes.io/token");
    assert.ok(isSecret(token.inputs.stringData), "the token's data is a secret");
    const bindings = registered.filter((r) => r.type === "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding").map((r) => unwrap(r.inputs.subjects));
    assert.equal(bindings.length, 4);
});

test("bad Args: one error naming every path, no child declared", async () => {
    await settled();
    const before = registered.length;
    assert.throws(
        () =>
            new ControlPlane(
                "bad",
                args({
                    version: "1.24.3",
                    serviceCidr: "10.244.0.0/16",
                    extraFlags: { apiserver: { "etcd-servers": "https://elsewhere:2379" } },
                }),
            ),
        (e: Error) => /version/.test(e.message) && /serviceCidr|podCidr/.test(e.message) && /extraFlags\.apiserver\.etcd-servers/.test(e.message),
    );
    await settled();
    assert.equal(registered.filter((r) => r.name.startsWith("bad-")).length, 0, "nothing declared");
    assert.ok(registered.length - before <= 1);
});
