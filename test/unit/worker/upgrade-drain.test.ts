// The upgrade drain scripts run for real (bash) against a stand-in kubectl (test/support/fakes):
// at most maxUnavailable nodes cordoned at once however many race, nothing drained when the
// kubelet keeps its version, a slot kept across an interrupted run, one whose holder Node is gone
// taken over, a clear failure when none frees up, and a node cordoned by hand left cordoned.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { planWorkerNode } from "../../../components/worker/plan";
import { renderUpgradeDrainScript, renderUpgradeUncordonScript, UPGRADE_CORDON_ANNOTATION } from "../../../components/worker/render-upgrade";

const KUBECTL = join(__dirname, "../../support/fakes/kubectl.js");

interface FakeState {
    nodes: Record<string, { version: string; unschedulable: boolean; annotations: Record<string, string> }>;
    leases: Record<string, { holder: string; rv: number }>;
    events: { node: string; what: string; at: number }[];
}

/** A folder with the fake's state: nodes whose kubelets run `running`, and the given leases (plans ask for 1.37.2). */
function cluster(t: { after: (fn: () => void) => void }, nodes: string[], opts: { running?: string; leases?: Record<string, string> } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "k8s-binary-upgrade-drain-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const state: FakeState = {
        nodes: Object.fromEntries(nodes.map((n) => [n, { version: opts.running ?? "v1.36.3", unschedulable: false, annotations: {} }])),
        leases: Object.fromEntries(Object.entries(opts.leases ?? {}).map(([name, holder], i) => [name, { holder, rv: i + 1 }])),
        events: [],
    };
    const stateFile = join(dir, "state.json");
    writeFileSync(stateFile, JSON.stringify(state));
    return { stateFile, read: () => JSON.parse(readFileSync(stateFile, "utf8")) as FakeState };
}

const planFor = (name: string, maxUnavailable: number, drainTimeoutSeconds = 30) => {
    const { plan } = planWorkerNode(name, {
        host: { name, address: "10.77.0.21", connection: { host: "10.77.0.21" } },
        version: "1.37.2",
        installed: [],
        endpoint: { host: "10.77.0.100" },
        ca: undefined as never,
        bootstrapToken: "abcdef.0123456789abcdef",
        upgrade: { kubeconfig: "k", maxUnavailable, drainTimeoutSeconds },
    });
    return plan;
};

/** Runs a script as remoteScript does (bash, set -euo pipefail), the kubeconfig on stdin. */
function run(script: string, stateFile: string): Promise<{ code: number; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn("bash", ["-c", `set -euo pipefail\n${script}`], { env: { ...process.env, FAKE_KUBE_STATE: stateFile } });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
        child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
        child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
        child.stdin.end("KUBECONFIG");
    });
}

/** The most nodes cordoned at once, replaying the events in order. */
function mostCordoned(events: FakeState["events"]): number {
    const now = new Set<string>();
    let most = 0;
    for (const e of events) {
        if (e.what === "cordon") now.add(e.node);
        if (e.what === "uncordon") now.delete(e.node);
        most = Math.max(most, now.size);
    }
    return most;
}

for (const slots of [1, 2]) {
    test(
        `five nodes upgrading at once: each drained and uncordoned, at most ${slots} cordoned at a time, every slot given back`,
        { timeout: 120_000 },
        async (t) => {
            const nodes = ["a", "b", "c", "d", "e"];
            const c = cluster(t, nodes);
            const results = await Promise.all(
                nodes.map(async (n) => {
                    const plan = planFor(n, slots);
                    const drained = await run(renderUpgradeDrainScript(plan, KUBECTL), c.stateFile);
                    const back = await run(renderUpgradeUncordonScript(plan, KUBECTL), c.stateFile);
                    return { n, drained, back };
                }),
            );
            for (const r of results) {
                assert.equal(r.drained.code, 0, `${r.n} drain: ${r.drained.stderr}`);
                assert.equal(r.back.code, 0, `${r.n} uncordon: ${r.back.stderr}`);
                assert.match(
                    r.drained.stdout,
                    new RegExp(
                        `node ${r.n} holds upgrade slot k8s-binary-node-upgrade-\\d: draining it before its kubelet moves from v1\\.36\\.3 to v1\\.37\\.2`,
                    ),
                );
            }
            const state = c.read();
            for (const n of nodes)
                assert.deepEqual(
                    state.events.filter((e) => e.node === n).map((e) => e.what),
                    ["cordon", "drain", "uncordon"],
                    n,
                );
            assert.equal(mostCordoned(state.events), slots, `at most (and, racing, exactly) ${slots} at once`);
            assert.deepEqual(state.leases, {}, "every slot given back");
            for (const n of nodes) assert.deepEqual(state.nodes[n], { version: "v1.36.3", unschedulable: false, annotations: {} });
        },
    );
}

