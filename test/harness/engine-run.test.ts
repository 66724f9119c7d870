import assert from "node:assert/strict";
import { X509Certificate } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { EngineRunError, readState, runProgram } from "../support/engine";

/** The engine end to end without hosts: each run is a child process with a fresh Pulumi runtime. */

let dir: string;
before(() => (dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-run-test-"))));
after(() => fs.rmSync(dir, { recursive: true, force: true }));

describe("engine run: tls and random through the mock runtime", () => {
    const program = path.join(__dirname, "../support/engine/fixtures/pki.ts");

    it("keeps keys and certificates across runs, keeps secrets secret, rotates on keepers", async () => {
        const stateFile = path.join(dir, "pki-state.json");
        const preview = await runProgram({ program, stateFile, preview: true });
        assert.ok(preview.operations.filter((o) => o.type.startsWith("tls:")).every((o) => o.op === "create"));
        assert.equal(fs.existsSync(stateFile), false, "a preview writes no state");

        const first = await runProgram({ program, stateFile });
        assert.ok(new X509Certificate(first.outputs.certPem as string).checkIssued(new X509Certificate(first.outputs.caPem as string)));
        // The key is secret by the provider, the token because it is derived from a secret.
        assert.deepEqual(first.secretOutputs, ["keyPem", "token"]);
        assert.match(first.outputs.token as string, /^[a-z0-9]{6}\.[a-z0-9]{16}$/);

        const second = await runProgram({ program, stateFile });
        assert.deepEqual(second.outputs, first.outputs);
        assert.ok(second.operations.every((o) => o.op === "same"));

        const rotated = await runProgram({ program, stateFile, config: { rotation: "1" } });
        const changed = rotated.operations.filter((o) => o.op !== "same").map((o) => `${o.name}:${o.op}`);
        assert.deepEqual(changed, ["token-secret:replace", "token-secret:delete"]);
        assert.equal(rotated.outputs.tokenId, first.outputs.tokenId);
        assert.notEqual(rotated.outputs.token, first.outputs.token);
        assert.equal(rotated.outputs.certPem, first.outputs.certPem);

        const state = readState(stateFile);
        const secretHalf = Object.values(state.resources).find((r) => r.name === "token-secret")!;
        assert.deepEqual(secretHalf.secretOutputs, ["result"]);
        assert.equal(state.pendingDeletes.length, 0);
    });

    it("fails the run with the provider's message for an invalid input", async () => {
        const file = path.join(dir, "bad.ts");
        fs.writeFileSync(
            file,
            `import * as tls from "@pulumi/tls";\n` +
                `const key = new tls.PrivateKey("k", { algorithm: "ED25519" });\n` +
                `export const pem = new tls.SelfSignedCert("c", { privateKeyPem: key.privateKeyPem, validityPeriodHours: 1, allowedUses: ["serverAuth"] }).certPem;\n`,
        );
        await assert.rejects(runProgram({ program: file, stateFile: path.join(dir, "bad-state.json") }), (e: unknown) => {
            assert.ok(e instanceof EngineRunError);
            assert.match(e.message, /allowed_uses\[0\]/);
            // The stack's own step is not counted: the real engine reports it with the stack's
            // outputs, which a failed update never registers.
            assert.deepEqual(
                e.result.operations.filter((o) => o.type !== "pulumi:pulumi:Stack").map((o) => `${o.name}:${o.op}:${o.error ? "failed" : "ok"}`),
                ["k:create:ok", "c:create:failed"],
            );
            return true;
        });
    });

    it("reports a failed step whose output another resource waits on (that program never finishes)", async () => {
        const file = path.join(dir, "chained.ts");
        fs.writeFileSync(
            file,
            `import * as command from "@pulumi/command";\n` +
                `const first = new command.local.Command("first", { create: "echo half-done; exit 3" });\n` +
                `export const second = new command.local.Command("second", { create: first.stdout.apply((o) => "echo " + o) }).stdout;\n`,
        );
        await assert.rejects(runProgram({ program: file, stateFile: path.join(dir, "chained-state.json") }), (e: unknown) => {
            assert.ok(e instanceof EngineRunError, String(e));
            assert.match(e.message, /exit 3/);
            assert.match(e.message, /half-done/);
            assert.ok(!e.result.operations.some((o) => o.name === "second"), "the dependent never ran");
            return true;
        });
    });
});
