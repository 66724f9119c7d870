// The host primitives' facts under the engine (test/support/engine, over a real OpenSSH server on
// loopback): RemoteFile's `registerOutputs({ facts })` lands in the component's state, secret
// content only marked, and nothing Pulumi would keep in plain text holds the secret or its digest.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { after, before, test } from "node:test";
import { readCheckpoint, readState, runProgram } from "../support/engine";
import { describeLeaks, findLeaks, plainState } from "../support/secret-scan";
import { startLoopbackSshd, type LoopbackSshd } from "../support/sshd-loopback";

const REPO = path.resolve(__dirname, "../..");
/** Where RemoteFile keeps its owner markers: on this machine, since the "remote" host is loopback. */
const MARKERS = "/var/lib/k8s-binary";
const SECRET = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIHN0YXRlLWZhY3RzLXRlc3Qta2V5LW5vdC1yZWFsLW5ldmVyLXVzZWQtYW55\n-----END EC PRIVATE KEY-----\n";

let sshd: LoopbackSshd;
let dir: string;
let stateFile: string;
let config: Record<string, string>;
const hadMarkers = fs.existsSync(MARKERS);
before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "host-facts-state-"));
    stateFile = path.join(dir, "state.json");
    sshd = await startLoopbackSshd();
    config = { connection: JSON.stringify(sshd.connection) };
});
after(async () => {
    // The empty program removes the files and their markers, also after a failed assertion.
    if (fs.existsSync(stateFile)) await runProgram({ program: program(false), stateFile, config });
    await sshd?.stop();
    fs.rmSync(dir, { recursive: true, force: true });
    if (!hadMarkers) fs.rmSync(MARKERS, { recursive: true, force: true });
});

/** A program writing one plain and one secret file on the loopback host, or nothing (which removes them). */
function program(withFiles: boolean): string {
    const file = path.join(dir, withFiles ? "files.ts" : "empty.ts");
    fs.writeFileSync(
        file,
        withFiles
            ? [
                  `import * as pulumi from "@pulumi/pulumi";`,
                  `import { RemoteFile } from ${JSON.stringify(path.join(REPO, "components/host"))};`,
                  `const host = { name: "loop", address: "127.0.0.1", connection: pulumi.secret(new pulumi.Config().requireObject<any>("connection")) };`,
                  `new RemoteFile("loop-plain", { host, path: ${JSON.stringify(path.join(dir, "plain.conf"))}, content: "a=1\\n" });`,
                  `new RemoteFile("loop-key", { host, path: ${JSON.stringify(path.join(dir, "key.pem"))}, content: pulumi.secret(${JSON.stringify(SECRET)}), mode: "0600" });`,
              ].join("\n")
            : "export {};\n",
    );
    return file;
}

test("RemoteFile's facts are in its state; a secret file's only as a mark", async () => {
    await runProgram({ program: program(true), stateFile, config });
    assert.equal(fs.readFileSync(path.join(dir, "key.pem"), "utf8"), SECRET, "the file was really written");

    const state = readState(stateFile);
    const facts = (name: string) => {
        const r = Object.values(state.resources).find((x) => x.name === name && x.type === "k8s-binary:index:RemoteFile");
        assert.ok(r, `${name} is in the state`);
        assert.ok(!r.secretOutputs.some((p) => p.startsWith("facts")), `${name}'s facts are not secret`);
        return r.outputs.facts;
    };
    assert.deepEqual(facts("loop-plain"), {
        kind: "file",
        host: "loop",
        path: path.join(dir, "plain.conf"),
        mode: "0644",
        owner: "root",
        group: "root",
        content: "a=1\n",
        secret: false,
    });
    assert.deepEqual(facts("loop-key"), {
        kind: "file",
        host: "loop",
        path: path.join(dir, "key.pem"),
        mode: "0600",
        owner: "root",
        group: "root",
        secret: true,
    });
    const leaks = findLeaks(
        { ...plainState(state), checkpoint: readCheckpoint(stateFile) },
        { key: SECRET, "sha256 of the key": createHash("sha256").update(SECRET).digest("hex") },
    );
    assert.deepEqual(leaks, [], describeLeaks(leaks));
});
