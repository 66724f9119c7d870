// A mixed-arch cluster on the mock runtime: seed 001 with node02 (etcd + worker) on arm64. Each
// host plan installs its own arch's release files, with that arch's URLs and digests; the etcd
// members run their own hosts' installs (same version, each its own digest).
import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
import * as pulumi from "@pulumi/pulumi";
import { installMockRuntime, settled } from "../../../scripts/lib/mock-runtime";
import { standInOutputs } from "../../../scripts/lib/stand-in-outputs";

const mock = installMockRuntime({ outputs: standInOutputs });

import { clusterHosts, KubernetesCluster, parseClusterSpec } from "../../../components";
import type { BinaryReleaseFacts } from "../../../components/host/facts";

const ARM = {
    etcd: "1".repeat(64),
    containerd: "2".repeat(64),
    runc: "3".repeat(64),
    cniPlugins: "4".repeat(64),
    server: "5".repeat(128),
};

const raw = parse(readFileSync(join(__dirname, "../../../stacks/Pulumi.seed001.yaml"), "utf8")).config["k8s-binary:cluster"];
raw.hosts.find((h: { name: string }) => h.name === "node02").arch = "arm64";
raw.binaries.kubernetes.serverTarball.sha512ByArch = { arm64: ARM.server };
for (const key of ["etcd", "containerd", "runc", "cniPlugins"] as const) raw.binaries[key].sha256ByArch = { arm64: ARM[key] };
const { spec, warnings } = parseClusterSpec(raw);
new KubernetesCluster("mixed", { spec, hosts: clusterHosts(spec, { privateKey: pulumi.secret("unit-test-key") }) });

const releasesOf = (host: string) =>
    mock.registrations
        .filter((r) => r.type === "k8s-binary:index:BinaryRelease")
        .map((r) => mock.outputs.get(r.urn)?.facts as BinaryReleaseFacts | undefined)
        .filter((f): f is BinaryReleaseFacts => f?.host === host)
        .sort((a, b) => a.name.localeCompare(b.name));

const where = (f: BinaryReleaseFacts) => ("url" in f.source ? f.source.url : f.source.localPath);

test("the spec is accepted without warnings", () => {
    assert.deepEqual(warnings, []);
    assert.deepEqual(
        spec.hosts.map((h) => `${h.name}:${h.arch}`),
        ["master01:amd64", "master02:amd64", "node01:amd64", "node02:arm64", "lb01:amd64", "lb02:amd64"],
    );
});

test("the arm64 host's plan installs arm64 files with their arm64 digests", async () => {
    await settled();
    assert.deepEqual(
        releasesOf("node02").map((f) => [f.name, where(f), f.checksum]),
        [
            [
                "cni-plugins",
                "https://github.com/containernetworking/plugins/releases/download/v1.9.1/cni-plugins-linux-arm64-v1.9.1.tgz",
                `sha256:${ARM.cniPlugins}`,
            ],
            ["containerd", "https://github.com/containerd/containerd/releases/download/v2.3.4/containerd-2.3.4-linux-arm64.tar.gz", `sha256:${ARM.containerd}`],
            ["etcd", "https://github.com/etcd-io/etcd/releases/download/v3.6.14/etcd-v3.6.14-linux-arm64.tar.gz", `sha256:${ARM.etcd}`],
            ["kubernetes-server", "https://dl.k8s.io/release/v1.36.0/kubernetes-server-linux-arm64.tar.gz", `sha512:${ARM.server}`],
            ["runc", "https://github.com/opencontainers/runc/releases/download/v1.4.3/runc.arm64", `sha256:${ARM.runc}`],
        ],
    );
});

test("an amd64 host with the same roles installs the amd64 files with the cluster's digests", async () => {
    await settled();
    const node01 = releasesOf("node01");
    assert.deepEqual(
        node01.map((f) => f.name),
        releasesOf("node02").map((f) => f.name),
    );
    for (const f of node01) {
        assert.match(where(f), /amd64/, `${f.name} on node01`);
        assert.ok(!Object.values(ARM).some((d) => f.checksum.endsWith(d)), `${f.name} on node01 has an arm64 digest`);
    }
    assert.equal(node01.find((f) => f.name === "etcd")!.checksum, `sha256:${spec.binaries.etcd.sha256}`);
});

test("the etcd members of both arches run their own hosts' installs of one version", async () => {
    await settled();
    const etcd = ["master01", "node01", "node02"].map((h) => releasesOf(h).find((f) => f.name === "etcd")!);
    assert.deepEqual(new Set(etcd.map((f) => f.version)).size, 1);
    assert.equal(new Set(etcd.map((f) => f.checksum)).size, 2, "one digest per arch");
    for (const host of ["master01", "node01", "node02"]) {
        const unitWrite = mock.registrations.find((r) => r.name === `mixed-etcd-${host}-etcd-file-write`)!;
        const install = mock.registrations.find((r) => r.name === `${host}-etcd-3.6.14-install`)!;
        assert.ok(unitWrite.dependencies.includes(install.urn), `${host}'s etcd unit waits for its own host's install`);
    }
});
