import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled, valueOf } from "../../support/recording-mocks";
import { describeLeaks, findLeaks, plainInputs } from "../../support/secret-scan";

const registered = recordingMocks();

import { BinaryRelease, fingerprint, Host, HostPrep, RemoteFile, remoteScript, shellQuote, SystemdUnit, WaitFor } from "../../../components/host";

const host: Host = { name: "m1", address: "10.0.0.10", connection: { host: "10.0.0.10", user: "root" } };
const commands = (prefix: string) => registered.filter((r) => r.type === "command:remote:Command" && r.name.startsWith(prefix));

test("remoteScript runs strict bash, through sudo -n only when asked", () => {
    assert.match(remoteScript(host, "echo hi"), /^\/bin\/bash -c 'set -euo pipefail\necho hi\n'$/);
    assert.equal(shellQuote("/etc/a-b_c.conf"), "/etc/a-b_c.conf");
    assert.equal(shellQuote("a b"), "'a b'");
    assert.match(remoteScript({ sudo: true }, "echo 'x'"), /^sudo -n \/bin\/bash -c 'set -euo pipefail\necho '"'"'x'"'"'\n'$/);
});

const KEY_PEM =
    "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIGs2b3VyLWtleS1vbmx5LWZvci10ZXN0cy1ub3QtcmVhbGx5oAoGCCqGSM49\nAwEHoUQDQgAEc2VjcmV0LW1hdGVyaWFsLWluLWEtdW5pdC10ZXN0LWZpeHR1cmU=\n-----END EC PRIVATE KEY-----\n";

test("RemoteFile sends secret content on stdin only, with its mode, and keeps it secret", async () => {
    const content = pulumi.secret(KEY_PEM);
    const file = new RemoteFile("m1-key", { host, path: "/etc/etcd/pki/key.pem", content, mode: "0600" });
    await settled();
    const [cmd] = commands("m1-key-write");
    assert.ok(cmd, "the write command is registered with the host-prefixed name");
    // Every plain (non-secret) input of every resource, in every encoding the key could take.
    const texts = Object.fromEntries(registered.map((r) => [`${r.name} inputs`, plainInputs(r.inputs)]));
    const leaks = findLeaks(texts, { key: KEY_PEM });
    assert.deepEqual(leaks, [], `the key outside a secret:\n${describeLeaks(leaks)}`);
    assert.match(String(cmd.inputs.create), /chmod 0600/);
    assert.match(String(cmd.inputs.create), /mv -f "\$tmp" "\$path"/, "written by rename");
    assert.match(String(cmd.inputs.delete), /= m1-key \]; then rm -f "\$path"/, "removes the file only while it owns it");
    assert.deepEqual(cmd.inputs.triggers, ["/etc/etcd/pki/key.pem"]);
    assert.equal(await pulumi.isSecret(file.command.stdin), true);
    assert.equal(await pulumi.isSecret(file.contentHash), true, "a hash of a secret stays secret");
});

test("RemoteFile rejects relative paths and bad modes before registering anything", () => {
    const before = registered.length;
    assert.throws(() => new RemoteFile("bad", { host, path: "etc/x", content: "x" }), /must be absolute/);
    assert.throws(() => new RemoteFile("bad2", { host, path: "/etc/x", content: "x", mode: "644x" }), /must be octal/);
    assert.equal(
        registered.filter((r) => r.type === "command:remote:Command").length,
        registered.slice(0, before).filter((r) => r.type === "command:remote:Command").length,
    );
});

test("fingerprint changes with any input and only then", async () => {
    const a = await valueOf(fingerprint(["x", "y"]));
    assert.equal(await valueOf(fingerprint(["x", "y"])), a);
    assert.notEqual(await valueOf(fingerprint(["x", "y2"])), a);
    assert.notEqual(await valueOf(fingerprint(["xy", ""])), await valueOf(fingerprint(["x", "y"])), "boundaries count");
});

test("SystemdUnit writes the unit, then activates it with a fingerprint of what it restarts on", async () => {
    const conf = new RemoteFile("m1-demo-conf", { host, path: "/etc/demo.conf", content: "a=1\n" });
    const unit = new SystemdUnit("m1-demo", {
        host,
        name: "demo.service",
        content: "[Service]\nExecStart=/bin/sleep infinity\n",
        restartOn: [conf.contentHash],
    });
    await settled();
    const [activate] = commands("m1-demo-activate");
    assert.match(String(activate.inputs.create), /systemctl enable --quiet demo.service/);
    assert.match(String(activate.inputs.create), /systemctl restart demo.service/);
    assert.match(String(activate.inputs.delete), /systemctl disable --now --quiet demo.service/);
    assert.match(String(activate.inputs.stdin), /^[0-9a-f]{64}$/);
    const [unitWrite] = commands("m1-demo-file-write");
    assert.match(String(unitWrite.inputs.create), /\/etc\/systemd\/system\/demo.service/);
    assert.equal(unit.unitFile.path, "/etc/systemd/system/demo.service");
    assert.throws(() => new SystemdUnit("x", { host, name: "demo", content: "" }), /not a unit name/);
});

