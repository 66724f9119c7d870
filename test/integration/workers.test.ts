// The program (index.ts → KubernetesCluster) deploying nodes to real test hosts: one control-plane
// host (etcd and the control plane; the endpoint is its address; registered as a tainted node, the
// default) and two workers, each running containerd, the kubelet and kube-proxy from a mirror of
// the toolchain's releases, with the images imported from the mirror's OCI archives. The kubelets
// join with the bootstrap token, their client CSRs are approved by the controller-manager, and the
// apiserver reaches them (logs, exec) verifying the serving certificates the component issued
// from the cluster CA. The first deployment is killed halfway and recovered (from the lock, and
// from what a kill inside a checkpoint save leaves). Then Services, DNS, a client certificate
// renewal, setting changes, and a worker removed from the stack (drained, deregistered, cleaned up).
import { test } from "node:test";
import { waitUntil } from "../support/wait-until";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { mirrorBinaries } from "../support/mirror-binaries";
import { makeMirror, mirrorImages } from "../support/toolchain";
import { kubectlWith } from "../support/kubectl";
import { testbedNodes } from "../support/testbed-nodes";
import { EngineRunError, runProgram } from "../support/engine";
import { deployThroughCrash } from "../support/crashed-deployment";
import { AGNHOST, spreadNetexec } from "../support/workloads";
import { checkedExec, programConfig, testbedHost } from "../support/testbed-stack";

const PROGRAM = join(__dirname, "../../index.ts");
const WORKERS = ["w1", "w2"];
const NODES = ["cp1", ...WORKERS];

