// The version guard's rules and its script, run by bash against a record in a temporary
// directory: what it lets through (and records), what it refuses (and leaves as it was).
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderVersionGuardScript, renderVersionRecordRemoval, versionRules, type AskedVersions } from "../../../components/cluster/version-guard";

const controlPlane = (apiserver: string): AskedVersions => ({ host: "cp1", apiserver, controlPlane: true, kubeletPath: "binaries.kubernetes.version" });
const node = (apiserver: string, kubelet: string, kubeletPath = "binaries.kubernetesNode.version"): AskedVersions => ({
    host: "w1",
    apiserver,
    controlPlane: false,
    kubelet,
    kubeletPath,
});

/** Runs the guard on a host whose record holds `recorded` (none when undefined); returns its exit code, stderr and the record after. */
function guard(asked: AskedVersions, recorded?: string) {
    const dir = mkdtempSync(join(tmpdir(), "version-guard-"));
    try {
        const file = join(dir, "etc", "versions");
        if (recorded !== undefined) {
            spawnSync("mkdir", ["-p", join(dir, "etc")]);
            writeFileSync(file, recorded);
        }
        const r = spawnSync("bash", ["-c", `set -euo pipefail\n${renderVersionGuardScript(versionRules(asked), file)}`], { encoding: "utf8" });
        return { code: r.status, stderr: r.stderr, record: existsSync(file) ? readFileSync(file, "utf8") : undefined };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}

test("a host without a record (new, or deployed before the record existed) passes and records what it is moved to", () => {
    assert.deepEqual(guard(controlPlane("1.36.3")), { code: 0, stderr: "", record: "apiserver=1.36.3\n" });
    assert.deepEqual(guard({ ...node("1.36.3", "1.36.3"), controlPlane: true }), { code: 0, stderr: "", record: "apiserver=1.36.3\nkubelet=1.36.3\n" });
    // A host running no Kubernetes (etcd, a load balancer) gets no guard.
    assert.deepEqual(versionRules({ host: "e3", apiserver: "1.36.3", controlPlane: false, kubeletPath: "binaries.kubernetes.version" }), []);
});

test("one minor up, the same minor, a patch either way: passed and recorded", () => {
    for (const [from, to] of [
        ["1.36.3", "1.37.2"],
        ["1.37.2", "1.37.2"],
        ["1.37.2", "1.37.0"],
        ["1.37.0", "1.37.2"],
    ]) {
        assert.deepEqual(guard(controlPlane(to), `apiserver=${from}\n`), { code: 0, stderr: "", record: `apiserver=${to}\n` }, `${from} -> ${to}`);
        assert.equal(guard(node(to, to, "binaries.kubernetes.version"), `kubelet=${from}\n`).code, 0, `kubelet ${from} -> ${to}`);
    }
});

test("a skipped minor is refused, naming the config path, both versions and the way round; the record stays", () => {
    const r = guard(controlPlane("1.37.2"), "apiserver=1.35.4\n");
    assert.equal(r.code, 1);
    assert.equal(r.record, "apiserver=1.35.4\n");
    assert.match(r.stderr, /^binaries\.kubernetes\.version: cp1 runs kube-apiserver 1\.35\.4; the stack asks for 1\.37\.2, more than one minor newer\./);
    assert.match(r.stderr, /Upgrade to the next minor first \(binaries\.kubernetes\.version: the latest 1\.36\.x patch, then pulumi up\), then to 1\.37\.2\./);
});

test("a minor downgrade is refused, of the control plane and of a kubelet; the record stays", () => {
    const cp = guard(controlPlane("1.36.3"), "apiserver=1.37.2\n");
    assert.equal(cp.code, 1);
    assert.equal(cp.record, "apiserver=1.37.2\n");
    assert.match(cp.stderr, /^binaries\.kubernetes\.version: cp1 runs kube-apiserver 1\.37\.2; the stack asks for 1\.36\.3, an older minor\./);
    assert.match(cp.stderr, /Put back a 1\.37\.x release \(a patch of the running minor may go up or down\)/);
    const kubelet = guard(node("1.37.2", "1.36.3"), "kubelet=1.37.2\n");
    assert.equal(kubelet.code, 1);
    assert.match(kubelet.stderr, /^binaries\.kubernetesNode\.version: w1 runs kubelet 1\.37\.2; the stack asks for 1\.36\.3, an older minor\./);
});

test("a kubelet more minors behind the asked apiservers than the skew policy allows is refused before the control plane moves", () => {
    // Nodes held at 1.33 while the control plane went to 1.36; now the control plane to 1.37 and the nodes to 1.34 (the spec's own skew is fine).
    const r = guard(node("1.37.2", "1.34.0"), "kubelet=1.33.5\n");
    assert.equal(r.code, 1);
    assert.match(
        r.stderr,
        /^binaries\.kubernetes\.version: w1 runs kubelet 1\.33\.5, more than 3 minors older than the apiservers the stack asks for \(1\.37\.2\)\./,
    );
    assert.match(r.stderr, /Upgrade the nodes first \(binaries\.kubernetesNode\.version: 1\.34\.x or newer, then pulumi up\), then the control plane\./);
    // A kubelet may skip minors itself (upstream: nodes may upgrade once per three control-plane minors).
    assert.equal(guard(node("1.37.2", "1.37.2", "binaries.kubernetes.version"), "kubelet=1.34.0\n").code, 0);
});

test("every refusal is printed at once: a host holding the control plane and a kubelet", () => {
    const r = guard({ ...node("1.37.2", "1.37.2", "binaries.kubernetes.version"), host: "cp1", controlPlane: true }, "apiserver=1.35.0\nkubelet=1.33.0\n");
    assert.equal(r.code, 1);
    assert.equal(r.stderr.trim().split("\n").length, 2, r.stderr);
});

test("the record goes with the guard: a host added again after leaving the stack is a new host", () => {
    const dir = mkdtempSync(join(tmpdir(), "version-guard-"));
    try {
        const file = join(dir, "versions");
        writeFileSync(file, "apiserver=1.34.2\n");
        const removal = spawnSync("bash", ["-c", `set -euo pipefail\n${renderVersionRecordRemoval(file)}`], { encoding: "utf8" });
        assert.equal(removal.status, 0, removal.stderr);
        assert.equal(existsSync(file), false);
        assert.equal(spawnSync("bash", ["-c", renderVersionRecordRemoval(file)]).status, 0, "a record already gone is no failure");
        // Two minors on, a record left behind would have refused the returning host.
        assert.equal(guard(controlPlane("1.36.3"), "apiserver=1.34.2\n").code, 1);
        assert.equal(guard(controlPlane("1.36.3")).code, 0);
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
});
