// WorkerNode on the mock runtime: the preflight before anything on the host, the certificates it
// issues, the files (keys and kubeconfigs secret, mode 0600), the images before the kubelet, the
// units' order, restarts that touch only the services whose files change, and bad Args refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";
import { isSecret, unwrap } from "../../../scripts/lib/rpc-values";

const registered = recordingMocks();

import { WorkerNode, type WorkerNodeArgs } from "../../../components/worker";
import { tarballRelease } from "../../support/releases";

const host = { name: "w1", address: "10.77.0.21", connection: { host: "10.77.0.21", user: "root" } };
const release = [
    tarballRelease("kubernetes-server", ["kubelet", "kube-proxy"]),
    tarballRelease("containerd", ["containerd", "containerd-shim-runc-v2", "ctr"]),
    tarballRelease("runc", ["runc"], { archive: "binary" }),
    tarballRelease("cni-plugins", ["bridge", "host-local", "loopback", "portmap"]),
];
const PAUSE = {
    ref: "registry.k8s.io/pause:3.10.2",
    url: "http://10.77.0.1:8080/images/pause.tar",
    sha256: "c".repeat(64),
    digest: `sha256:${"d".repeat(64)}`,
};
const args = (extra: Partial<WorkerNodeArgs> = {}): WorkerNodeArgs => ({
    host,
    version: "1.37.2",
    release,
    endpoint: { host: "10.77.0.100", port: 6443 },
    ca: { certPem: "CA-CERT", privateKeyPem: pulumi.secret("CA-KEY") },
    bootstrapToken: pulumi.secret("abcdef.0123456789abcdef"),
    podSubnet: "10.244.3.0/24",
    cgroupV1: true,
    restrictOomScoreAdj: true,
    proxy: { mode: "nftables", conntrackMaxPerCore: 0 },
    images: [PAUSE],
    ...extra,
});
new WorkerNode("n", args());
new WorkerNode(
    "r",
    args({
        host: { ...host, name: "w2" },
        release: [tarballRelease("kubernetes-server", ["kubelet", "kube-proxy", "kubectl"]), ...release.slice(1)],
        removal: { kubeconfig: pulumi.secret("DRAINER-KUBECONFIG") },
        upgrade: { kubeconfig: pulumi.secret("DRAINER-KUBECONFIG"), maxUnavailable: 2 },
    }),
);

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(
        r,
        `${name} is registered; names: ${registered
            .map((x) => x.name)
            .filter((n) => n.startsWith("n-"))
            .slice(0, 60)}`,
    );
    return r;
};
const has = (name: string) => registered.some((x) => x.name === name);
const dependsOn = (name: string, other: string) => named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));

test("the preflight runs the rendered script first; every file waits for it", async () => {
    await settled();
    const preflight = named("n-preflight");
    assert.equal(preflight.type, "command:remote:Command");
    assert.match(String(preflight.inputs.create), /Preflight of WorkerNode w1/);
    assert.equal(preflight.inputs.create, preflight.inputs.update);
    for (const path of ["etc-containerd-config.toml", "var-lib-kubelet-config.yaml", "var-lib-kube-proxy-kubeconfig"])
        assert.ok(dependsOn(`n-${path}-write`, "n-preflight"), `${path} after the preflight`);
});

test("the serving certificate names the node and its IP; kube-proxy's client certificate is system:kube-proxy", async () => {
    await settled();
    const serving = named("n-kubelet-serving-csr").inputs;
    assert.deepEqual(serving.dnsNames, ["w1"]);
    assert.deepEqual(serving.ipAddresses, ["10.77.0.21"]);
    const proxy = named("n-kube-proxy-csr").inputs;
    assert.equal((proxy.subject as { commonName: string }).commonName, "system:kube-proxy");
});

test("every rendered file is written; keys and kubeconfigs are secret and 0600", async () => {
    await settled();
    for (const path of [
        "etc-containerd-config.toml",
        "etc-cni-net.d-10-k8s-binary-bridge.conflist",
        "var-lib-kubelet-pki-ca.crt",
        "var-lib-kubelet-pki-kubelet-serving.crt",
        "var-lib-kubelet-config.yaml",
        "etc-kubernetes-kubelet.env",
        "var-lib-kube-proxy-config.yaml",
    ])
        assert.ok(has(`n-${path}-write`), path);
    for (const path of ["var-lib-kubelet-pki-kubelet-serving.key", "etc-kubernetes-bootstrap-kubelet.conf", "var-lib-kube-proxy-kubeconfig"]) {
        const write = named(`n-${path}-write`);
        assert.ok(isSecret(write.inputs.stdin), `${path} is written from a secret`);
        assert.match(String(write.inputs.create), /0600/, `${path} mode 0600`);
        assert.ok(!String(write.inputs.create).includes("0123456789abcdef"), "the token is in no command line");
    }
    assert.match(String(unwrap(named("n-etc-kubernetes-bootstrap-kubelet.conf-write").inputs.stdin)), /token: abcdef\.0123456789abcdef/);
    assert.match(String(unwrap(named("n-etc-containerd-config.toml-write").inputs.stdin)), /restrict_oom_score_adj = true/);
    assert.match(String(unwrap(named("n-var-lib-kube-proxy-config.yaml-write").inputs.stdin)), /mode: nftables/);
});

