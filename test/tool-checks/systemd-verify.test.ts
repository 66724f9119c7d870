import { test } from "node:test";
import assert from "node:assert/strict";
import { verifyUnit } from "../support/systemd-verify";

// The validator itself must be able to fail, or the tool checks that use it prove nothing.
test("systemd-analyze verify accepts a sound unit whose binary is not installed here", () => {
    const verdict = verifyUnit(
        "k8s-binary-demo.service",
        [
            "[Unit]",
            "Description=demo",
            "[Service]",
            "ExecStart=/usr/local/bin/k8s-binary-absent --flag",
            "Restart=on-failure",
            "[Install]",
            "WantedBy=multi-user.target",
            "",
        ].join("\n"),
    );
    assert.equal(verdict.code, 0, verdict.problems.join("\n"));
    assert.deepEqual(verdict.problems, []);
});

test("a misspelt key is reported even though verify exits 0", () => {
    const verdict = verifyUnit("k8s-binary-demo.service", "[Service]\nExecStart=/bin/true\nRestrt=always\n");
    assert.ok(
        verdict.problems.some((p) => /Unknown key 'Restrt'/.test(p)),
        verdict.problems.join("\n"),
    );
});

test("a service without ExecStart fails", () => {
    const verdict = verifyUnit("k8s-binary-demo.service", "[Service]\nRestart=always\n");
    assert.notEqual(verdict.code, 0);
    assert.ok(
        verdict.problems.some((p) => /ExecStart/.test(p)),
        verdict.problems.join("\n"),
    );
});
