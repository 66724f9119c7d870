// The program (index.ts → KubernetesCluster) deploying nodes to real test hosts: one control-plane
// host (etcd and the control plane; the endpoint is its address) and two workers running
// containerd, the kubelet and kube-proxy from a mirror of the toolchain's releases, with the
// images imported from the mirror's OCI archives. The kubelets join with the bootstrap token, their
// client CSRs are approved by the controller-manager, and the apiserver reaches them (logs, exec)
// verifying the serving certificates the component issued from the cluster CA.
import { test } from "node:test";
import { waitUntil } from "../support/wait-until";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { builtEtcdRelease } from "../support/etcd-release";
import { makeMirror, publishedDigest, tool, versions as V } from "../support/toolchain";
import { runProgram } from "../support/engine";
import type { ImageRecord } from "../support/node-runtime";

const PROGRAM = join(__dirname, "../../index.ts");
const WORKERS = ["w1", "w2"];
const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1";

test("the program joins two workers to a control plane on real hosts", { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-workers-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const mirror = makeMirror(join(work, "mirror"));
    const etcd = builtEtcdRelease();
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", ...WORKERS] });
    t.after(() => testbed.stop());
    const base = await testbed.serveDirectory(mirror);
    const images = JSON.parse(readFileSync(join(mirror, "images", "images.json"), "utf8")) as ImageRecord[];
    const wanted = images.filter((i) => /\/(pause|coredns|agnhost)[:/]/.test(i.ref) || /coredns:v/.test(i.ref));
    const host = (name: string, roles: string[]) => ({ name, address: testbed.host(name).address, roles, hostKey: testbed.host(name).hostKey });
    const digest = (dir: string, file: string, checksumFile: string) => publishedDigest(join(mirror, dir, checksumFile), file);
    const k8sDir = `kubernetes/v${V.KUBERNETES}`;
    const specWith = (w1Labels: Record<string, string> = {}) => ({
        name: "testbed",
        hosts: [host("cp1", ["etcd", "control-plane"]), { ...host("w1", ["worker"]), labels: w1Labels }, host("w2", ["worker"])],
        ssh: { user: "root" },
        binaries: {
            kubernetes: {
                version: V.KUBERNETES,
                baseUrl: `${base}/kubernetes`,
                serverTarball: { sha512: digest(k8sDir, "kubernetes-server-linux-amd64.tar.gz", "kubernetes-server-linux-amd64.tar.gz.sha512") },
            },
            etcd: { version: etcd.version, sha256: etcd.sha256, localPath: etcd.dir },
            containerd: {
                version: V.CONTAINERD,
                baseUrl: `${base}/containerd`,
                sha256: digest(
                    `containerd/v${V.CONTAINERD}`,
                    `containerd-${V.CONTAINERD}-linux-amd64.tar.gz`,
                    `containerd-${V.CONTAINERD}-linux-amd64.tar.gz.sha256sum`,
                ),
            },
            runc: { version: V.RUNC, baseUrl: `${base}/runc`, sha256: digest(`runc/v${V.RUNC}`, "runc.amd64", "runc.sha256sum") },
            cniPlugins: {
                version: V.CNI_PLUGINS,
                baseUrl: `${base}/cni-plugins`,
                sha256: digest(
                    `cni-plugins/v${V.CNI_PLUGINS}`,
                    `cni-plugins-linux-amd64-v${V.CNI_PLUGINS}.tgz`,
                    `cni-plugins-linux-amd64-v${V.CNI_PLUGINS}.tgz.sha256`,
                ),
            },
        },
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: testbed.serviceCidr },
        // Plain bridges on each node's block (test/integration/flannel.test.ts proves flannel).
        flannel: { mode: "none" },
        controlPlane: { registerNodes: false },
        // Testbed hosts: hybrid cgroups, no CAP_SYS_RESOURCE, a read-only nf_conntrack_max (each node's preflight says so).
        nodes: {
            cgroupV1: true,
            restrictOomScoreAdj: true,
            conntrackMaxPerCore: 0,
            images: wanted.map((i) => ({ ref: i.ref, file: i.file, sha256: i.sha256, digest: i.digest, baseUrl: `${base}/images` })),
        },
    });
    const privateKey = testbed.hosts[0].connection.privateKey;
    const configOf = (spec: object) => ({ "k8s-binary:cluster": JSON.stringify(spec), "k8s-binary:sshPrivateKey": privateKey });
    const config = configOf(specWith());
    const stateFile = join(work, "state.json");
    const exec = async (h: string, cmd: string) => {
        const r = await testbed.exec(h, cmd);
        assert.equal(r.code, 0, `${h}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };

    const started = Date.now();
    const first = await runProgram({ program: PROGRAM, stateFile, config });
    console.log(`first run: ${first.commandLog.length} remote commands in ${Date.now() - started} ms`);
    const kubeconfigFile = join(work, "admin.conf");
    writeFileSync(kubeconfigFile, first.outputs.adminKubeconfig as string, { mode: 0o600 });
    const kubectl = (args: string[], input?: string) => {
        const r = spawnSync(tool("kubernetes", "kubectl"), ["--kubeconfig", kubeconfigFile, "--request-timeout=20s", ...args], {
            encoding: "utf8",
            timeout: 60_000,
            input,
        });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };

    await t.test("the nodes output names both workers", () => {
        assert.deepEqual(first.outputs.nodes, WORKERS);
        const expiry = first.outputs.certificateExpiry as Record<string, string>;
        for (const w of WORKERS) assert.match(expiry[`node/${w}/kubelet-serving`] ?? "", /^\d{4}-\d\d-\d\dT/);
    });

    await t.test("both kubelets' client CSRs were approved automatically for the bootstrap token's user", () => {
        const secret = kubectl(["-n", "kube-system", "get", "secrets", "--field-selector", "type=bootstrap.kubernetes.io/token", "-o", "name"]);
        const id = /^secret\/bootstrap-token-([a-z0-9]{6})$/.exec(secret)?.[1];
        assert.ok(id, secret);
        const rows = kubectl([
            "get",
            "csr",
            "-o",
            'jsonpath={range .items[*]}{.spec.username} {.spec.signerName} {.status.conditions[*].type} {.status.certificate}{"\\n"}{end}',
        ])
            .split("\n")
            .filter((l) => l.startsWith("system:bootstrap:"));
        assert.equal(rows.length, WORKERS.length, rows.join("\n"));
        for (const row of rows) {
            const [user, signer, condition, certificate] = row.split(" ");
            assert.equal(user, `system:bootstrap:${id}`);
            assert.equal(signer, "kubernetes.io/kube-apiserver-client-kubelet");
            assert.equal(condition, "Approved");
            assert.ok((certificate ?? "").length > 100, "issued");
        }
        const table = kubectl(["get", "csr"]);
        assert.equal((table.match(/Approved,Issued/g) ?? []).length >= WORKERS.length, true, table);
    });

    await t.test("both nodes become Ready", async () => {
        await waitUntil(
            () => {
                const ready = kubectl([
                    "get",
                    "nodes",
                    "-o",
                    'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}',
                ]);
                return WORKERS.every((w) => ready.split("\n").includes(`${w}=True`));
            },
            180_000,
            "both nodes Ready",
        );
    });

    await t.test("each kubelet's client certificate is issued by the cluster CA to system:node:<name>", async () => {
        for (const w of WORKERS) {
            const verified = await exec(w, "openssl verify -CAfile /var/lib/kubelet/pki/ca.crt /var/lib/kubelet/pki/kubelet-client-current.pem");
            assert.match(verified, /: OK$/);
            const subject = await exec(w, "openssl x509 -in /var/lib/kubelet/pki/kubelet-client-current.pem -noout -subject -issuer -nameopt RFC2253");
            assert.match(subject, new RegExp(`^subject=CN=system:node:${w},O=system:nodes$`, "m"));
            assert.match(subject, /^issuer=CN=testbed-ca$/m);
        }
    });

    await t.test("an agnhost pod runs on each worker; logs and exec reach it through the kubelets", async () => {
        for (const w of WORKERS) {
            kubectl(
                ["apply", "-f", "-"],
                JSON.stringify({
                    apiVersion: "v1",
                    kind: "Pod",
                    metadata: { name: `netexec-${w}`, namespace: "default" },
                    spec: {
                        nodeSelector: { "kubernetes.io/hostname": w },
                        containers: [{ name: "netexec", image: AGNHOST, imagePullPolicy: "Never", args: ["netexec", "--http-port=8080"] }],
                    },
                }),
            );
        }
        await waitUntil(
            () => WORKERS.every((w) => kubectl(["get", "pod", `netexec-${w}`, "-o", "jsonpath={.status.phase}"]) === "Running"),
            180_000,
            "both pods Running",
        );
        for (const w of WORKERS) {
            assert.equal(kubectl(["get", "pod", `netexec-${w}`, "-o", "jsonpath={.spec.nodeName}"]), w);
            await waitUntil(() => /8080/.test(kubectl(["logs", `netexec-${w}`])), 30_000, `logs of netexec-${w}`);
            assert.equal(kubectl(["exec", `netexec-${w}`, "--", "cat", "/etc/hostname"]), `netexec-${w}`);
        }
        // The kubelet serves the certificate issued from the cluster CA, not a self-signed one.
        const served = await exec(
            "cp1",
            `openssl s_client -connect ${testbed.host("w1").address}:10250 -CAfile /etc/kubernetes/pki/ca.crt </dev/null 2>&1 | grep 'Verify return code'`,
        );
        assert.match(served, /Verify return code: 0 \(ok\)/);
    });

    await t.test("CoreDNS runs on the workers", () => {
        const ready = kubectl(["-n", "kube-system", "get", "deployment", "coredns", "-o", "jsonpath={.status.readyReplicas}"]);
        assert.equal(ready, "2");
    });

    await t.test("a second run changes nothing", async () => {
        const second = await runProgram({ program: PROGRAM, stateFile, config });
        assert.deepEqual(
            second.commandLog.map((e) => e.urn),
            [],
            "a second run runs no command",
        );
        assert.deepEqual(second.outputs, first.outputs);
    });

    await t.test("pods resolve the kubernetes Service through CoreDNS's ClusterIP from both workers", async () => {
        // Each worker routes the other's pod block to it, as flannel's host-gw backend will (no flannel yet).
        const subnetOf = async (w: string) =>
            (JSON.parse(await exec(w, "cat /etc/cni/net.d/10-k8s-binary-bridge.conflist")) as { plugins: { ipam: { ranges: { subnet: string }[][] } }[] })
                .plugins[0].ipam.ranges[0][0].subnet;
        const subnets = { w1: await subnetOf("w1"), w2: await subnetOf("w2") };
        assert.notEqual(subnets.w1, subnets.w2);
        await exec("w1", `ip route replace ${subnets.w2} via ${testbed.host("w2").address} dev eth0`);
        await exec("w2", `ip route replace ${subnets.w1} via ${testbed.host("w1").address} dev eth0`);
        const kubernetesIp = kubectl(["get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]);
        for (const w of WORKERS)
            for (let i = 0; i < 4; i++) {
                const answer = kubectl(["exec", `netexec-${w}`, "--", "nslookup", "kubernetes.default.svc.cluster.local"]);
                assert.ok(answer.includes(kubernetesIp), `${w}: ${answer}`);
            }
    });

    await t.test("a changed kubelet setting restarts only that node's kubelet", async () => {
        const units = ["containerd", "kubelet", "kube-proxy"];
        const startedAt = async () =>
            Object.fromEntries(
                await Promise.all(
                    WORKERS.flatMap((w) =>
                        units.map(async (u) => [`${w}/${u}`, await exec(w, `systemctl show -p ExecMainStartTimestampMonotonic --value ${u}`)] as const),
                    ),
                ),
            );
        const before = await startedAt();
        const run = await runProgram({ program: PROGRAM, stateFile, config: configOf(specWith({ "node.kubernetes.io/pool": "blue" })) });
        const after = await startedAt();
        const changed = Object.keys(after).filter((k) => after[k] !== before[k]);
        assert.deepEqual(
            changed,
            ["w1/kubelet"],
            `restarted: ${changed.join(", ")}; commands: ${run.commandLog.map((e) => e.urn.replace(/.*::/, "")).join(", ")}`,
        );
        assert.match(await exec("w1", "cat /etc/kubernetes/kubelet.env"), /--node-labels=node\.kubernetes\.io\/pool=blue/);
        await waitUntil(
            () => kubectl(["get", "node", "w1", "-o", 'jsonpath={.status.conditions[?(@.type=="Ready")].status}']) === "True",
            60_000,
            "w1 Ready again",
        );
    });
});
