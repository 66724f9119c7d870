import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { EngineRunError, readState, runProgram, type RunResult } from "../support/engine";
import { startLoopbackSshd, type LoopbackSshd } from "../support/sshd-loopback";

/**
 * The engine against a real OpenSSH server on loopback: commands really run, state decides what
 * runs next time. The "remote" host is this machine, so the test reads the files commands wrote.
 */

const program = path.join(__dirname, "../support/engine/fixtures/commands.ts");

let sshd: LoopbackSshd;
let dir: string;

before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "engine-ssh-"));
    sshd = await startLoopbackSshd({ acceptEnv: ["PULUMI_COMMAND_*", "ENGINE_TEST_OK"] });
});
after(async () => {
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
});

const lines = (file: string) => (fs.existsSync(file) ? fs.readFileSync(file, "utf8").trim().split("\n") : []);
const ran = (r: RunResult) => r.commandLog.map((c) => `${c.urn.split("::").pop()}:${c.phase}`);
const opsOf = (r: RunResult) => Object.fromEntries(r.operations.filter((o) => o.type.startsWith("command:")).map((o) => [o.name, o.op]));

function run(stateFile: string, steps: object[], connection: object = sshd.connection) {
    return runProgram({ program, stateFile, config: { connection: JSON.stringify(connection), steps: JSON.stringify(steps) } });
}

describe("engine over SSH: a resource's life across runs", () => {
    let state: string;
    let d: string;
    let upload: string;
    const steps = (v: number) => [
        {
            name: "upd",
            create: `echo create-v${v} >> ${d}/upd.log; echo out-v${v}`,
            update: `echo update-v${v} >> ${d}/upd.log`,
            delete: `echo delete >> ${d}/upd.log`,
        },
        { name: "again", create: `echo create-v${v} >> ${d}/again.log` },
        {
            name: "trig",
            create: `echo create-v${v} >> ${d}/trig.log; echo gen-v${v}`,
            delete: `echo "delete $PULUMI_COMMAND_STDOUT" >> ${d}/trig.log`,
            triggers: [String(v)],
        },
        {
            name: "dbr",
            create: `echo create >> ${d}/dbr.log`,
            delete: `echo delete >> ${d}/dbr.log`,
            triggers: [String(v)],
            deleteBeforeReplace: true,
        },
        { name: "secret", create: `cat > ${d}/secret.txt`, stdin: "TOPSECRET-123", logging: "none" },
        { name: "env", create: "echo $ENGINE_TEST_OK", environment: { ENGINE_TEST_OK: "accepted" } },
        { name: "local", kind: "local", create: "echo local-$ENGINE_TEST_OK", environment: { ENGINE_TEST_OK: "env" } },
        { name: "copy", kind: "copy", source: upload, remotePath: `${d}/uploaded.txt` },
        { name: "slow", create: `sleep 0.5; echo slow >> ${d}/chained.log` },
        { name: "after-slow", create: `echo after-slow >> ${d}/chained.log`, dependsOn: ["slow"] },
        { name: "slow2", create: `sleep 2; echo slow >> ${d}/parallel.log` },
        { name: "unchained", create: `echo unchained >> ${d}/parallel.log` },
        ...(v === 1 ? [{ name: "gone", create: `echo created >> ${d}/gone.log`, delete: `echo deleted >> ${d}/gone.log` }] : []),
    ];
    let first: RunResult;

    before(() => {
        d = fs.mkdtempSync(path.join(dir, "life-"));
        state = path.join(d, "state.json");
        upload = path.join(d, "upload-source.txt");
        fs.writeFileSync(upload, "content v1\n");
    });

    it("first run: every create runs once; stdin reaches the command; dependents wait", async () => {
        first = await run(state, steps(1));
        assert.ok(Object.values(opsOf(first)).every((op) => op === "create"));
        for (const f of ["upd", "again", "trig", "dbr", "gone"])
            assert.deepEqual(lines(`${d}/${f}.log`), [f === "gone" ? "created" : f === "dbr" ? "create" : "create-v1"]);
        assert.deepEqual(first.outputs.stdout, {
            upd: "out-v1",
            again: "",
            trig: "gen-v1",
            dbr: "",
            secret: "",
            env: "accepted",
            local: "local-env",
            slow: "",
            "after-slow": "",
            slow2: "",
            unchained: "",
            gone: "",
        });
        // stdin: on the host, not in any command line, not logged under logging "none"; secret in state.
        assert.equal(fs.readFileSync(`${d}/secret.txt`, "utf8"), "TOPSECRET-123");
        assert.ok(first.commandLog.every((c) => !c.commandLine.includes("TOPSECRET")));
        assert.ok(first.operations.every((o) => o.commandLines.every((l) => !l.includes("TOPSECRET"))));
        const secretState = Object.values(readState(state).resources).find((r) => r.name === "secret")!;
        assert.deepEqual(secretState.secretInputs, ["connection", "stdin"]);
        assert.ok(secretState.secretOutputs.includes("stdin"));
        assert.equal(first.commandLog.find((c) => c.urn.endsWith("::secret"))!.logged, "");
        assert.equal(fs.readFileSync(`${d}/uploaded.txt`, "utf8"), "content v1\n");
        // dependsOn: the dependent started after its dependency finished; without it, no waiting.
        assert.deepEqual(lines(`${d}/chained.log`), ["slow", "after-slow"]);
        assert.deepEqual(lines(`${d}/parallel.log`), ["unchained", "slow"]);
    });

    it("second run with no change runs no command and returns the same outputs", async () => {
        const second = await run(state, steps(1));
        assert.deepEqual(second.commandLog, []);
        assert.ok(second.operations.every((o) => o.op === "same"));
        assert.deepEqual(second.outputs, first.outputs);
    });

    it("changes: create -> update script, no update -> create again, triggers -> replace, removed -> delete", async () => {
        fs.writeFileSync(upload, "content v2\n");
        const third = await run(state, steps(2));
        assert.deepEqual(opsOf(third), {
            upd: "update",
            again: "update",
            trig: "delete",
            dbr: "replace",
            secret: "same",
            env: "same",
            local: "same",
            copy: "update",
            slow: "same",
            "after-slow": "same",
            slow2: "same",
            unchained: "same",
            gone: "delete",
        });
        assert.ok(third.operations.some((o) => o.name === "trig" && o.op === "replace"));
        assert.deepEqual(lines(`${d}/upd.log`), ["create-v1", "update-v2"]);
        assert.deepEqual(lines(`${d}/again.log`), ["create-v1", "create-v2"]);
        // Replace: the new one is created, the old one deleted afterwards, seeing its own stdout.
        assert.deepEqual(lines(`${d}/trig.log`), ["create-v1", "create-v2", "delete gen-v1"]);
        assert.deepEqual(lines(`${d}/dbr.log`), ["create", "delete", "create"]);
        assert.deepEqual(lines(`${d}/gone.log`), ["created", "deleted"]);
        assert.equal(fs.readFileSync(`${d}/uploaded.txt`, "utf8"), "content v2\n");
        assert.equal((third.outputs.stdout as Record<string, string>).trig, "gen-v2");
        // Deletes of old copies and removed resources come after every other step.
        const order = ran(third);
        assert.ok(order.indexOf("trig:delete") > order.indexOf("trig:create"));
        assert.equal(order[order.length - 1].endsWith(":delete"), true);
        const st = readState(state);
        assert.equal(st.pendingDeletes.length, 0);
        assert.equal(
            Object.values(st.resources).some((r) => r.name === "gone"),
            false,
        );
    });
});

