// nodes.upgrade.maxUnavailable: a count or a percentage of the node hosts, refused before anything
// runs when it is neither, and the number of upgrade slots it makes.
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseClusterSpec, SpecError } from "../../../components/cluster-spec";
import { upgradeSlotCount } from "../../../components/cluster-spec/node-upgrade";
import { baseSpec, type RawSpec } from "./fixtures/base";

/** The base spec (cp1-cp3 registered as nodes, w1, w2: five node hosts) with extra workers and `maxUnavailable`. */
const withUpgrade = (maxUnavailable: unknown, extraWorkers = 0, registerNodes = true): RawSpec => {
    const raw = baseSpec();
    for (let i = 0; i < extraWorkers; i++) raw.hosts.push({ name: `x${i}`, address: `192.168.10.${50 + i}`, roles: ["worker"] });
    raw.nodes = { ...raw.nodes, upgrade: { maxUnavailable } };
    raw.controlPlane = { ...raw.controlPlane, registerNodes };
    return raw;
};
const slots = (raw: RawSpec) => upgradeSlotCount(parseClusterSpec(raw, { privateKeySecret: false, source: "test" }).spec);
const problem = (raw: RawSpec) => {
    try {
        parseClusterSpec(raw, { privateKeySecret: false, source: "test" });
    } catch (e) {
        assert.ok(e instanceof SpecError, String(e));
        return e.message;
    }
    assert.fail("the spec was accepted");
};

test("a count is taken as it is; the default is one node at a time", () => {
    assert.equal(slots(withUpgrade(3)), 3);
    const raw = baseSpec();
    assert.equal(slots(raw), 1);
});

test("a percentage is of the node hosts, rounded down, at least one", () => {
    assert.equal(slots(withUpgrade("20%")), 1, "20% of 5");
    assert.equal(slots(withUpgrade("50%")), 2, "50% of 5 rounds down");
    assert.equal(slots(withUpgrade("100%")), 5);
    assert.equal(slots(withUpgrade("1%")), 1, "at least one");
    assert.equal(slots(withUpgrade("20%", 5)), 2, "20% of 10");
    assert.equal(slots(withUpgrade("50%", 0, false)), 1, "50% of w1 and w2 when the control plane registers no nodes");
});

test("anything else is refused at its path, saying what is accepted", () => {
    for (const bad of [0, 1.5, -1, "0%", "101%", "20", "20 %", "a%", true]) {
        const said = problem(withUpgrade(bad));
        assert.match(
            said,
            /nodes\.upgrade\.maxUnavailable: .*is not a whole number of nodes \(1 or more\) or a percentage of them from "1%" to "100%"/,
            `${JSON.stringify(bad)}: ${said}`,
        );
    }
});
