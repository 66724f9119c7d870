// ImageArchive on the mock runtime: the graph, the rendered scripts, and refused arguments. The
// scripts run for real against containerd in test/integration/node-runtime.test.ts.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";

const registered = recordingMocks();

import { Host, ImageArchive, renderImageImportScript, renderImageRemoveScript } from "../../../components/host";

const host: Host = { name: "w1", address: "10.0.0.21", connection: { host: "10.0.0.21", user: "root" } };
const sha256 = "a".repeat(64);
const digest = `sha256:${"b".repeat(64)}`;
const ref = "registry.k8s.io/pause:3.10.2";

test("ImageArchive from a mirror: one import step, verified before import, removed only while it is ours", async () => {
    const image = new ImageArchive("w1-pause", { host, ref, url: "http://mirror.invalid/images/pause-3.10.2.tar", sha256, digest });
    await settled();
    const steps = registered.filter((r) => r.name.startsWith("w1-pause-"));
    assert.deepEqual(
        steps.map((r) => `${r.type} ${r.name}`),
        ["command:remote:Command w1-pause-import"],
    );
    const create = String(steps[0].inputs.create);
    assert.ok(create.indexOf("sha256sum") < create.indexOf("images import"), "the archive is checked before containerd sees it");
    assert.match(create, /ctr -n k8s\.io images label "\$ref" io\.cri-containerd\.pinned=pinned/);
    assert.match(String(steps[0].inputs.delete), /= sha256:b{64} \]; then\n {2}ctr -n k8s\.io images rm registry\.k8s\.io\/pause:3\.10\.2/);
    assert.equal(await new Promise((r) => image.digest.apply(r)), digest);
});

test("ImageArchive from a local path uploads to a checksum-named staging file and removes it", async () => {
    new ImageArchive("w1-agnhost", {
        host,
        ref: "registry.k8s.io/e2e-test-images/agnhost:2.66.1",
        localPath: "/srv/mirror/images/agnhost-2.66.1.tar",
        sha256,
        digest,
    });
    await settled();
    const upload = registered.find((r) => r.type === "command:remote:CopyToRemote" && r.name === "w1-agnhost-upload");
    assert.ok(upload);
    const staged = `/var/tmp/k8s-binary-${"a".repeat(32)}-agnhost-2.66.1.tar`;
    assert.equal(upload.inputs.remotePath, staged);
    const imp = registered.find((r) => r.name === "w1-agnhost-import");
    assert.ok(String(imp?.inputs.create).includes(`rm -f ${staged}`), "the staged copy does not outlive the step");
});

test("the rendered scripts are valid bash", () => {
    for (const script of [
        renderImageImportScript({ ref, sha256, digest, namespace: "k8s.io", source: { url: "http://m/x.tar" } }),
        renderImageImportScript({ ref, sha256, digest, namespace: "k8s.io", source: { stagedPath: "/var/tmp/x.tar" } }),
        renderImageRemoveScript({ ref, digest, namespace: "k8s.io" }),
    ]) {
        const r = spawnSync("bash", ["-n"], { input: script, encoding: "utf8" });
        assert.equal(r.status, 0, r.stderr);
    }
});

test("ImageArchive refuses what it cannot verify or name", () => {
    const base = { host, ref, url: "http://m/x.tar", sha256, digest };
    assert.throws(() => new ImageArchive("x1", { ...base, localPath: "/x.tar" }), /url: give exactly one of url and localPath/);
    assert.throws(() => new ImageArchive("x2", { ...base, sha256: "abc" }), /sha256: "abc" is not 64 hex/);
    assert.throws(() => new ImageArchive("x3", { ...base, digest: "b".repeat(64) }), /digest: "b+" is not sha256:<64 hex>/);
    assert.throws(() => new ImageArchive("x4", { ...base, ref: "pause:3.10" }), /ref: "pause:3.10" is not a fully qualified image reference/);
    assert.throws(() => new ImageArchive("x5", { ...base, ref: "registry.k8s.io/pause:3.10;rm -rf /" }), /not a fully qualified image reference/);
    assert.throws(() => new ImageArchive("x6", { ...base, namespace: "k8s io" }), /namespace: "k8s io" must be a plain name/);
    // Every problem at once, as a ResourceError naming the component.
    assert.throws(
        () => new ImageArchive("x7", { ...base, sha256: "abc", namespace: "k8s io" }),
        (e: Error) =>
            e instanceof pulumi.ResourceError && /ImageArchive x7: invalid arguments, 2 problems\n {2}- sha256: [\s\S]*\n {2}- namespace: /.test(e.message),
    );
});