test("the program joins two workers to a control plane on real hosts", { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-workers-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const mirror = makeMirror(join(work, "mirror"));
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", ...WORKERS] });
    t.after(() => testbed.stop());
    const base = await testbed.serveDirectory(mirror);
    const images = mirrorImages(mirror);
    const wanted = images.filter((i) => /\/(pause|coredns|agnhost)[:/]/.test(i.ref) || /coredns:v/.test(i.ref));
    const host = (name: string, roles: string[]) => testbedHost(testbed, name, roles);
    const specWith = ({ w1Labels = {}, maxPods, workers = WORKERS }: { w1Labels?: Record<string, string>; maxPods?: number; workers?: string[] } = {}) => ({
        name: "testbed",
        hosts: [host("cp1", ["etcd", "control-plane"]), { ...host("w1", ["worker"]), labels: w1Labels }, host("w2", ["worker"])].filter(
            (h) => h.name === "cp1" || workers.includes(h.name),
        ),
        ssh: { user: "root" },
        binaries: mirrorBinaries(mirror, base),
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: testbed.serviceCidr },
        // Plain bridges on each node's block (test/integration/flannel.test.ts proves flannel).
        flannel: { mode: "none" },
        nodes: testbedNodes(wanted, base, maxPods === undefined ? {} : { maxPods }),
    });
    const configOf = (spec: object) => programConfig(testbed, spec);
    const config = configOf(specWith());
    const stateFile = join(work, "state.json");
    const exec = checkedExec(testbed);

    // The first deployment dies halfway (SIGKILL to the CLI and all below it, as a crash of the
    // machine running Pulumi), then its state is made what a kill inside a checkpoint save leaves;
    // recovered as docs/troubleshooting.md says, it converges, and every test below checks that cluster.
    const started = Date.now();
    const { result: first, log } = await deployThroughCrash({ program: PROGRAM, stateFile, config }, 60);
    console.log(
        `first deployment: killed after ${log.killedAfter} commands (in a checkpoint save: ${log.inSave}); ` +
            `runs: ${log.runs.join(", ")}; converged with ${first.commandLog.length} more commands, in ${Date.now() - started} ms`,
    );
    const kubeconfigFile = join(work, "admin.conf");
    writeFileSync(kubeconfigFile, first.outputs.adminKubeconfig as string, { mode: 0o600 });
    const kubectl = kubectlWith(kubeconfigFile);
    const apply = (object: object) => kubectl(["apply", "-f", "-"], JSON.stringify(object));

    await t.test("the nodes output names the control-plane host and both workers", () => {
        assert.deepEqual(first.outputs.nodes, NODES);
        const expiry = first.outputs.certificateExpiry as Record<string, string>;
        for (const n of NODES) assert.match(expiry[`node/${n}/kubelet-serving`] ?? "", /^\d{4}-\d\d-\d\dT/);
    });

    await t.test("every kubelet's client CSR was approved automatically for the bootstrap token's user", () => {
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
        assert.equal(rows.length, NODES.length, rows.join("\n"));
        for (const row of rows) {
            const [user, signer, condition, certificate] = row.split(" ");
            assert.equal(user, `system:bootstrap:${id}`);
            assert.equal(signer, "kubernetes.io/kube-apiserver-client-kubelet");
            assert.equal(condition, "Approved");
            assert.ok((certificate ?? "").length > 100, "issued");
        }
    });

    const readiness = () =>
        kubectl(["get", "nodes", "-o", 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']).split("\n");
    await t.test("every node becomes Ready; the control-plane host carries its taint", async () => {
        await waitUntil(() => NODES.every((n) => readiness().includes(`${n}=True`)), 180_000, "every node Ready");
        assert.equal(kubectl(["get", "node", "cp1", "-o", "jsonpath={.spec.taints[*].key}"]), "node-role.kubernetes.io/control-plane");
        assert.equal(kubectl(["get", "node", "w1", "-o", "jsonpath={.spec.taints}"]), "");
    });

    await t.test("each kubelet's client certificate is issued by the cluster CA to system:node:<name>", async () => {
        for (const n of NODES) {
            const verified = await exec(n, "openssl verify -CAfile /var/lib/kubelet/pki/ca.crt /var/lib/kubelet/pki/kubelet-client-current.pem");
            assert.match(verified, /: OK$/);
            const subject = await exec(n, "openssl x509 -in /var/lib/kubelet/pki/kubelet-client-current.pem -noout -subject -issuer -nameopt RFC2253");
            assert.match(subject, new RegExp(`^subject=CN=system:node:${n},O=system:nodes$`, "m"));
            assert.match(subject, /^issuer=CN=testbed-ca$/m);
        }
    });

    await t.test("an agnhost pod runs on each worker; logs and exec reach it through the kubelets", async () => {
        for (const w of WORKERS) {
            apply({
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: `netexec-${w}`, namespace: "default", labels: { app: `netexec-${w}` } },
                spec: {
                    nodeSelector: { "kubernetes.io/hostname": w },
                    terminationGracePeriodSeconds: 1,
                    containers: [{ name: "netexec", image: AGNHOST, imagePullPolicy: "Never", args: ["netexec", "--http-port=8080"] }],
                },
            });
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

    await t.test("CoreDNS runs", () => {
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

    await t.test("a ClusterIP Service and a NodePort reach each worker's pod from its node", async () => {
        for (const w of WORKERS) {
            apply({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: `netexec-${w}`, namespace: "default" },
                spec: { type: "NodePort", selector: { app: `netexec-${w}` }, ports: [{ port: 80, targetPort: 8080 }] },
            });
            const clusterIp = kubectl(["get", "service", `netexec-${w}`, "-o", "jsonpath={.spec.clusterIP}"]);
            const nodePort = kubectl(["get", "service", `netexec-${w}`, "-o", "jsonpath={.spec.ports[0].nodePort}"]);
            assert.match(clusterIp, /^10\./);
            // kube-proxy programs the rules once the endpoints are known: wait for the first answer.
            const get = (url: string) =>
                testbed.exec(w, `curl -fsS --max-time 3 ${url}`).then((r) => (r.code === 0 ? r.stdout.trim() : `(${r.stderr.trim()})`));
            await waitUntil(async () => (await get(`http://${clusterIp}/hostname`)) === `netexec-${w}`, 60_000, `ClusterIP of netexec-${w} from ${w}`);
            assert.equal(await get(`http://${testbed.host(w).address}:${nodePort}/hostname`), `netexec-${w}`, `NodePort ${nodePort} on ${w}`);
        }
    });

    await t.test("pods resolve the kubernetes Service and the netexec Services' names through CoreDNS", async () => {
        // Each node routes the others' pod blocks to them, as flannel's host-gw backend will (no flannel yet).
        const subnetOf = async (n: string) =>
            (JSON.parse(await exec(n, "cat /etc/cni/net.d/10-k8s-binary-bridge.conflist")) as { plugins: { ipam: { ranges: { subnet: string }[][] } }[] })
                .plugins[0].ipam.ranges[0][0].subnet;
        const subnets = Object.fromEntries(await Promise.all(NODES.map(async (n) => [n, await subnetOf(n)] as const)));
        assert.equal(new Set(Object.values(subnets)).size, NODES.length, "one block per node");
        for (const n of NODES)
            for (const other of NODES.filter((o) => o !== n)) await exec(n, `ip route replace ${subnets[other]} via ${testbed.host(other).address} dev eth0`);
        const expected: Record<string, string> = {
            "kubernetes.default.svc.cluster.local": kubectl(["get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"]),
        };
        for (const w of WORKERS)
            expected[`netexec-${w}.default.svc.cluster.local`] = kubectl(["get", "service", `netexec-${w}`, "-o", "jsonpath={.spec.clusterIP}"]);
        for (const w of WORKERS)
            for (const [name, ip] of Object.entries(expected))
                for (let i = 0; i < 2; i++) {
                    const answer = kubectl(["exec", `netexec-${w}`, "--", "nslookup", name]);
                    assert.ok(answer.includes(ip), `${w}: ${name}: ${answer}`);
                }
    });

    await t.test("a kubelet renews its client certificate through a CSR approved for system:node:<name> (selfnodeclient)", async () => {
        const pki = "/var/lib/kubelet/pki";
        const csr = await exec(
            "w1",
            `openssl pkey -in ${pki}/kubelet-client-current.pem | openssl req -new -key /dev/stdin -subj '/O=system:nodes/CN=system:node:w1'`,
        );
        // An otherwise valid certificate past its rotation deadline (70-90% of its life): signed with
        // the cluster CA on cp1, valid from ten hours ago for one more hour.
        const signed = await testbed.exec(
            "cp1",
            `d=$(mktemp -d); cat >"$d/req.csr"
printf '[ca]\\ndefault_ca = d\\n[d]\\ndatabase = %s/index\\nnew_certs_dir = %s\\nserial = %s/serial\\ndefault_md = sha256\\npolicy = p\\nunique_subject = no\\n[p]\\norganizationName = supplied\\ncommonName = supplied\\n[ext]\\nkeyUsage = critical, digitalSignature\\nextendedKeyUsage = clientAuth\\n' "$d" "$d" "$d" >"$d/ca.cnf"
touch "$d/index"; openssl rand -hex 8 >"$d/serial"
openssl ca -batch -config "$d/ca.cnf" -cert /etc/kubernetes/pki/ca.crt -keyfile /etc/kubernetes/pki/ca.key -in "$d/req.csr" -out "$d/out.crt" -extensions ext -preserveDN -notext -startdate "$(date -u -d '-10 hours' +%Y%m%d%H%M%SZ)" -enddate "$(date -u -d '+1 hour' +%Y%m%d%H%M%SZ)" >"$d/log" 2>&1 || { cat "$d/log" >&2; exit 1; }
cat "$d/out.crt"; rm -rf "$d"`,
            { input: `${csr}\n` },
        );
        assert.equal(signed.code, 0, signed.stderr);
        const csrsOfW1 = () =>
            kubectl(["get", "csr", "-o", 'jsonpath={range .items[*]}{.spec.username} {.spec.signerName} {.status.conditions[*].type}{"\\n"}{end}'])
                .split("\n")
                .filter((l) => l.startsWith("system:node:w1 "));
        assert.deepEqual(csrsOfW1(), [], "no CSR from the node itself before");
        const aged = await testbed.exec(
            "w1",
            `set -e; cat >${pki}/kubelet-client-aged.pem; openssl pkey -in ${pki}/kubelet-client-current.pem >>${pki}/kubelet-client-aged.pem
ln -sfn ${pki}/kubelet-client-aged.pem ${pki}/kubelet-client-current.pem
openssl x509 -in ${pki}/kubelet-client-aged.pem -noout -serial; systemctl restart kubelet`,
            { input: signed.stdout },
        );
        assert.equal(aged.code, 0, aged.stderr);
        const agedSerial = aged.stdout.trim();
        await waitUntil(
            async () => (await exec("w1", `openssl x509 -in ${pki}/kubelet-client-current.pem -noout -serial`)) !== agedSerial,
            120_000,
            "the kubelet rotated its client certificate",
        );
        assert.deepEqual(csrsOfW1(), ["system:node:w1 kubernetes.io/kube-apiserver-client-kubelet Approved"]);
        const renewed = await exec("w1", `openssl x509 -in ${pki}/kubelet-client-current.pem -noout -subject -issuer -startdate -nameopt RFC2253`);
        assert.match(renewed, /^subject=CN=system:node:w1,O=system:nodes$/m);
        assert.match(renewed, /^issuer=CN=testbed-ca$/m);
        const notBefore = Date.parse(/^notBefore=(.*)$/m.exec(renewed)![1]);
        assert.ok(Date.now() - notBefore < 30 * 60_000, `issued just now: ${renewed}`);
        await waitUntil(() => readiness().includes("w1=True"), 60_000, "w1 Ready with the new certificate");
        // The restarted kubelet serves exec again once it has synced its pods.
        await waitUntil(() => kubectl(["exec", "netexec-w1", "--", "cat", "/etc/hostname"]) === "netexec-w1", 60_000, "exec through w1's kubelet again");
    });

    const units = ["containerd", "kubelet", "kube-proxy"];
    const startedAt = async () =>
        Object.fromEntries(
            await Promise.all(
                NODES.flatMap((n) =>
                    units.map(async (u) => [`${n}/${u}`, await exec(n, `systemctl show -p ExecMainStartTimestampMonotonic --value ${u}`)] as const),
                ),
            ),
        );
    const restartedBy = async (spec: object) => {
        const before = await startedAt();
        const run = await runProgram({ program: PROGRAM, stateFile, config: configOf(spec) });
        const after = await startedAt();
        return { changed: Object.keys(after).filter((k) => after[k] !== before[k]), run };
    };
    const commandsOf = (run: { commandLog: { urn: string }[] }) => run.commandLog.map((e) => e.urn.replace(/.*::/, "")).join(", ");

    await t.test("a changed kubelet setting of every node restarts only the kubelets", async () => {
        assert.equal(kubectl(["get", "node", "w2", "-o", "jsonpath={.status.capacity.pods}"]), "110");
        const { changed, run } = await restartedBy(specWith({ maxPods: 100 }));
        assert.deepEqual(
            changed,
            NODES.map((n) => `${n}/kubelet`),
            `restarted: ${changed.join(", ")}; commands: ${commandsOf(run)}`,
        );
        for (const n of NODES) assert.match(await exec(n, "cat /var/lib/kubelet/config.yaml"), /^maxPods: 100$/m);
        await waitUntil(
            () => NODES.every((n) => kubectl(["get", "node", n, "-o", "jsonpath={.status.capacity.pods}"]) === "100"),
            60_000,
            "every node reports 100 pods",
        );
    });

    await t.test("a changed label restarts only that node's kubelet", async () => {
        const { changed, run } = await restartedBy(specWith({ maxPods: 100, w1Labels: { "node.kubernetes.io/pool": "blue" } }));
        assert.deepEqual(changed, ["w1/kubelet"], `restarted: ${changed.join(", ")}; commands: ${commandsOf(run)}`);
        assert.match(await exec("w1", "cat /etc/kubernetes/kubelet.env"), /--node-labels=node\.kubernetes\.io\/pool=blue/);
        await waitUntil(() => readiness().includes("w1=True"), 60_000, "w1 Ready again");
    });

    await t.test("a worker removed from the stack is drained, deregistered and cleaned up; its pods move", async () => {
        // Two replicas, one per schedulable node (cordoned nodes leave the spread: nodeTaintsPolicy Honor).
        apply(spreadNetexec("spread", 2, { imagePullPolicy: "Never" }));
        const spreadNodes = () =>
            kubectl(["get", "pods", "-l", "app=spread", "-o", 'jsonpath={range .items[*]}{.spec.nodeName}={.status.phase}{"\\n"}{end}'])
                .split("\n")
                .filter(Boolean)
                .sort();
        await waitUntil(() => spreadNodes().join(",") === "w1=Running,w2=Running", 120_000, "one replica on each worker");
        const spec = specWith({ maxPods: 100, w1Labels: { "node.kubernetes.io/pool": "blue" }, workers: ["w1"] });

        // The bare pod on w2 has no controller to recreate it: the drain refuses it and the run fails.
        const refused = await runProgram({ program: PROGRAM, stateFile, config: configOf(spec) }).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(refused instanceof EngineRunError, `the removal fails: ${String(refused)}`);
        const said = `${refused.message}\n${refused.diagnostics}`;
        assert.match(said, /cannot delete Pods that declare no controller[\s\S]*default\/netexec-w2/);
        assert.match(said, /node w2 was not drained within 300s: the pods named above could not be evicted/);
        assert.equal(kubectl(["get", "node", "w2", "-o", "jsonpath={.spec.unschedulable}"]), "true", "w2 stays cordoned");
        assert.equal(await exec("w2", "systemctl is-active kubelet"), "active", "and running");

        kubectl(["delete", "pod", "netexec-w2", "--wait=true"]);
        const removed = await runProgram({ program: PROGRAM, stateFile, config: configOf(spec) });
        assert.deepEqual(removed.outputs.nodes, ["cp1", "w1"]);
        assert.deepEqual(kubectl(["get", "nodes", "-o", "name"]).split("\n"), ["node/cp1", "node/w1"]);
        await waitUntil(() => spreadNodes().join(",") === "w1=Running,w1=Running", 120_000, "both replicas on w1");
        const left = await testbed.exec(
            "w2",
            "systemctl list-unit-files kubelet.service kube-proxy.service containerd.service --no-legend | wc -l; ls /var/lib/kubelet/config.yaml /etc/kubernetes/kubelet.env /etc/kubernetes/k8s-binary-versions 2>&1 | grep -c 'No such file'; pgrep -c -x containerd-shim || true",
        );
        assert.deepEqual(left.stdout.trim().split("\n"), ["0", "3", "0"], `units, files and records, and shims left on w2: ${left.stdout}`);
        // The removal leaves the rest converged.
        const again = await runProgram({ program: PROGRAM, stateFile, config: configOf(spec) });
        assert.deepEqual(
            again.commandLog.map((e) => e.urn),
            [],
            "a run after the removal runs no command",
        );
    });

    await t.test("the worker added back joins again; elsewhere only the hosts files change", async () => {
        const added = await runProgram({
            program: PROGRAM,
            stateFile,
            config: configOf(specWith({ maxPods: 100, w1Labels: { "node.kubernetes.io/pool": "blue" } })),
        });
        assert.deepEqual(added.outputs.nodes, NODES);
        const w2 = testbed.host("w2").address;
        const elsewhere = [...new Set(added.commandLog.filter((e) => e.host !== w2).map((e) => e.urn.replace(/.*::/, "")))].sort();
        // Every host lists every other in its /etc/hosts block; nothing else of theirs changes.
        assert.deepEqual(elsewhere, ["cp1-prep-etc-hosts", "w1-prep-etc-hosts"], `commands off w2: ${elsewhere.join(", ")}`);
        await waitUntil(() => readiness().includes("w2=True"), 180_000, "w2 Ready again");
        assert.equal(kubectl(["get", "node", "w2", "-o", "jsonpath={.status.capacity.pods}"]), "100");
    });
});
