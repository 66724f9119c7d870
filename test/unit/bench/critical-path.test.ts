import { test } from "node:test";
import assert from "node:assert/strict";
import { executionPredecessors, longestPath, longestPathEndingAt, remoteStepWeight, type GraphNode } from "../../../scripts/bench/critical-path";
import { stepKey } from "../../../scripts/bench/step-key";

const CMD = "command:remote:Command";
const COPY = "command:remote:CopyToRemote";
const node = (id: string, type: string, dependencies: string[] = [], parent?: string): GraphNode => ({
    id,
    type,
    custom: !type.startsWith("k8s-binary:"),
    dependencies,
    ...(parent ? { parent } : {}),
});

// Two hosts: "a" prepares in two parallel steps then a final one; a component "svc" waits for
// a's preparation (component dependency) and runs an upload then a command; "b" has one step.
const graph: GraphNode[] = [
    node("prepA", "k8s-binary:index:HostPrep"),
    node("a1", CMD, [], "prepA"),
    node("a2", CMD, [], "prepA"),
    node("a3", CMD, ["a1", "a2"], "prepA"),
    node("key", "tls:index/privateKey:PrivateKey"),
    node("svc", "k8s-binary:index:Service", ["prepA"]),
    node("up", COPY, [], "svc"),
    node("run", CMD, ["up", "key"], "svc"),
    node("b1", CMD),
];

test("a component's dependency stands for its custom descendants; children wait for their parent", () => {
    const preds = executionPredecessors(graph);
    assert.deepEqual(preds.get("svc"), ["a1", "a2", "a3"]);
    assert.deepEqual(preds.get("up"), ["svc"]);
    assert.deepEqual(preds.get("run"), ["key", "svc", "up"]);
    assert.deepEqual(preds.get("a1"), ["prepA"]);
    assert.deepEqual(preds.get("b1"), []);
});

test("the longest chain of remote steps runs through the component's dependency", () => {
    const weights = new Map(graph.map((n) => [n.id, remoteStepWeight(n)]));
    const path = longestPath(executionPredecessors(graph), (id) => weights.get(id)!);
    // a1 (or a2) -> a3 -> [svc waits for prepA] -> up -> run: four steps; ties go to the first id.
    assert.deepEqual(path, { weight: 4, chain: ["a1", "a3", "up", "run"] });
});

test("weights other than step counts pick the heavier branch", () => {
    const ms: Record<string, number> = { a1: 100, a2: 900, a3: 10, up: 50, run: 20, b1: 2000 };
    const path = longestPath(executionPredecessors(graph), (id) => ms[id] ?? 0);
    assert.deepEqual(path, { weight: 2000, chain: ["b1"] });
    const withoutB = longestPathEndingAt(
        executionPredecessors(graph),
        (id) => ms[id] ?? 0,
        (id) => id === "run",
    );
    assert.deepEqual(withoutB, { weight: 980, chain: ["a2", "a3", "up", "run"] });
});

test("the chain ending at chosen nodes ignores heavier chains elsewhere", () => {
    const preds = executionPredecessors(graph);
    const one = (id: string) => (id === "b1" || id.length === 2 || id === "up" || id === "run" ? 1 : 0);
    assert.deepEqual(
        longestPathEndingAt(preds, one, (id) => id === "b1"),
        { weight: 1, chain: ["b1"] },
    );
    assert.deepEqual(
        longestPathEndingAt(preds, one, (id) => id === "a3"),
        { weight: 2, chain: ["a1", "a3"] },
    );
});

test("a cycle is an error naming the nodes", () => {
    const cyclic = [node("x", CMD, ["z"]), node("y", CMD, ["x"]), node("z", CMD, ["y"]), node("free", CMD)];
    assert.throws(() => longestPath(executionPredecessors(cyclic), () => 1), /cycle through or behind: x, y, z$/);
});

test("a dependency outside the graph is an error", () => {
    assert.throws(() => executionPredecessors([node("x", CMD, ["ghost"])]), /x: dependency ghost is not in the graph/);
    assert.throws(() => executionPredecessors([node("x", CMD, [], "nobody")]), /x: parent nobody is not in the graph/);
});

test("an empty graph has an empty critical path", () => {
    assert.deepEqual(
        longestPath(new Map(), () => 1),
        { weight: 0, chain: [] },
    );
});

test("a step's key is the same for a test host's program and a synthetic cluster", () => {
    const real = stepKey("etcd-h1-etcd-install", new Set(["h1", "h2"]), ["etcd"]);
    const synthetic = stepKey("bench-etcd-etcd001-etcd-install", new Set(["etcd001", "w001"]), ["bench-etcd", "bench-lb"]);
    assert.equal(real, "<host>-etcd-install");
    assert.equal(synthetic, real);
    assert.equal(stepKey("bench-lb-vip-answers-wait", new Set(), ["bench-etcd", "bench-lb"]), stepKey("apiserver-vip-answers-wait", new Set(), ["apiserver"]));
    assert.equal(stepKey("w001-prep-kernel", new Set(["w001"]), ["bench-etcd"]), "<host>-prep-kernel");
    // Only whole dash-separated tokens are host names or instance prefixes.
    assert.equal(stepKey("w0011-prep-kernel", new Set(["w001"])), "w0011-prep-kernel");
    assert.equal(stepKey("bench-etcdx-y", new Set(), ["bench-etcd"]), "bench-etcdx-y");
});
