// The render's collector on hand-made registrations: files, units, releases and images from the
// primitives' facts (a step that merely looks like a file write stays a step), secrets marked,
// steps in dependency order, steps and primitives on unknown hosts reported, and a primitive
// that registered no facts (or secret ones) refused.
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { remoteScript } from "../../../components/host/connection";
import type { HostFacts } from "../../../components/host/facts";
import { renderWriteFileScript } from "../../../components/host/remote-file";
import { loadStackFile } from "../../../components/cluster-spec";
import type { MockRuntime, Registration } from "../../../scripts/lib/mock-runtime";
import { collect } from "../../../scripts/render/collect";
import { randomPlaceholder, randomToken, Substitutions } from "../../../scripts/render/placeholders";
import { writeRender } from "../../../scripts/render/write";

const { spec } = loadStackFile(join(__dirname, "../../../stacks/Pulumi.dev.yaml"));
const secret = (value: unknown) => ({ [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value });
const master = { host: "192.168.56.10", user: "debian", privateKey: secret("<ssh key>") };
const urn = (type: string, name: string) => `urn:pulumi:dev::k8s-binary::${type}::${name}`;

function command(name: string, inputs: Record<string, unknown>, dependencies: string[] = [], parent = ""): Registration {
    return {
        urn: urn("command:remote:Command", name),
        type: "command:remote:Command",
        name,
        parent,
        custom: true,
        dependencies,
        aliases: [],
        inputs: { connection: secret(master), ...inputs },
    };
}
function component(type: string, name: string): Registration {
    return { urn: urn(type, name), type, name, parent: "", custom: false, dependencies: [], aliases: [], inputs: {} };
}
const release = (host: string): HostFacts => ({
    kind: "release",
    host,
    name: "etcd",
    version: "3.5.21",
    source: { localPath: "/srv/etcd.tar.gz" },
    checksum: `sha256:${"a".repeat(64)}`,
    binaries: ["etcd"],
    installDir: "/opt/k8s-binary/etcd/3.5.21",
    binDir: "/usr/local/bin",
});

/** A RemoteFile writing /etc/b.conf (secret) and one writing /etc/a.conf, a unit, a release on two hosts, an image, and plain steps. */
function program(subs: Substitutions): MockRuntime {
    const token = randomToken("token", 8);
    subs.add(token, randomPlaceholder("token"));
    const fileB = component("k8s-binary:index:RemoteFile", "b");
    const fileA = component("k8s-binary:index:RemoteFile", "a");
    const unit = component("k8s-binary:index:SystemdUnit", "etcd");
    const rel1 = component("k8s-binary:index:BinaryRelease", "etcd-master");
    const rel2 = component("k8s-binary:index:BinaryRelease", "etcd-worker");
    const image = component("k8s-binary:index:ImageArchive", "pause");
    const lost = component("k8s-binary:index:RemoteFile", "lost");
    const registrations: Registration[] = [
        fileB,
        fileA,
        unit,
        rel1,
        rel2,
        image,
        lost,
        // The write scripts are any scripts: files are told by the facts alone.
        command(
            "b-write",
            { create: remoteScript({ sudo: true }, "reworded"), stdin: secret(`pass=${token}\n`) },
            [urn("command:remote:Command", "c-first")],
            fileB.urn,
        ),
        command("a-write", { create: remoteScript({ sudo: true }, "cat > /etc/a.conf"), stdin: "a=1\n" }, [], fileA.urn),
        command("c-first", { create: remoteScript({ sudo: true }, "echo first") }),
        // RemoteFile's exact script, but no RemoteFile: a step, not a file.
        command("a-lookalike", { create: remoteScript({}, renderWriteFileScript("/etc/x", "0644", "root", "root", "x")), stdin: "x\n" }),
        { ...command("elsewhere", { create: remoteScript({}, "true") }), inputs: { connection: { host: "10.0.0.99" }, create: remoteScript({}, "true") } },
        {
            urn: urn("kubernetes:core/v1:ConfigMap", "flannel-cfg"),
            type: "kubernetes:core/v1:ConfigMap",
            name: "flannel-cfg",
            parent: "",
            custom: true,
            dependencies: [],
            aliases: [],
            inputs: {
                apiVersion: "v1",
                kind: "ConfigMap",
                metadata: { name: "kube-flannel-cfg", namespace: "kube-flannel" },
                data: { "net-conf.json": '{"Network":"10.244.0.0/16"}' },
            },
        },
    ];
    const facts = new Map<string, HostFacts>([
        [fileB.urn, { kind: "file", host: "dev-master", path: "/etc/b.conf", mode: "0600", owner: "root", group: "root", secret: true }],
        [fileA.urn, { kind: "file", host: "dev-master", path: "/etc/a.conf", mode: "0644", owner: "etcd", group: "etcd", content: "a=1\n", secret: false }],
        [unit.urn, { kind: "unit", host: "dev-master", unit: "etcd.service", enabled: true, content: "[Unit]\n", secret: false }],
        [rel1.urn, release("dev-worker1")],
        [rel2.urn, release("dev-master")],
        [
            image.urn,
            {
                kind: "image",
                host: "dev-worker2",
                ref: "registry.k8s.io/pause:3.10",
                digest: `sha256:${"b".repeat(64)}`,
                namespace: "k8s.io",
                source: { url: "http://mirror/pause.tar" },
                archiveChecksum: `sha256:${"c".repeat(64)}`,
            },
        ],
        [lost.urn, { kind: "file", host: "no-such-host", path: "/etc/lost", mode: "0644", owner: "root", group: "root", content: "", secret: false }],
    ]);
    return { registrations, outputs: new Map([...facts].map(([u, f]) => [u, { facts: f }])) };
}

test("placeholders embedded base64-encoded, as kubeconfigs embed keys, are named", () => {
    const subs = new Substitutions();
    const key = "<private key of admin-key: generated at deploy>";
    subs.addEncoded(key);
    assert.equal(subs.apply(`client-key-data: ${Buffer.from(key).toString("base64")}\n`), `client-key-data: <base64 of ${key}>\n`);
});

test("files, units, releases and images from facts; look-alike steps, secrets, order, cluster objects and unknown hosts", (t) => {
    const subs = new Substitutions();
    const r = collect(spec, program(subs), subs);
    const host = r.hosts.find((h) => h.name === "dev-master")!;
    assert.deepEqual(
        host.files.map((f) => [f.path, f.mode, `${f.owner}:${f.group}`, f.secret, f.content, f.resource]),
        [
            ["/etc/a.conf", "0644", "etcd:etcd", false, "a=1\n", "a-write"],
            ["/etc/b.conf", "0600", "root:root", true, "pass=<random token: generated at deploy>\n", "b-write"],
        ],
    );
    assert.deepEqual(host.units, [{ unit: "etcd.service", enabled: true, resource: "etcd" }]);
    assert.deepEqual(r.releases, [
        {
            name: "etcd",
            version: "3.5.21",
            source: "uploaded from /srv/etcd.tar.gz (machine running Pulumi)",
            checksum: `sha256:${"a".repeat(64)}`,
            hosts: ["dev-master", "dev-worker1"],
        },
    ]);
    assert.deepEqual(
        r.images.map((i) => [i.ref, i.source, i.hosts]),
        [["registry.k8s.io/pause:3.10", "http://mirror/pause.tar", ["dev-worker2"]]],
    );
    assert.deepEqual(
        host.steps.map((s) => s.resource),
        ["a-lookalike", "a-write", "c-first", "b-write"],
        "dependencies first, ties by name",
    );
    assert.ok(host.steps.every((s) => s.sudo === (s.resource !== "a-lookalike")));
    assert.deepEqual(r.unplaced, ["elsewhere (Command)", "lost (RemoteFile)"]);
    assert.deepEqual(
        r.clusterObjects.map((o) => o.name),
        ["flannel-cfg"],
    );

    const work = mkdtempSync(join(tmpdir(), "k8s-binary-render-collect-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const dir = join(work, "out");
    writeRender(dir, r, { stack: "dev", stackFile: "stacks/Pulumi.dev.yaml", configNotes: [], warnings: [], outputs: {} });
    const cm = join(dir, "cluster/core-v1-ConfigMap/flannel-cfg.yaml");
    assert.ok(existsSync(cm));
    assert.match(readFileSync(cm, "utf8"), /^kind: ConfigMap$/m);
    assert.match(readFileSync(join(dir, "hosts/dev-master/files/etc/b.conf"), "utf8"), /^pass=<random token/);
    assert.match(
        readFileSync(join(dir, "hosts/dev-master/files.txt"), "utf8"),
        /^0600 root:root \/etc\/b\.conf {2}\[secret at deploy: placeholders shown\] {2}<- b-write$/m,
    );
    assert.match(readFileSync(join(dir, "hosts/dev-master/units.txt"), "utf8"), /^enabled {2}etcd\.service {2}<- etcd$/m);
    assert.match(readFileSync(join(dir, "hosts/dev-master/steps/001-a-lookalike.sh"), "utf8"), /# ---- stdin ----\n# \| x\n/);
    assert.match(readFileSync(join(dir, "hosts/dev-master/steps/004-b-write.sh"), "utf8"), /# stdin: the content of \/etc\/b\.conf/);
    const summary = readFileSync(join(dir, "summary.md"), "utf8");
    assert.match(summary, /- kubernetes:core\/v1:ConfigMap flannel-cfg/);
    assert.match(summary, /## Remote steps on no known host\n\n- elsewhere \(Command\)\n- lost \(RemoteFile\)/);
    assert.match(summary, /\| dev-master \| 192\.168\.56\.10 \| etcd, control-plane \| 2 \| 1 \| 4 \|/);
    assert.match(summary, /^\| registry\.k8s\.io\/pause:3\.10 \| `sha256:b{64}` \| http:\/\/mirror\/pause\.tar \| dev-worker2 \|$/m);
});

test("a host primitive that registered no facts, or secret facts, stops the render", () => {
    const subs = new Substitutions();
    const missing = program(subs);
    missing.outputs.delete(urn("k8s-binary:index:SystemdUnit", "etcd"));
    assert.throws(() => collect(spec, missing, subs), /etcd \(SystemdUnit\) registered no unit facts/);

    const secretFacts = program(subs);
    const file = urn("k8s-binary:index:RemoteFile", "a");
    secretFacts.outputs.set(file, { facts: secret(secretFacts.outputs.get(file)!.facts) });
    assert.throws(() => collect(spec, secretFacts, subs), /a \(RemoteFile\) registered its facts as a secret/);
});