describe("engine over SSH: failures", () => {
    it("a failed command fails the run with its command line and output; dependents wait; the next run converges", async () => {
        const d = fs.mkdtempSync(path.join(dir, "fail-"));
        const state = path.join(d, "state.json");
        const bad = "echo to-stdout; echo to-stderr >&2; exit 3";
        const steps = (failing: boolean) => [
            { name: "first", create: `echo first >> ${d}/log` },
            { name: "bad", create: failing ? bad : `echo bad >> ${d}/log`, dependsOn: ["first"] },
            { name: "dependent", create: `echo dependent >> ${d}/log`, dependsOn: ["bad"] },
        ];
        await assert.rejects(run(state, steps(true)), (e: unknown) => {
            assert.ok(e instanceof EngineRunError);
            assert.ok(e.message.startsWith(`Process exited with status 3: running ${JSON.stringify(bad)}:\n`), e.message);
            assert.match(e.message, /to-stdout/);
            assert.match(e.message, /to-stderr/);
            assert.deepEqual(ran(e.result), ["first:create", "bad:create"]);
            assert.equal(e.result.commandLog[1].exitCode, 3);
            return true;
        });
        assert.deepEqual(lines(`${d}/log`), ["first"]);
        assert.deepEqual(
            Object.values(readState(state).resources)
                .map((r) => r.name)
                .sort(),
            ["first", "k8s-binary-test"],
        );

        const fixed = await run(state, steps(false));
        assert.deepEqual(opsOf(fixed), { first: "same", bad: "create", dependent: "create" });
        assert.deepEqual(lines(`${d}/log`), ["first", "bad", "dependent"]);
    });

    it("environment the server does not accept fails the command before it runs", async () => {
        const d = fs.mkdtempSync(path.join(dir, "env-"));
        const steps = [{ name: "env", create: `touch ${d}/ran`, environment: { NOT_ACCEPTED: "x" } }];
        await assert.rejects(run(path.join(d, "state.json"), steps), /could not set environment variable "NOT_ACCEPTED"/);
        assert.equal(fs.existsSync(`${d}/ran`), false);
    });

    it("a pinned host key that does not match refuses the connection", async () => {
        const d = fs.mkdtempSync(path.join(dir, "hostkey-"));
        execFileSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", `${d}/other`]);
        const other = fs.readFileSync(`${d}/other.pub`, "utf8").trim();
        const steps = [{ name: "pinned", create: `touch ${d}/ran` }];
        await assert.rejects(
            run(path.join(d, "state.json"), steps, { ...sshd.connection, hostKey: other, dialErrorLimit: 1 }),
            /after 1 failed attempts: .*host key mismatch/,
        );
        assert.equal(fs.existsSync(`${d}/ran`), false);
    });
});

describe("engine over SSH: bastion", () => {
    it("reaches the host through a proxy connection", async () => {
        const d = fs.mkdtempSync(path.join(dir, "proxy-"));
        const steps = [{ name: "via", create: "echo via-bastion" }];
        const connection = { ...sshd.connection, proxy: sshd.connection };
        const r = await run(path.join(d, "state.json"), steps, connection);
        assert.deepEqual(r.outputs.stdout, { via: "via-bastion" });
    });
});
