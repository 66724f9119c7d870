// The program itself (index.ts → KubernetesCluster) deployed from a stack spec to real test hosts:
// host preparation on every host, etcd from a local release (the air-gapped path: uploaded over
// SFTP, checksum-verified) on three, nginx + keepalived with a VIP on two; a second run is a no-op.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { builtEtcdRelease } from "../support/etcd-release";
import { familyPath, publishedDigest, versions } from "../support/toolchain";
import { runProgram } from "../support/engine";

const PROGRAM = join(__dirname, "../../index.ts");

test("the k8s-binary program deploys a stack's prep, etcd and LB to real hosts", async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-cluster-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const release = builtEtcdRelease();
    const serverTarball = join(familyPath("kubernetes"), "release", "kubernetes", `v${versions.KUBERNETES}`, "kubernetes-server-linux-amd64.tar.gz");
    const testbed: Testbed = await startTestbed({ hosts: ["c1", "c2", "c3"] });
    t.after(() => testbed.stop());
    const vip = testbed.address(100);
    const host = (name: string, roles: string[]) => ({ name, address: testbed.host(name).address, roles, hostKey: testbed.host(name).hostKey });
    const cluster = {
        name: "testbed",
        hosts: [host("c1", ["etcd", "control-plane"]), host("c2", ["etcd", "lb"]), host("c3", ["etcd", "lb"])],
        ssh: { user: "root" },
        binaries: {
            // Installed on the control-plane host by its host plan, for the control plane to run.
            kubernetes: {
                version: versions.KUBERNETES,
                localPath: dirname(serverTarball),
                serverTarball: { sha512: publishedDigest(`${serverTarball}.sha512`, "kubernetes-server-linux-amd64.tar.gz") },
            },
            etcd: { version: release.version, sha256: release.sha256, localPath: release.dir },
        },
        network: { hostSubnets: [testbed.subnet] },
        loadBalancer: { vip, interface: "eth0", virtualRouterId: 77 },
    };
    const config = { "k8s-binary:cluster": JSON.stringify(cluster), "k8s-binary:sshPrivateKey": testbed.hosts[0].connection.privateKey };
    const stateFile = join(work, "state.json");

    const started = Date.now();
    const first = await runProgram({ program: PROGRAM, stateFile, config });
    console.log(`first run: ${first.commandLog.length} remote commands in ${Date.now() - started} ms`);
    assert.equal(first.outputs.apiserverEndpoint, `https://${vip}:6443`);
    assert.deepEqual(
        first.outputs.etcdEndpoints,
        ["c1", "c2", "c3"].map((h) => `https://${testbed.host(h).address}:2379`),
    );
    assert.ok(first.secretOutputs.length === 0 || !first.secretOutputs.includes("apiserverEndpoint"));
    const expiry = first.outputs.certificateExpiry as Record<string, string>;
    assert.ok(Object.keys(expiry).includes("etcd-ca") && Object.keys(expiry).length >= 7, Object.keys(expiry).join(","));
    const reports = first.outputs.hostReports as Record<string, string>;
    assert.deepEqual(Object.keys(reports).sort(), ["c1", "c2", "c3"]);
    // Built in without a /sys/module entry, and no /lib/modules: found by its sysctls.
    assert.match(reports.c1, /module br_netfilter: present/);
    assert.ok(
        first.commandLog.some((e) => e.commandLine.startsWith("sftp put") && e.commandLine.includes(release.file)),
        "etcd uploaded from the local path",
    );
    assert.ok(!first.commandLog.some((e) => e.commandLine.includes(config["k8s-binary:sshPrivateKey"].split("\n")[1])), "the SSH key is in no command line");

    const exec = async (h: string, cmd: string) => {
        const r = await testbed.exec(h, cmd);
        assert.equal(r.code, 0, `${h}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };
    assert.match(
        await exec(
            "c1",
            "set -a; . /etc/etcd/etcdctl.env; ETCDCTL_ENDPOINTS=$(echo " +
                ["c1", "c2", "c3"].map((h) => `https://${testbed.host(h).address}:2379`).join(",") +
                ") etcdctl endpoint health 2>&1",
        ),
        /is healthy/,
    );
    for (const h of ["c1", "c2", "c3"]) {
        assert.equal(await exec(h, "hostname"), h);
        assert.equal(await exec(h, "sysctl -n net.ipv4.ip_forward"), "1", "the sysctl file is applied");
        assert.match(await exec(h, "cat /etc/hosts"), /# BEGIN k8s-binary managed hosts\n[\s\S]* c1\n[\s\S]* c3\n# END/);
    }
    // One install per host per artifact, owned by the host plan; the server tarball only where a control plane runs.
    for (const h of ["c1", "c2", "c3"]) assert.equal(await exec(h, `ls -A /opt/k8s-binary/etcd/${release.version}/.owners`), `${h}-etcd-${release.version}`);
    assert.equal(await exec("c1", `ls -A /opt/k8s-binary/kubernetes-server/${versions.KUBERNETES}/.owners`), `c1-kubernetes-server-${versions.KUBERNETES}`);
    assert.match(await exec("c1", "kube-apiserver --version"), new RegExp(`v${versions.KUBERNETES.replace(/\./g, "\\.")}`));
    assert.equal(await exec("c2", `test -e /opt/k8s-binary/kubernetes-server || echo absent`), "absent");
    assert.match(await exec("c2", "ip -4 -o addr show dev eth0"), new RegExp(` ${vip.replace(/\./g, "\\.")}/32 `), "the VIP is on the MASTER");
    assert.equal(await exec("c1", `timeout 2 bash -c '</dev/tcp/${vip}/6443' && echo open`), "open");
    assert.equal(await exec("c1", "systemctl is-active k8s-apiserver-lb.service || true"), "inactive", "no LB on a host without the lb role");

    const second = await runProgram({ program: PROGRAM, stateFile, config });
    assert.deepEqual(
        second.commandLog.map((e) => e.urn),
        [],
        "a second run runs no remote command",
    );
    assert.deepEqual(second.outputs, first.outputs);
});