test("BinaryRelease verifies the checksum before unpacking and refuses bad arguments", async () => {
    const sha = "a".repeat(64);
    const rel = new BinaryRelease("m1-etcd", {
        host,
        name: "etcd",
        version: "3.5.17",
        url: "https://example.invalid/etcd.tar.gz",
        sha256: sha,
        archive: "tar.gz",
        binaries: ["etcd", "etcdctl"],
    });
    await settled();
    const [install] = commands("m1-etcd-install");
    const script = String(install.inputs.create);
    assert.ok(script.indexOf("sha256sum") < script.indexOf("tar -xzf"), "verify, then unpack");
    const k8s = new BinaryRelease("m1-kubernetes", {
        host,
        name: "kubernetes-server",
        version: "1.33.5",
        url: "https://example.invalid/kubernetes-server-linux-amd64.tar.gz",
        sha512: "d".repeat(128),
        archive: "tar.gz",
        binaries: ["kube-apiserver"],
    });
    await settled();
    assert.match(String(commands("m1-kubernetes-install")[0].inputs.create), /got=\$\(sha512sum/);
    assert.equal(await valueOf(k8s.checksum), "d".repeat(128));
    assert.ok(script.indexOf("tar -xzf") < script.indexOf(`mv "$work/version" "$dest"`), "unpack in a temp dir, then move in");
    assert.deepEqual(rel.paths, { etcd: "/usr/local/bin/etcd", etcdctl: "/usr/local/bin/etcdctl" });
    assert.equal(rel.installDir, "/opt/k8s-binary/etcd/3.5.17");
    assert.equal(await valueOf(rel.checksum), sha);
    assert.throws(
        () => new BinaryRelease("b1", { host, name: "x", version: "1", sha256: sha, archive: "tar.gz", binaries: ["x"] }),
        /exactly one of url and localPath/,
    );
    assert.throws(() => new BinaryRelease("b2", { host, name: "x", version: "1", url: "u", sha256: "abc", archive: "tar.gz", binaries: ["x"] }), /not 64 hex/);
    assert.throws(
        () => new BinaryRelease("b4", { host, name: "x", version: "1", url: "u", sha256: sha, sha512: "c".repeat(128), archive: "tar.gz", binaries: ["x"] }),
        /exactly one of sha256 and sha512/,
    );
    assert.throws(
        () => new BinaryRelease("b5", { host, name: "x", version: "1", url: "u", sha512: "c".repeat(64), archive: "tar.gz", binaries: ["x"] }),
        /not 128 hex/,
    );
    assert.throws(
        () => new BinaryRelease("b3", { host, name: "x", version: "1", url: "u", sha256: sha, archive: "binary", binaries: ["x", "y"] }),
        /exactly one binary/,
    );
});

test("BinaryRelease from a local path uploads first, to a checksum-named staging file", async () => {
    new BinaryRelease("m1-runc", {
        host,
        name: "runc",
        version: "1.1.12",
        localPath: "/srv/mirror/runc.amd64",
        sha256: "b".repeat(64),
        archive: "binary",
        binaries: ["runc"],
    });
    await settled();
    const upload = registered.find((r) => r.type === "command:remote:CopyToRemote" && r.name === "m1-runc-upload");
    assert.ok(upload);
    assert.equal(upload.inputs.remotePath, `/var/tmp/k8s-binary-${"b".repeat(32)}-runc.amd64`);
});

test("WaitFor embeds the check and the timeout message", async () => {
    new WaitFor("m1-wait-demo", { host, description: "demo answering", check: "curl -fsS http://127.0.0.1:1/", timeoutSeconds: 5, intervalSeconds: 1 });
    await settled();
    const [wait] = commands("m1-wait-demo-wait");
    assert.match(String(wait.inputs.create), /timed out after 5s waiting for: demo answering/);
    assert.throws(() => new WaitFor("w2", { host, description: "x", check: "true", timeoutSeconds: 0 }), /must be positive/);
});

test("HostPrep declares one step per concern, all named after the host, ending in time-sync", async () => {
    new HostPrep("m1-prep", {
        host,
        hostsEntries: [
            { name: "m1", address: "10.0.0.10" },
            { name: "a0", address: "10.0.0.9" },
        ],
    });
    await settled();
    const names = registered
        .filter((r) => r.name.startsWith("m1-prep"))
        .map((r) => r.name)
        .sort();
    for (const step of ["hostname", "etc-hosts", "swap", "packages", "kernel", "firewall", "selinux", "time-sync"]) {
        assert.ok(names.includes(`m1-prep-${step}`), `step ${step} registered: ${names.join(",")}`);
    }
    assert.throws(
        () => new HostPrep("m1-bad", { host, openPorts: ["6443", "vrrp", "1/sctp"] }),
        /openPorts\[0\]: "6443" is not a firewall opening[\s\S]*openPorts\[2\]: "1\/sctp"/,
    );
    const hostsStep = registered.find((r) => r.name === "m1-prep-etc-hosts")!;
    assert.equal(hostsStep.inputs.stdin, "# BEGIN k8s-binary managed hosts\n10.0.0.9 a0\n10.0.0.10 m1\n# END k8s-binary managed hosts\n");
});