test("no drain when the kubelet keeps its version, or the Node is not registered", async (t) => {
    const c = cluster(t, ["a"], { running: "v1.37.2" });
    const same = await run(renderUpgradeDrainScript(planFor("a", 1), KUBECTL), c.stateFile);
    assert.equal(same.code, 0, same.stderr);
    assert.match(same.stdout, /the kubelet of a runs v1\.37\.2 already: no drain/);
    const absent = await run(renderUpgradeDrainScript(planFor("z", 1), KUBECTL), c.stateFile);
    assert.equal(absent.code, 0, absent.stderr);
    assert.match(absent.stdout, /Node z is not registered: nothing to drain/);
    const back = await run(renderUpgradeUncordonScript(planFor("a", 1), KUBECTL), c.stateFile);
    assert.equal(back.code, 0, back.stderr);
    assert.deepEqual(c.read().events, [], "nothing cordoned, drained or uncordoned");
    assert.deepEqual(c.read().leases, {});
});

test("a slot this node held (an interrupted run) is its own; one held by a Node that is gone is taken over", async (t) => {
    const c = cluster(t, ["a", "b"], { leases: { "k8s-binary-node-upgrade-0": "a", "k8s-binary-node-upgrade-1": "gone" } });
    const a = await run(renderUpgradeDrainScript(planFor("a", 2), KUBECTL), c.stateFile);
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /node a holds upgrade slot k8s-binary-node-upgrade-0/);
    const b = await run(renderUpgradeDrainScript(planFor("b", 2), KUBECTL), c.stateFile);
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /took over upgrade slot k8s-binary-node-upgrade-1 from gone, a Node that no longer exists/);
    assert.deepEqual(Object.fromEntries(Object.entries(c.read().leases).map(([k, v]) => [k, v.holder])), {
        "k8s-binary-node-upgrade-0": "a",
        "k8s-binary-node-upgrade-1": "b",
    });
});

test("no free slot within the timeout: a failure naming the holders, nothing cordoned", async (t) => {
    const c = cluster(t, ["a", "b"], { leases: { "k8s-binary-node-upgrade-0": "b" } });
    const a = await run(renderUpgradeDrainScript(planFor("a", 1, 3), KUBECTL), c.stateFile);
    assert.equal(a.code, 1);
    assert.match(a.stderr, /node a found no free upgrade slot within 3s \(at most 1 node\(s\) drain at once; held: k8s-binary-node-upgrade-0:b\)/);
    assert.deepEqual(c.read().events, []);
});

test("a node cordoned by hand before the upgrade stays cordoned after it", async (t) => {
    const c = cluster(t, ["a"]);
    const state = c.read();
    state.nodes.a.unschedulable = true;
    writeFileSync(c.stateFile, JSON.stringify(state));
    assert.equal((await run(renderUpgradeDrainScript(planFor("a", 1), KUBECTL), c.stateFile)).code, 0);
    assert.equal((await run(renderUpgradeUncordonScript(planFor("a", 1), KUBECTL), c.stateFile)).code, 0);
    const after = c.read();
    assert.equal(after.nodes.a.unschedulable, true, "still cordoned");
    assert.equal(after.nodes.a.annotations[UPGRADE_CORDON_ANNOTATION], undefined);
    assert.deepEqual(after.leases, {}, "the slot given back");
});