test("containerd, then the images, then the kubelet, then kube-proxy; restarts chained per service", async () => {
    await settled();
    assert.ok(has("n-containerd-activate") && has("n-kubelet-activate") && has("n-kube-proxy-activate"));
    assert.ok(dependsOn("n-image-pause-3.10.2-import", "n-containerd-healthy-wait"), "images after containerd is up");
    // The kubelet's unit text waits for the image and containerd's readiness (gate): its activation follows.
    assert.ok(dependsOn("n-kubelet-file-write", "n-image-pause-3.10.2-import"));
    assert.ok(dependsOn("n-kubelet-file-write", "n-containerd-healthy-wait"));
    assert.ok(dependsOn("n-kubelet-restart", "n-containerd-healthy-wait"));
    assert.ok(dependsOn("n-kube-proxy-restart", "n-kubelet-healthy-wait"));
    assert.match(String(named("n-kubelet-healthy-wait").inputs.create), /127\.0\.0\.1:10248\/healthz/);
});

test("a kubelet setting restarts only the kubelets: each service's restart follows its own files", async () => {
    await settled();
    const kubeletFiles = ["etc-kubernetes-kubelet.env", "var-lib-kubelet-config.yaml", "var-lib-kubelet-pki-kubelet-serving.crt"];
    for (const f of kubeletFiles) {
        assert.ok(dependsOn("n-kubelet-restart", `n-${f}-write`), `the kubelet restarts on ${f}`);
        assert.ok(!dependsOn("n-containerd-restart", `n-${f}-write`), `containerd does not restart on ${f}`);
        assert.ok(!dependsOn("n-kube-proxy-restart", `n-${f}-write`), `kube-proxy does not restart on ${f}`);
    }
    assert.ok(dependsOn("n-kube-proxy-restart", "n-var-lib-kube-proxy-config.yaml-write"));
    assert.ok(!dependsOn("n-kubelet-restart", "n-var-lib-kube-proxy-config.yaml-write"));
    assert.ok(dependsOn("n-containerd-restart", "n-etc-containerd-config.toml-write"));
    // The bridge network is read per pod: a new subnet restarts nothing.
    for (const s of ["containerd", "kubelet", "kube-proxy"]) assert.ok(!dependsOn(`n-${s}-restart`, "n-etc-cni-net.d-10-k8s-binary-bridge.conflist-write"));
});

test("a removal drains at delete only, the kubeconfig on stdin as a secret, after the services and kubectl", async () => {
    await settled();
    assert.ok(!has("n-removal"), "no removal unless asked");
    const removal = named("r-removal");
    assert.equal(removal.inputs.create, undefined, "nothing runs at create");
    assert.match(String(removal.inputs.delete), /k drain w2 /);
    assert.ok(isSecret(removal.inputs.stdin));
    assert.equal(unwrap(removal.inputs.stdin), "DRAINER-KUBECONFIG");
    assert.ok(!String(removal.inputs.delete).includes("DRAINER-KUBECONFIG"), "the kubeconfig is in no command line");
    // Deleted before what it depends on: the kubelet and kube-proxy still run, kubectl is still installed.
    for (const other of ["r-kubelet-healthy-wait", "r-kube-proxy-healthy-wait", "r-kubernetes-server-1.0.0-install"])
        assert.ok(dependsOn("r-removal", other), `after ${other}`);
});

test("an upgrade drains before the kubelet restarts and uncordons after kube-proxy is back: update only, the kubeconfig on stdin as a secret", async () => {
    await settled();
    assert.ok(!has("n-upgrade-drain") && !has("n-upgrade-uncordon"), "no upgrade drain unless asked");
    for (const step of ["r-upgrade-drain", "r-upgrade-uncordon"]) {
        const r = named(step);
        assert.equal(r.inputs.create, undefined, `${step}: nothing runs at create (a first deployment drains nothing)`);
        assert.match(String(r.inputs.update), /1\.37\.2/, `${step} names the version, so a new one is an update`);
        assert.ok(isSecret(r.inputs.stdin));
        assert.equal(unwrap(r.inputs.stdin), "DRAINER-KUBECONFIG");
        assert.ok(!String(r.inputs.update).includes("DRAINER-KUBECONFIG"), "the kubeconfig is in no command line");
    }
    assert.match(String(named("r-upgrade-drain").inputs.update), /k drain w2 --ignore-daemonsets --delete-emptydir-data/);
    const slots = String(named("r-upgrade-drain").inputs.update).match(/k8s-binary-node-upgrade-\d+/g);
    assert.deepEqual([...new Set(slots)], ["k8s-binary-node-upgrade-0", "k8s-binary-node-upgrade-1"], "maxUnavailable 2: two slots");
    assert.match(String(named("r-upgrade-uncordon").inputs.update), /k uncordon w2/);
    for (const other of ["r-preflight", "r-kubernetes-server-1.0.0-install"]) assert.ok(dependsOn("r-upgrade-drain", other), `the drain after ${other}`);
    assert.ok(dependsOn("r-kubelet-restart", "r-upgrade-drain"), "the kubelet restarts after the drain");
    assert.ok(!dependsOn("r-containerd-restart", "r-upgrade-drain"), "containerd does not wait for it");
    assert.ok(dependsOn("r-upgrade-uncordon", "r-kube-proxy-healthy-wait"), "uncordoned once kube-proxy is back");
});

test("bad Args: one error naming every path, no child declared", async () => {
    await settled();
    assert.throws(
        () => new WorkerNode("bad", args({ version: "1.24.3", podSubnet: "10.99.0.0/24", sandboxImage: "pause" })),
        (e: Error) => /version/.test(e.message) && /podSubnet/.test(e.message) && /sandboxImage/.test(e.message),
    );
    await settled();
    assert.equal(registered.filter((r) => r.name.startsWith("bad-")).length, 0, "nothing declared");
});
