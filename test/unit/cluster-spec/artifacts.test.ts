import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseClusterSpec, resolveReleases, type ReleaseFile } from "../../../components/cluster-spec";
import { baseSpec, pin, SHA256, SHA512, type RawSpec } from "./fixtures/base";

type Raw = RawSpec;

const releases = (mutate: (r: Raw) => void = () => undefined) => {
    const raw = baseSpec();
    mutate(raw);
    return resolveReleases(parseClusterSpec(raw).spec);
};

const summary = (f: ReleaseFile) => ({
    fileName: f.fileName,
    where: f.url ?? f.localPath,
    checksum: `${f.checksum.algorithm}:${f.checksum.digest.slice(0, 4)}`,
});

describe("release files", () => {
    it("resolves individual Kubernetes binaries from dl.k8s.io, kubectl only when pinned", () => {
        const r = releases();
        assert.deepEqual(r.controlPlane.map(summary), [
            {
                fileName: "kube-apiserver",
                where: "https://dl.k8s.io/release/v1.33.5/bin/linux/amd64/kube-apiserver",
                checksum: `sha256:${pin("kube-apiserver").slice(0, 4)}`,
            },
            {
                fileName: "kube-controller-manager",
                where: "https://dl.k8s.io/release/v1.33.5/bin/linux/amd64/kube-controller-manager",
                checksum: `sha256:${pin("kube-controller-manager").slice(0, 4)}`,
            },
            {
                fileName: "kube-scheduler",
                where: "https://dl.k8s.io/release/v1.33.5/bin/linux/amd64/kube-scheduler",
                checksum: `sha256:${pin("kube-scheduler").slice(0, 4)}`,
            },
        ]);
        assert.deepEqual(
            r.node.map((f) => [f.component, f.fileName, f.archive, f.binaries]),
            [
                ["kubernetes", "kubelet", "binary", [{ name: "kubelet", path: "kubelet" }]],
                ["kubernetes", "kube-proxy", "binary", [{ name: "kube-proxy", path: "kube-proxy" }]],
            ],
        );
        const withKubectl = releases((raw) => (raw.binaries.kubernetes.sha256.kubectl = SHA256));
        assert.deepEqual(withKubectl.controlPlane.map((f) => f.fileName).slice(-1), ["kubectl"]);
        // Nodes drain on removal with it, so they take it too once it is pinned.
        assert.deepEqual(
            withKubectl.node.map((f) => f.fileName),
            ["kubelet", "kube-proxy", "kubectl"],
        );
    });

    it("takes every binary from the server tarball, pinned by sha512", () => {
        const r = releases((raw) => (raw.binaries.kubernetes = { version: "1.33.5", serverTarball: { sha512: SHA512 } }));
        assert.equal(r.controlPlane.length, 1);
        const [tarball] = r.controlPlane;
        assert.equal(tarball.url, "https://dl.k8s.io/release/v1.33.5/kubernetes-server-linux-amd64.tar.gz");
        assert.deepEqual(tarball.checksum, { algorithm: "sha512", digest: SHA512.toLowerCase() });
        assert.equal(tarball.archive, "tar.gz");
        assert.deepEqual(
            tarball.binaries.map((b) => b.path),
            ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"].map((n) => `kubernetes/server/bin/${n}`),
        );
        assert.deepEqual(
            r.node[0].binaries.map((b) => b.path),
            ["kubernetes/server/bin/kubelet", "kubernetes/server/bin/kube-proxy", "kubernetes/server/bin/kubectl"],
        );
    });

    it("takes kubelet and kube-proxy from the node release when set", () => {
        const r = releases(
            (raw) => (raw.binaries.kubernetesNode = { version: "1.32.9", sha256: { kubelet: pin("kubelet 1.32.9"), "kube-proxy": pin("kube-proxy 1.32.9") } }),
        );
        assert.deepEqual(
            r.node.map((f) => [f.component, f.version, f.url]),
            [
                ["kubernetesNode", "1.32.9", "https://dl.k8s.io/release/v1.32.9/bin/linux/amd64/kubelet"],
                ["kubernetesNode", "1.32.9", "https://dl.k8s.io/release/v1.32.9/bin/linux/amd64/kube-proxy"],
            ],
        );
    });

    it("names the official release files of etcd, containerd, runc and the CNI plugins", () => {
        const r = releases();
        assert.deepEqual(summary(r.etcd), {
            fileName: "etcd-v3.5.21-linux-amd64.tar.gz",
            where: "https://github.com/etcd-io/etcd/releases/download/v3.5.21/etcd-v3.5.21-linux-amd64.tar.gz",
            checksum: `sha256:${pin("etcd").slice(0, 4)}`,
        });
        assert.deepEqual(
            r.etcd.binaries.map((b) => b.path),
            ["etcd", "etcdctl", "etcdutl"].map((n) => `etcd-v3.5.21-linux-amd64/${n}`),
        );
        assert.equal(r.containerd?.url, "https://github.com/containerd/containerd/releases/download/v2.1.4/containerd-2.1.4-linux-amd64.tar.gz");
        assert.deepEqual(
            r.containerd?.binaries.map((b) => b.path),
            ["bin/containerd", "bin/containerd-shim-runc-v2", "bin/ctr"],
        );
        assert.equal(r.runc?.url, "https://github.com/opencontainers/runc/releases/download/v1.3.1/runc.amd64");
        assert.deepEqual([r.runc?.archive, r.runc?.binaries], ["binary", [{ name: "runc", path: "runc.amd64" }]]);
        assert.equal(r.cniPlugins?.url, "https://github.com/containernetworking/plugins/releases/download/v1.7.1/cni-plugins-linux-amd64-v1.7.1.tgz");
        assert.ok(r.cniPlugins?.binaries.some((b) => b.name === "bridge" && b.path === "./bridge"));
        assert.equal(r.flannel, undefined);
        assert.equal(r.docker, undefined);
    });

    it("has no etcdutl before etcd 3.5", () => {
        // etcd 3.4 runs no control plane this project configures: resolved from a spec the checks did not see.
        const spec = parseClusterSpec(baseSpec()).spec;
        const r = resolveReleases({ ...spec, binaries: { ...spec.binaries, etcd: { ...spec.binaries.etcd, version: "3.4.26" } } });
        assert.deepEqual(
            r.etcd.binaries.map((b) => b.name),
            ["etcd", "etcdctl"],
        );
    });

    it("follows arch, mirrors and local paths", () => {
        const r = releases((raw) => {
            raw.arch = "arm64";
            raw.binaries.kubernetes.baseUrl = "https://mirror.example/k8s/";
            raw.binaries.etcd.localPath = "/srv/offline";
        });
        assert.equal(r.controlPlane[0].url, "https://mirror.example/k8s/v1.33.5/bin/linux/arm64/kube-apiserver");
        assert.deepEqual([r.etcd.url, r.etcd.localPath], [undefined, "/srv/offline/etcd-v3.5.21-linux-arm64.tar.gz"]);
        assert.equal(r.runc?.fileName, "runc.arm64");
    });

    it("resolves systemd flannel and docker releases", () => {
        const r = releases((raw) => {
            raw.flannel = { mode: "systemd-kube" };
            raw.binaries.flannel = { version: "0.27.3", sha256: SHA256 };
            raw.binaries.flannelCniPlugin = { version: "1.7.1-flannel1", sha256: pin("flannel-cni") };
        });
        assert.equal(r.flannel?.url, "https://github.com/flannel-io/flannel/releases/download/v0.27.3/flannel-v0.27.3-linux-amd64.tar.gz");
        assert.deepEqual(
            r.flannel?.binaries.map((b) => b.name),
            ["flanneld", "mk-docker-opts.sh"],
        );
        assert.equal(
            r.flannelCniPlugin?.url,
            "https://github.com/flannel-io/cni-plugin/releases/download/v1.7.1-flannel1/cni-plugin-flannel-linux-amd64-v1.7.1.tgz",
        );
        assert.deepEqual(r.flannelCniPlugin?.binaries, [{ name: "flannel", path: "./flannel-amd64" }]);

        // Docker runs on no node this project configures: resolved from a spec the checks did not see.
        const base = parseClusterSpec({ ...baseSpec(), arch: "arm64" }).spec;
        const d = resolveReleases({
            ...base,
            containerRuntime: "docker",
            binaries: { ...base.binaries, containerd: undefined, runc: undefined, docker: { version: "20.10.24", sha256: SHA256 } },
        });
        assert.equal(d.docker?.url, "https://download.docker.com/linux/static/stable/aarch64/docker-20.10.24.tgz");
        assert.ok(d.docker?.binaries.some((b) => b.path === "docker/dockerd"));
        assert.equal(d.containerd, undefined);
    });
});
