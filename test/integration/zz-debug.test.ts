// The program itself (index.ts → KubernetesCluster) deployed from a stack spec to real test hosts:
// host preparation, etcd from a local release (uploaded over SFTP, checksum-verified) on three
// hosts, nginx + keepalived with a VIP on two, and the control plane (the built Kubernetes
// release) on two, with its in-cluster objects made through the VIP by the real Kubernetes
// provider. One cluster serves every proof of this file, in an order where each leaves it whole.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { builtEtcdRelease } from "../support/etcd-release";
import { familyPath, publishedDigest, tool, versions } from "../support/toolchain";
import { readCheckpoint, runProgram } from "../support/engine";
import { apiGet, credentialsOf, startApiPoller } from "../support/api-poller";
import { findLeaks, describeLeaks } from "../support/secret-scan";

const PROGRAM = join(__dirname, "../../index.ts");
const CONTROL_PLANE = ["cp1", "cp2"];
const ETCD = ["cp1", "cp2", "e3"];

test("the k8s-binary program deploys a stack's hosts, etcd, LB and control plane to real hosts", async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-cluster-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const release = builtEtcdRelease();
    const serverTarball = join(familyPath("kubernetes"), "release", "kubernetes", `v${versions.KUBERNETES}`, "kubernetes-server-linux-amd64.tar.gz");
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", "cp2", "e3", "lb1", "lb2"] });
    t.after(() => testbed.stop());
    const vip = testbed.address(100);
    const host = (name: string, roles: string[]) => ({ name, address: testbed.host(name).address, roles, hostKey: testbed.host(name).hostKey });
    const cluster = (changes: { apiserverFlags?: Record<string, string>; serviceCidr?: string } = {}) => ({
        name: "testbed",
        hosts: [host("cp1", ["etcd", "control-plane"]), host("cp2", ["etcd", "control-plane"]), host("e3", ["etcd"]), host("lb1", ["lb"]), host("lb2", ["lb"])],
        ssh: { user: "root" },
        binaries: {
            kubernetes: {
                version: versions.KUBERNETES,
                localPath: dirname(serverTarball),
                serverTarball: { sha512: publishedDigest(`${serverTarball}.sha512`, "kubernetes-server-linux-amd64.tar.gz") },
            },
            etcd: { version: release.version, sha256: release.sha256, localPath: release.dir },
        },
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: changes.serviceCidr ?? testbed.serviceCidr },
        loadBalancer: { vip, interface: "eth0", virtualRouterId: 77 },
        controlPlane: { extraSans: ["api.testbed.example"], extraFlags: { apiserver: changes.apiserverFlags ?? {} } },
    });
    const privateKey = testbed.hosts[0].connection.privateKey;
    const configOf = (spec: object) => ({ "k8s-binary:cluster": JSON.stringify(spec), "k8s-binary:sshPrivateKey": privateKey });
    const config = configOf(cluster());
    const stateFile = join(work, "state.json");
    const exec = async (h: string, cmd: string) => {
        const r = await testbed.exec(h, cmd);
        assert.equal(r.code, 0, `${h}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const startedAt = async (h: string, unit: string) => Number(await exec(h, `systemctl show -p ExecMainStartTimestampMonotonic --value ${unit}`));

    const started = Date.now();
    const first = await runProgram({ program: PROGRAM, stateFile, config });
    console.log(`first run: ${first.commandLog.length} remote commands in ${Date.now() - started} ms`);
    const kubeconfig = first.outputs.adminKubeconfig as string;
    const kubeconfigFile = join(work, "admin.conf");
    writeFileSync(kubeconfigFile, kubeconfig, { mode: 0o600 });
    const kubectl = (...args: string[]) => {
        const r = spawnSync(tool("kubernetes", "kubectl"), ["--kubeconfig", kubeconfigFile, "--request-timeout=10s", ...args], {
            encoding: "utf8",
            timeout: 30_000,
        });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const creds = credentialsOf(kubeconfig);
    const etcdGet = (key: string) =>
        exec(
            "cp1",
            `set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=https://127.0.0.1:2379 get ${key} --print-value-only | head -c 64 | od -An -c | tr -d ' \\n'`,
        );

    const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
    const run = await runProgram({ program: PROGRAM, stateFile, config: configOf(cluster({ apiserverFlags: { "max-requests-inflight": "500" } })) });
    const report = await poller.stop();
    console.log("failures:", report.failures.length, "first", new Date(report.failures[0]?.at ?? 0).toISOString(), "last", new Date(report.failures.at(-1)?.at ?? 0).toISOString());
    console.log("steps:", run.commandLog.map((e) => `${e.urn.split("::").pop()} ${e.durationMs}`).join("\n"));
    const lb = (await testbed.exec("lb1", "ip -4 -o addr show dev eth0")).stdout.includes(vip) ? "lb1" : "lb2";
    const fmt = (iso: string) => iso.slice(11, 19);
    console.log("LB", lb, (await testbed.exec(lb, `journalctl --no-pager -o short-precise -u k8s-apiserver-lb.service | tail -40; grep -v ' 200 ' /var/log/nginx/k8s-apiserver-lb.access.log | tail -30; journalctl --no-pager -o short-precise -u keepalived -u k8s-apiserver-vip.service | tail -20`)).stdout);
    for (const h of CONTROL_PLANE) console.log(h, (await testbed.exec(h, `journalctl --no-pager -o short-precise -u kube-apiserver | grep -iE 'Started|Stopping|Stopped|shutdown|terminat|listen|Serving securely' | tail -20 | cut -c1-220`)).stdout);
    void fmt;
});
