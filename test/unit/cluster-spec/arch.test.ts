// Architecture per host: `hosts[].arch` defaults to the cluster's `arch`; a host of another arch
// needs, for its arch, the digest of every release its roles use (`sha256ByArch`,
// `serverTarball.sha512ByArch`); releases resolve per arch with that arch's file names and digests.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseClusterSpec, resolveReleases, resolveReleasesByArch, SpecError, type SpecIssue } from "../../../components/cluster-spec";
import { baseSpec, pin, pin512, type RawSpec } from "./fixtures/base";

const parse = (raw: RawSpec) => parseClusterSpec(raw, { source: "test" });

/** The issues of a refused spec. */
function refusal(raw: RawSpec): SpecError {
    try {
        parse(raw);
    } catch (e) {
        if (e instanceof SpecError) return e;
        throw e;
    }
    assert.fail("the spec was accepted");
}

function hasIssue(issues: SpecIssue[], path: string, message: RegExp): void {
    const hit = issues.find((i) => i.path === path && message.test(i.message));
    assert.ok(hit, `no issue at ${path} matching ${message}; got:\n${issues.map((i) => `${i.path}: ${i.message}`).join("\n")}`);
    assert.ok(hit.hint.length > 0, `issue at ${path} has no hint`);
}

const arm = (label: string) => pin(`arm64 ${label}`);

/** The base spec with arm64 workers (w1, w2), every digest they need pinned for arm64. */
function armWorkers(): RawSpec {
    const raw = baseSpec();
    for (const h of raw.hosts) if (h.name.startsWith("w")) h.arch = "arm64";
    const b = raw.binaries;
    b.kubernetes.sha256ByArch = { arm64: { kubelet: arm("kubelet"), "kube-proxy": arm("kube-proxy") } };
    for (const key of ["containerd", "runc", "cniPlugins"]) b[key].sha256ByArch = { arm64: arm(key) };
    return raw;
}

describe("arch per host: schema", () => {
    it("defaults every host's arch to the cluster's", () => {
        assert.deepEqual(
            parse(baseSpec()).spec.hosts.map((h) => h.arch),
            Array(7).fill("amd64"),
        );
        const raw = baseSpec();
        raw.arch = "arm64";
        raw.hosts[3].arch = "amd64";
        raw.binaries.kubernetes.sha256ByArch = { amd64: { kubelet: arm("kubelet"), "kube-proxy": arm("kube-proxy") } };
        for (const key of ["containerd", "runc", "cniPlugins"]) raw.binaries[key].sha256ByArch = { amd64: arm(key) };
        const { spec, warnings } = parse(raw);
        assert.deepEqual(
            spec.hosts.map((h) => h.arch),
            ["arm64", "arm64", "arm64", "amd64", "arm64", "arm64", "arm64"],
        );
        assert.deepEqual(warnings, []);
    });

    it("refuses an arch it does not know, at the host's path", () => {
        const raw = baseSpec();
        raw.hosts[3].arch = "riscv64";
        hasIssue(refusal(raw).issues, "hosts[3].arch", /amd64|arm64|Invalid/);
    });

    it("accepts a mixed-arch spec whose other-arch hosts have every digest, without warnings", () => {
        const { spec, warnings } = parse(armWorkers());
        assert.deepEqual(warnings, []);
        assert.equal(spec.binaries.etcd.sha256ByArch, undefined);
    });
});

