// The facts the host primitives register (components/host/facts.ts), as the mock runtime
// records them: what each puts on its host, and for secret content only the mark, never the
// content or a digest of it, in any encoding.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { installMockRuntime, settled } from "../../../scripts/lib/mock-runtime";
import { isSecret } from "../../../scripts/lib/rpc-values";
import { standInOutputs } from "../../../scripts/lib/stand-in-outputs";
import { describeLeaks, findLeaks, plainInputs } from "../../support/secret-scan";

const recording = installMockRuntime({ outputs: standInOutputs });

import { BinaryRelease, FACTS_OUTPUT, Host, ImageArchive, RemoteFile, SystemdUnit } from "../../../components/host";

const host: Host = { name: "m1", address: "10.0.0.10", connection: { host: "10.0.0.10", user: "root" } };
const KEY_PEM = "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGZhY3RzLXRlc3Qta2V5LW5vdC1yZWFsLW5vdC1ldmVyLXVzZWQtYW55d2hlcmWg\n-----END EC PRIVATE KEY-----\n";

/** The facts a component registered, by its name. */
function factsOf(name: string): Record<string, unknown> {
    const r = recording.registrations.find((x) => x.name === name && !x.custom);
    assert.ok(r, `${name} is registered`);
    const facts = recording.outputs.get(r.urn)?.[FACTS_OUTPUT];
    assert.ok(facts, `${name} registered facts`);
    assert.equal(isSecret(facts), false, `${name}'s facts are plain`);
    return facts;
}

test("RemoteFile and SystemdUnit: path, mode, owner, unit and text; secret content only marked", async () => {
    new RemoteFile("m1-conf", { host, path: "/etc/demo.conf", content: pulumi.output("a=1\n"), owner: "etcd" });
    new RemoteFile("m1-key", { host, path: "/etc/demo/key.pem", content: pulumi.secret(KEY_PEM), mode: "0600" });
    new SystemdUnit("m1-demo", { host, name: "demo.service", content: "[Service]\nExecStart=/bin/true\n", enable: false });
    await settled();
    assert.deepEqual(factsOf("m1-conf"), {
        kind: "file",
        host: "m1",
        path: "/etc/demo.conf",
        mode: "0644",
        owner: "etcd",
        group: "etcd",
        content: "a=1\n",
        secret: false,
    });
    assert.deepEqual(factsOf("m1-key"), { kind: "file", host: "m1", path: "/etc/demo/key.pem", mode: "0600", owner: "root", group: "root", secret: true });
    assert.deepEqual(factsOf("m1-demo"), {
        kind: "unit",
        host: "m1",
        unit: "demo.service",
        enabled: false,
        content: "[Service]\nExecStart=/bin/true\n",
        secret: false,
    });

    // Nothing plain anywhere (inputs, outputs, facts) holds the key or its digest, in any encoding.
    const texts: Record<string, string> = {};
    for (const r of recording.registrations) {
        texts[`${r.name} inputs`] = plainInputs(r.inputs);
        texts[`${r.name} outputs`] = plainInputs(recording.outputs.get(r.urn) ?? {});
    }
    const leaks = findLeaks(texts, { key: KEY_PEM, "sha256 of the key": createHash("sha256").update(KEY_PEM).digest("hex") });
    assert.deepEqual(leaks, [], describeLeaks(leaks));
});

test("BinaryRelease and ImageArchive: what is installed from where, pinned how", async () => {
    new BinaryRelease("m1-etcd", {
        host,
        name: "etcd",
        version: "3.5.21",
        url: "http://mirror.invalid/etcd.tar.gz",
        sha256: "A".repeat(64),
        archive: "tar.gz",
        binaries: ["etcd", "etcdctl"],
    });
    new BinaryRelease("m1-runc", {
        host,
        name: "runc",
        version: "1.1.12",
        localPath: "/srv/runc.amd64",
        sha512: "b".repeat(128),
        archive: "binary",
        binaries: ["runc"],
        binDir: "/usr/bin",
    });
    new ImageArchive("m1-pause", {
        host,
        ref: "registry.k8s.io/pause:3.10.2",
        localPath: "/srv/pause.tar",
        sha256: "c".repeat(64),
        digest: `sha256:${"d".repeat(64)}`,
    });
    await settled();
    assert.deepEqual(factsOf("m1-etcd"), {
        kind: "release",
        host: "m1",
        name: "etcd",
        version: "3.5.21",
        source: { url: "http://mirror.invalid/etcd.tar.gz" },
        checksum: `sha256:${"a".repeat(64)}`,
        binaries: ["etcd", "etcdctl"],
        installDir: "/opt/k8s-binary/etcd/3.5.21",
        binDir: "/usr/local/bin",
    });
    assert.deepEqual(factsOf("m1-runc"), {
        kind: "release",
        host: "m1",
        name: "runc",
        version: "1.1.12",
        source: { localPath: "/srv/runc.amd64" },
        checksum: `sha512:${"b".repeat(128)}`,
        binaries: ["runc"],
        installDir: "/opt/k8s-binary/runc/1.1.12",
        binDir: "/usr/bin",
    });
    assert.deepEqual(factsOf("m1-pause"), {
        kind: "image",
        host: "m1",
        ref: "registry.k8s.io/pause:3.10.2",
        digest: `sha256:${"d".repeat(64)}`,
        namespace: "k8s.io",
        source: { localPath: "/srv/pause.tar" },
        archiveChecksum: `sha256:${"c".repeat(64)}`,
    });
});
