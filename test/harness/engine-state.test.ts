import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, it } from "node:test";
import { applyIgnoreChanges, decideStep } from "../support/engine/diff";
import { secretOutputPaths } from "../support/engine/monitor";
import { deletionOrder, emptyState, readState, writeState, type StateResource } from "../support/engine/state";
import { ASSET_SIG, changedKeys, decode, encode, SECRET_SIG, SIG_KEY, UNKNOWN, type PropertyMap } from "../support/engine/values";

const secret = (value: unknown) => ({ [SIG_KEY]: SECRET_SIG, value });

function res(urn: string, over: Partial<StateResource> = {}): StateResource {
    return {
        urn,
        type: "command:remote:Command",
        name: urn,
        custom: true,
        id: urn,
        parent: "",
        inputs: {},
        secretInputs: [],
        outputs: {},
        secretOutputs: [],
        dependencies: [],
        createdIndex: 0,
        deleteBeforeReplace: false,
        retainOnDelete: false,
        deletedWith: "",
        ...over,
    };
}

describe("engine values", () => {
    it("unwraps secrets at any depth and wraps them back at the same paths", () => {
        const raw = { connection: secret({ host: "h", port: 22 }), triggers: ["a", secret("b")], plain: { x: 1 } };
        const { value, secretPaths } = decode(raw);
        assert.deepEqual(value, { connection: { host: "h", port: 22 }, triggers: ["a", "b"], plain: { x: 1 } });
        assert.deepEqual(secretPaths.sort(), ["connection", "triggers[1]"]);
        assert.deepEqual(encode(value, secretPaths), raw);
    });

    it("hashes a file asset so that a content change is an input change", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-values-"));
        try {
            const file = path.join(dir, "f");
            fs.writeFileSync(file, "one");
            const asset = { [SIG_KEY]: ASSET_SIG, path: file };
            const first = decode({ source: asset }).value;
            assert.deepEqual(changedKeys(first, decode({ source: asset }).value), []);
            fs.writeFileSync(file, "two");
            assert.deepEqual(changedKeys(first, decode({ source: asset }).value), ["source"]);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("never treats an unknown value as unchanged", () => {
        assert.deepEqual(changedKeys({ a: UNKNOWN }, { a: UNKNOWN }), ["a"]);
        assert.deepEqual(changedKeys({ a: null }, {}), []);
    });
});

describe("engine diff", () => {
    const base = { replaceOnChanges: ["triggers[*]"], providerDiff: () => "update" as const, forceReplace: () => false, triggerChanged: false };

    it("creates what the state does not hold", () => {
        assert.equal(decideStep({ ...base, old: undefined, news: { create: "x" } }).op, "create");
    });

    it("is same for equal inputs, update for a changed command, replace for changed triggers", () => {
        const old = res("a", { inputs: { create: "x", triggers: ["1"] } });
        assert.equal(decideStep({ ...base, old, news: { create: "x", triggers: ["1"] } }).op, "same");
        assert.equal(decideStep({ ...base, old, news: { create: "y", triggers: ["1"] } }).op, "update");
        assert.equal(decideStep({ ...base, old, news: { create: "x", triggers: ["2"] } }).op, "replace");
        assert.equal(decideStep({ ...base, old, news: { create: "x" } }).op, "replace");
    });

    it("asks the provider whether a change replaces, and lets it force a replacement", () => {
        const old = res("k", { inputs: { algorithm: "RSA" } });
        assert.equal(decideStep({ ...base, old, news: { algorithm: "ECDSA" }, providerDiff: () => "replace" }).op, "replace");
        assert.equal(decideStep({ ...base, old, news: { algorithm: "RSA" }, forceReplace: () => true }).op, "replace");
    });

    it("replaces when the replacementTrigger option changed, even with equal inputs", () => {
        const old = res("k", { inputs: { algorithm: "ECDSA" } });
        assert.equal(decideStep({ ...base, old, news: { algorithm: "ECDSA" }, triggerChanged: true }).op, "replace");
    });

    it("keeps the old value of ignored properties", () => {
        const olds: PropertyMap = { create: "x", connection: { host: "a" } };
        assert.deepEqual(applyIgnoreChanges(olds, { create: "y", connection: { host: "b" } }, ["connection.host"]), {
            create: "y",
            connection: { host: "a" },
        });
    });
});

describe("engine secrets", () => {
    it("marks additionalSecretOutputs and carries secret inputs to outputs of the same name", () => {
        const inputs: PropertyMap = { stdin: "k", create: "c", triggers: ["a", "b"] };
        const outputs: PropertyMap = { ...inputs, stdout: "out", connection: { host: "h" } };
        assert.deepEqual(secretOutputPaths(outputs, inputs, ["stdin", "triggers[1]"], ["connection"]), ["connection", "stdin", "triggers[1]"]);
        // A value the provider changed cannot keep a nested secret path: the whole output is secret.
        assert.deepEqual(secretOutputPaths({ triggers: ["x"] }, inputs, ["triggers[1]"], []), ["triggers"]);
    });
});

describe("engine state", () => {
    it("round-trips through the file and reads a missing file as empty", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-state-"));
        try {
            const file = path.join(dir, "state.json");
            assert.deepEqual(readState(file), emptyState());
            const s = emptyState();
            s.resources.a = res("a", { outputs: { stdout: "x" }, secretOutputs: ["stdout"] });
            writeState(file, s);
            assert.deepEqual(readState(file), s);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("deletes dependents before their dependencies and children before parents", () => {
        const order = deletionOrder([
            res("db", { createdIndex: 1 }),
            res("app", { createdIndex: 0, dependencies: ["db"] }),
            res("comp", { createdIndex: 2, custom: false }),
            res("child", { createdIndex: 3, parent: "comp", dependencies: ["app"] }),
            res("lone", { createdIndex: 4 }),
        ]).map((r) => r.urn);
        assert.deepEqual(order, ["lone", "child", "comp", "app", "db"]);
    });
});