describe("arch per host: cross-field checks", () => {
    it("requires every digest a worker's roles use for its arch, all at once, at their paths", () => {
        const raw = baseSpec();
        raw.hosts[3].arch = "arm64";
        const { issues } = refusal(raw);
        for (const path of [
            "binaries.kubernetes.sha256ByArch.arm64.kubelet",
            "binaries.kubernetes.sha256ByArch.arm64.kube-proxy",
            "binaries.containerd.sha256ByArch.arm64",
            "binaries.runc.sha256ByArch.arm64",
            "binaries.cniPlugins.sha256ByArch.arm64",
        ])
            hasIssue(issues, path, /is required: w1 runs arm64/);
        assert.ok(!issues.some((i) => /etcd|kube-apiserver/.test(i.path)), "a worker needs neither etcd nor the control-plane binaries");
    });

    it("requires the etcd digest for an etcd host and the control-plane binaries for a control plane", () => {
        const raw = baseSpec();
        raw.hosts[0].arch = "arm64";
        const { issues } = refusal(raw);
        hasIssue(issues, "binaries.etcd.sha256ByArch.arm64", /cp1 runs arm64/);
        for (const name of ["kube-apiserver", "kube-controller-manager", "kube-scheduler"])
            hasIssue(issues, `binaries.kubernetes.sha256ByArch.arm64.${name}`, /cp1 runs arm64/);
        // With registerNodes (the default) it runs a kubelet too: the node binaries and runtime for its arch.
        hasIssue(issues, "binaries.kubernetes.sha256ByArch.arm64.kubelet", /cp1 runs arm64/);
        hasIssue(issues, "binaries.containerd.sha256ByArch.arm64", /cp1 runs arm64/);
        const unregistered = baseSpec();
        unregistered.hosts[0].arch = "arm64";
        unregistered.controlPlane = { ...(unregistered.controlPlane ?? {}), registerNodes: false };
        assert.ok(
            !refusal(unregistered).issues.some((i) => /containerd|kubelet/.test(i.path)),
            "a control plane that registers no node needs no node binaries",
        );
    });

    it("requires the server tarball's sha512 for the arch, and the flannel releases in systemd modes", () => {
        const raw = armWorkers();
        delete raw.binaries.kubernetes.sha256;
        delete raw.binaries.kubernetes.sha256ByArch;
        raw.binaries.kubernetes.serverTarball = { sha512: pin512("server") };
        raw.flannel = { mode: "systemd-kube" };
        raw.binaries.flannel = { version: "0.27.3", sha256: pin("flannel") };
        raw.binaries.flannelCniPlugin = { version: "1.7.1-flannel1", sha256: pin("flannel-cni") };
        const { issues } = refusal(raw);
        hasIssue(issues, "binaries.kubernetes.serverTarball.sha512ByArch.arm64", /w1, w2 run arm64/);
        hasIssue(issues, "binaries.flannel.sha256ByArch.arm64", /is required/);
        hasIssue(issues, "binaries.flannelCniPlugin.sha256ByArch.arm64", /is required/);
        raw.binaries.kubernetes.serverTarball.sha512ByArch = { arm64: pin512("server arm64") };
        raw.binaries.flannel.sha256ByArch = { arm64: arm("flannel") };
        raw.binaries.flannelCniPlugin.sha256ByArch = { arm64: arm("flannel-cni") };
        assert.deepEqual(parse(raw).warnings, []);
    });

    it("warns about digests for an arch, or a binary, no host of that arch uses", () => {
        const raw = armWorkers();
        raw.binaries.etcd.sha256ByArch = { arm64: arm("etcd") };
        raw.binaries.kubernetes.sha256ByArch.arm64["kube-apiserver"] = arm("kube-apiserver");
        const { warnings } = parse(raw);
        hasIssue(warnings, "binaries.etcd.sha256ByArch.arm64", /unused: no arm64 host has a role that installs binaries.etcd/);
        hasIssue(warnings, "binaries.kubernetes.sha256ByArch.arm64.kube-apiserver", /unused/);
        assert.equal(warnings.length, 2);
    });

    it("refuses a …ByArch digest for the cluster's own arch", () => {
        const raw = baseSpec();
        raw.binaries.etcd.sha256ByArch = { amd64: arm("etcd") };
        hasIssue(refusal(raw).issues, "binaries.etcd.sha256ByArch.amd64", /the cluster's own arch/);
    });

    it("refuses one digest copied from the cluster's arch into another's", () => {
        const raw = armWorkers();
        raw.binaries.runc.sha256ByArch.arm64 = pin("runc");
        hasIssue(refusal(raw).issues, "binaries.runc.sha256ByArch.arm64", /same digest as binaries.runc.sha256/);
    });

    it("refuses sha256ByArch beside serverTarball", () => {
        const raw = armWorkers();
        delete raw.binaries.kubernetes.sha256;
        raw.binaries.kubernetes.serverTarball = { sha512: pin512("server"), sha512ByArch: { arm64: pin512("server arm64") } };
        hasIssue(refusal(raw).issues, "binaries.kubernetes", /sets both sha256ByArch/);
    });
});

describe("arch per host: release resolution", () => {
    it("resolves each arch's file names, URLs and digests", () => {
        const { spec } = parse(armWorkers());
        const amd = resolveReleases(spec);
        const arm64 = resolveReleases(spec, "arm64");
        assert.equal(amd.arch, "amd64");
        assert.equal(arm64.arch, "arm64");
        assert.deepEqual(
            arm64.node.map((f) => [f.url, f.checksum.digest]),
            [
                ["https://dl.k8s.io/release/v1.33.5/bin/linux/arm64/kubelet", arm("kubelet")],
                ["https://dl.k8s.io/release/v1.33.5/bin/linux/arm64/kube-proxy", arm("kube-proxy")],
            ],
        );
        assert.deepEqual([arm64.containerd?.fileName, arm64.containerd?.checksum.digest], ["containerd-2.1.4-linux-arm64.tar.gz", arm("containerd")]);
        assert.deepEqual(
            [arm64.runc?.url, arm64.runc?.checksum.digest],
            ["https://github.com/opencontainers/runc/releases/download/v1.3.1/runc.arm64", arm("runc")],
        );
        assert.equal(arm64.cniPlugins?.fileName, "cni-plugins-linux-arm64-v1.7.1.tgz");
        assert.deepEqual([amd.runc?.fileName, amd.runc?.checksum.digest], ["runc.amd64", pin("runc")]);
    });

    it("keeps another arch's individual Kubernetes binaries in its own subdirectory of localPath", () => {
        const raw = armWorkers();
        raw.binaries.kubernetes.localPath = "/srv/offline";
        raw.binaries.runc.localPath = "/srv/offline";
        const { spec } = parse(raw);
        assert.deepEqual(
            [resolveReleases(spec).node[0].localPath, resolveReleases(spec, "arm64").node[0].localPath],
            ["/srv/offline/kubelet", "/srv/offline/arm64/kubelet"],
        );
        assert.equal(resolveReleases(spec, "arm64").runc?.localPath, "/srv/offline/runc.arm64");
    });

    it("resolves a release when read, naming the missing digest's path", () => {
        const { spec } = parse(armWorkers());
        const arm64 = resolveReleases(spec, "arm64");
        assert.throws(() => arm64.etcd, /binaries\.etcd\.sha256ByArch\.arm64 is not set/);
        assert.throws(() => arm64.controlPlane, /binaries\.kubernetes\.sha256ByArch\.arm64\.kube-apiserver is not set/);
    });

    it("resolves the server tarball per arch", () => {
        const raw = armWorkers();
        delete raw.binaries.kubernetes.sha256;
        delete raw.binaries.kubernetes.sha256ByArch;
        raw.binaries.kubernetes.serverTarball = { sha512: pin512("server"), sha512ByArch: { arm64: pin512("server arm64") } };
        const { spec } = parse(raw);
        const [file] = resolveReleases(spec, "arm64").node;
        assert.deepEqual(
            [file.url, file.checksum],
            ["https://dl.k8s.io/release/v1.33.5/kubernetes-server-linux-arm64.tar.gz", { algorithm: "sha512", digest: pin512("server arm64") }],
        );
    });

    it("resolves the arches the hosts run", () => {
        assert.deepEqual([...resolveReleasesByArch(parse(armWorkers()).spec).keys()], ["amd64", "arm64"]);
        assert.deepEqual([...resolveReleasesByArch(parse(baseSpec()).spec).keys()], ["amd64"]);
    });
});
