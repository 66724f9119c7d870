// The settings record (pure): written as one JSON line, read back, compared with planFlannelChange;
// the scripts that read, write and remove it run in bash against a scratch root.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
    parseSettingsRecord,
    renderGuardedPreflight,
    renderSettingsReadScript,
    renderSettingsRecord,
    renderSettingsRemoveScript,
    renderSettingsWriteScript,
    settingsChangeIssues,
} from "../../../components/flannel/settings-guard";
import { renderSubnetCheckScript } from "../../../components/flannel/render-subnet-check";
import { FLANNEL_PATHS } from "../../../components/flannel/layout";

const vxlan = { mode: "daemonset", backend: "vxlan", podCidr: "10.244.0.0/16", subnetLen: 24 } as const;

test("the record: one JSON line; no record means a new node; a rolling mode change passes, a backend change is refused with how", () => {
    const text = renderSettingsRecord({ ...vxlan, extra: "dropped" } as never);
    assert.equal(text, '{"mode":"daemonset","backend":"vxlan","podCidr":"10.244.0.0/16","subnetLen":24}\n');
    assert.deepEqual(parseSettingsRecord(text), vxlan);
    assert.equal(parseSettingsRecord(""), undefined);
    assert.throws(() => parseSettingsRecord('{"mode":"x"}'), /not flannel settings/);
    assert.deepEqual(settingsChangeIssues("", { ...vxlan, backend: "host-gw" }), []);
    assert.deepEqual(settingsChangeIssues(text, { ...vxlan, mode: "systemd-kube" }), []);
    const refused = settingsChangeIssues(text, { ...vxlan, backend: "host-gw" });
    assert.deepEqual(
        refused.map((i) => i.path),
        ["backend"],
    );
    assert.match(refused[0].hint, /maintenance window/);
    assert.deepEqual(
        settingsChangeIssues(text, { ...vxlan, mode: "systemd-etcd", subnetLen: 25 }).map((i) => i.path),
        ["mode", "subnetLen"],
    );
});

// The scripts use absolute paths: run them with the paths moved under a scratch folder.
function runIn(root: string, script: string, input = ""): { code: number; stdout: string; stderr: string } {
    const moved = script.split("/etc/flannel").join(`${root}/etc/flannel`).split("/run/flannel").join(`${root}/run/flannel`);
    const r = spawnSync("bash", ["-euo", "pipefail", "-c", moved], { input, encoding: "utf8" });
    return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

test("read, write and remove scripts: nothing before the first write, the record after it, nothing after removal", () => {
    const root = mkdtempSync(join(tmpdir(), "flannel-settings-"));
    try {
        assert.equal(runIn(root, renderSettingsReadScript(), "x").stdout, "");
        const record = renderSettingsRecord(vxlan);
        assert.equal(runIn(root, renderSettingsWriteScript(), record).code, 0);
        assert.equal(runIn(root, renderSettingsReadScript(), "x").stdout, record);
        assert.equal(runIn(root, renderSettingsRemoveScript()).code, 0);
        assert.equal(runIn(root, renderSettingsReadScript(), "x").stdout, "");
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
});

test("subnet check: prints the node's subnet when subnet.env agrees with podCidr and subnetLen, names the setting when not", () => {
    const root = mkdtempSync(join(tmpdir(), "flannel-subnet-"));
    try {
        const plan = { name: "net", mode: "systemd-kube" as const, podCidr: "10.244.0.0/16", subnetLen: 24 };
        const write = (text: string) => spawnSync("bash", ["-c", `mkdir -p ${root}/run/flannel && cat > ${root}${FLANNEL_PATHS.subnetEnv}`], { input: text });
        write("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=1450\n");
        assert.deepEqual(runIn(root, renderSubnetCheckScript(plan)), { code: 0, stdout: "10.244.3.1/24\n", stderr: "" });
        write("FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/25\n");
        const short = runIn(root, renderSubnetCheckScript(plan));
        assert.equal(short.code, 1);
        assert.match(short.stderr, /10\.244\.3\.1\/25 is not a \/24 \(subnetLen\).*--node-cidr-mask-size/);
        write("FLANNEL_NETWORK=10.245.0.0/16\nFLANNEL_SUBNET=10.245.3.1/24\n");
        assert.match(runIn(root, renderSubnetCheckScript(plan)).stderr, /FLANNEL_NETWORK=10\.245\.0\.0\/16, but podCidr is 10\.244\.0\.0\/16/);
    } finally {
        rmSync(root, { recursive: true, force: true });
    }
});

test("the guarded preflight: the preflight when the change is allowed, else a step that fails naming each refused change", () => {
    assert.equal(renderGuardedPreflight("net", "w1", [], "echo preflight"), "echo preflight");
    const refused = settingsChangeIssues(renderSettingsRecord(vxlan), { ...vxlan, backend: "host-gw" });
    const r = spawnSync("bash", ["-c", renderGuardedPreflight("net", "w1", refused, "echo preflight")], { encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.equal(r.stdout, "");
    assert.match(
        r.stderr,
        /^FlannelNetwork net: w1 runs a network this change cannot move to in place:\n {2}- backend: changing backend vxlan to host-gw .*\(fix: in a maintenance window/,
    );
});
