import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled } from "../../support/recording-mocks";

const registered = recordingMocks();

import { RestartChain, renderUnitRestartScript, sha256Hex } from "../../../components/host";

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(r, `${name} is registered`);
    return r;
};
const dependsOn = (name: string, other: string) => named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));

class Step extends pulumi.CustomResource {}
const parent = new pulumi.ComponentResource("test:index:Service", "svc");
const chain = new RestartChain();
assert.equal(chain.last, undefined);
const steps = ["h1", "h2", "h3"].map((h) => {
    const unitStep = new Step("test:index:Unit", `svc-${h}-unit`, {}, { parent });
    return chain.add(
        `svc-${h}`,
        {
            host: { name: h, address: "10.0.0.1", connection: { host: h } },
            unit: "svc.service",
            restartOn: [`config-of-${h}`],
            ready: { description: `svc ready after ${h}`, check: "true", timeoutSeconds: 30 },
            after: [unitStep],
        },
        { parent },
    );
});

test("restarts roll one host at a time: each restart waits for the previous host's readiness gate", async () => {
    await settled();
    assert.ok(dependsOn("svc-h2-restart", "svc-h1-healthy-wait"));
    assert.ok(dependsOn("svc-h3-restart", "svc-h2-healthy-wait"));
    assert.ok(!dependsOn("svc-h1-restart", "svc-h2-healthy-wait") && !dependsOn("svc-h1-restart", "svc-h3-healthy-wait"));
    for (const h of ["h1", "h2", "h3"]) {
        assert.ok(dependsOn(`svc-${h}-healthy-wait`, `svc-${h}-restart`), `${h}'s gate follows its restart`);
        assert.ok(dependsOn(`svc-${h}-restart`, `svc-${h}-unit`), `${h}'s restart comes after what it is given`);
    }
    assert.equal(chain.last, steps[2].ready);
});

test("a restart runs only on update, driven by the fingerprint on stdin; its gate re-runs on the same fingerprint", async () => {
    await settled();
    const restart = named("svc-h2-restart").inputs;
    assert.equal(restart.create, undefined);
    assert.match(String(restart.update), /systemctl restart svc\.service/);
    assert.match(String(restart.stdin), /^[0-9a-f]{64}$/);
    assert.notEqual(restart.stdin, named("svc-h1-restart").inputs.stdin);
    const gate = named("svc-h2-healthy-wait").inputs;
    assert.equal(gate.stdin, sha256Hex(`64:${restart.stdin}`), "the gate's trigger is the restart's fingerprint");
    assert.match(String(gate.create), /svc ready after h2/);
    assert.match(renderUnitRestartScript("a b.service"), /systemctl restart 'a b\.service'/);
    assert.doesNotMatch(renderUnitRestartScript("a.service"), /iptables/);
});

test("a restart that refuses a port's new connections: a leftover rule goes, the rule is in before the stop and out on any exit", () => {
    const script = renderUnitRestartScript("api.service", 6443);
    const lines = script.split("\n");
    const at = (re: RegExp) => {
        const i = lines.findIndex((l) => re.test(l));
        assert.ok(i >= 0, `a line matching ${re}`);
        return i;
    };
    assert.match(
        script,
        /^rule=\(INPUT -p tcp --dport 6443 --syn -m comment --comment 'k8s-binary: api\.service restarting' -j REJECT --reject-with tcp-reset\)$/m,
    );
    assert.ok(at(/^while iptables -w -D "\$\{rule\[@\]\}"/) < at(/^iptables -w -I "\$\{rule\[@\]\}"$/), "a leftover rule is deleted first");
    assert.ok(at(/^trap 'iptables -w -D "\$\{rule\[@\]\}"' EXIT$/) < at(/^iptables -w -I/), "removed on any exit once inserted");
    assert.ok(at(/^iptables -w -I/) < at(/^systemctl restart api\.service$/), "refused before the stop");
    const check = spawnSync("bash", ["-n"], { input: script });
    assert.equal(check.status, 0, String(check.stderr));
});
