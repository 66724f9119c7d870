// The render's collector on hand-made registrations: in-cluster objects, files told apart from
// look-alike steps, secrets marked, steps in dependency order, steps on unknown hosts reported.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { remoteScript } from "../../components/host/connection";
import { renderWriteFileScript } from "../../components/host/remote-file";
import { loadStackFile } from "../../components/spec";
import { collect } from "../../scripts/render/collect";
import type { Registration } from "../../scripts/render/mocks";
import { randomPlaceholder, randomToken, Substitutions } from "../../scripts/render/placeholders";
import { writeRender } from "../../scripts/render/write";

const { spec } = loadStackFile(join(__dirname, "../../stacks/Pulumi.dev.yaml"));
const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
const master = { host: "192.168.56.10", user: "debian", privateKey: secret("<ssh key>") };
const urn = (type: string, name: string) => `urn:pulumi:dev::k8s-binary::${type}::${name}`;

function command(name: string, inputs: Record<string, unknown>, dependencies: string[] = []): Registration {
    return { urn: urn("command:remote:Command", name), type: "command:remote:Command", name, parent: "", custom: true, dependencies, inputs: { connection: secret(master), ...inputs } };
}

test("placeholders embedded base64-encoded, as kubeconfigs embed keys, are named", () => {
    const subs = new Substitutions();
    const key = "<private key of admin-key: generated at deploy>";
    subs.addEncoded(key);
    assert.equal(subs.apply(`client-key-data: ${Buffer.from(key).toString("base64")}\n`), `client-key-data: <base64 of ${key}>\n`);
});

test("files, look-alike steps, secrets, order, cluster objects and unknown hosts", () => {
    const subs = new Substitutions();
    const token = randomToken("token", 8);
    subs.add(token, randomPlaceholder("token"));
    const write = (path: string) => remoteScript({ sudo: true }, renderWriteFileScript(path, "0600", "root", "root", "f"));
    const regs: Registration[] = [
        command("b-write", { create: write("/etc/b.conf"), stdin: secret(`pass=${token}\n`) }, [urn("command:remote:Command", "c-first")]),
        command("c-first", { create: remoteScript({ sudo: true }, "echo first") }),
        // Starts like a file write but is not RemoteFile's script: a step, not a file.
        command("a-lookalike", { create: remoteScript({}, "path=/etc/x\ncat > /etc/x"), stdin: "x\n" }),
        { ...command("elsewhere", { create: remoteScript({}, "true") }), inputs: { connection: { host: "10.0.0.99" }, create: remoteScript({}, "true") } },
        {
            urn: urn("kubernetes:core/v1:ConfigMap", "flannel-cfg"), type: "kubernetes:core/v1:ConfigMap", name: "flannel-cfg", parent: "", custom: true, dependencies: [],
            inputs: { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "kube-flannel-cfg", namespace: "kube-flannel" }, data: { "net-conf.json": "{\"Network\":\"10.244.0.0/16\"}" } },
        },
    ];
    const r = collect(spec, regs, subs);
    const host = r.hosts.find((h) => h.name === "dev-master")!;
    assert.deepEqual(host.files.map((f) => [f.path, f.mode, f.secret, f.content]), [["/etc/b.conf", "0600", true, "pass=<random token: generated at deploy>\n"]]);
    assert.deepEqual(host.steps.map((s) => s.resource), ["a-lookalike", "c-first", "b-write"], "dependencies first, ties by name");
    assert.ok(host.steps.every((s) => s.sudo === (s.resource !== "a-lookalike")));
    assert.deepEqual(r.unplaced, ["elsewhere (Command)"]);
    assert.deepEqual(r.clusterObjects.map((o) => o.name), ["flannel-cfg"]);

    const dir = join(mkdtempSync(join(tmpdir(), "k8s-binary-render-collect-")), "out");
    writeRender(dir, r, { stack: "dev", stackFile: "stacks/Pulumi.dev.yaml", configNotes: [], warnings: [], outputs: {} });
    const cm = join(dir, "cluster/core-v1-ConfigMap/flannel-cfg.yaml");
    assert.ok(existsSync(cm));
    assert.match(readFileSync(cm, "utf8"), /^kind: ConfigMap$/m);
    assert.match(readFileSync(join(dir, "hosts/dev-master/files/etc/b.conf"), "utf8"), /^pass=<random token/);
    assert.match(readFileSync(join(dir, "hosts/dev-master/steps/001-a-lookalike.sh"), "utf8"), /# ---- stdin ----\n# \| x\n/);
    assert.match(readFileSync(join(dir, "hosts/dev-master/steps/003-b-write.sh"), "utf8"), /# stdin: the content of \/etc\/b\.conf/);
    const summary = readFileSync(join(dir, "summary.md"), "utf8");
    assert.match(summary, /- kubernetes:core\/v1:ConfigMap flannel-cfg/);
    assert.match(summary, /## Remote steps on no known host\n\n- elsewhere \(Command\)/);
    assert.match(summary, /\| dev-master \| 192\.168\.56\.10 \| etcd, control-plane \| 1 \| 1 \| 3 \|/);
});
