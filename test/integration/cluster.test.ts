// The program itself (index.ts → KubernetesCluster) deployed from a stack spec to real test hosts:
// host preparation, etcd from a local release (uploaded over SFTP, checksum-verified) on three
// hosts, nginx + keepalived with a VIP on two, and the control plane (the built Kubernetes
// release) on two, with its in-cluster objects made through the VIP by the real Kubernetes
// provider. One cluster serves every proof of this file, in an order where each leaves it whole.
import { test } from "node:test";
import { waitUntil } from "../support/wait-until";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { tool } from "../support/toolchain";
import { checkedExec, localControlPlaneBinaries, programConfig, testbedHost } from "../support/testbed-stack";
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
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", "cp2", "e3", "lb1", "lb2"] });
    t.after(() => testbed.stop());
    const vip = testbed.address(100);
    const host = (name: string, roles: string[]) => testbedHost(testbed, name, roles);
    const binaries = localControlPlaneBinaries();
    const cluster = (changes: { apiserverFlags?: Record<string, string>; serviceCidr?: string; rotation?: number } = {}) => ({
        name: "testbed",
        hosts: [host("cp1", ["etcd", "control-plane"]), host("cp2", ["etcd", "control-plane"]), host("e3", ["etcd"]), host("lb1", ["lb"]), host("lb2", ["lb"])],
        ssh: { user: "root" },
        binaries,
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: changes.serviceCidr ?? testbed.serviceCidr },
        loadBalancer: { vip, interface: "eth0", virtualRouterId: 77 },
        pki: { rotation: changes.rotation ?? 0 },
        // The control plane alone: no kubelets (workers.test.ts proves the nodes).
        controlPlane: { extraSans: ["api.testbed.example"], registerNodes: false, extraFlags: { apiserver: changes.apiserverFlags ?? {} } },
    });
    const privateKey = testbed.hosts[0].connection.privateKey;
    const configOf = (spec: object) => programConfig(testbed, spec);
    const config = configOf(cluster());
    const stateFile = join(work, "state.json");
    const exec = checkedExec(testbed);
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

    await t.test("outputs: the endpoint through the VIP, the admin kubeconfig a secret", () => {
        assert.equal(first.outputs.apiserverEndpoint, `https://${vip}:6443`);
        assert.deepEqual(
            first.outputs.etcdEndpoints,
            ETCD.map((h) => `https://${testbed.host(h).address}:2379`),
        );
        assert.ok(first.secretOutputs.includes("adminKubeconfig"), `secret outputs: ${first.secretOutputs.join(", ")}`);
        assert.equal(creds.server, `https://${vip}:6443`);
        const expiry = first.outputs.certificateExpiry as Record<string, string>;
        for (const name of ["ca", "front-proxy-ca", "etcd-ca", "control-plane/apiserver/cp1", "control-plane/apiserver/cp2", "control-plane/admin"])
            assert.match(expiry[name] ?? "", /^\d{4}-\d\d-\d\dT/, `expiry of ${name}`);
        assert.ok(!first.commandLog.some((e) => e.commandLine.includes(privateKey.split("\n")[1])), "the SSH key is in no command line");
    });

    await t.test("/readyz answers through the VIP with the admin kubeconfig", async () => {
        assert.equal(kubectl("get", "--raw", "/readyz"), "ok");
        const r = await apiGet(creds, "/api/v1/namespaces/kube-system");
        assert.equal(r.status, 200, r.body);
    });

    await t.test("each apiserver's serving certificate names exactly its host, localhost, the VIP, the kubernetes Service and the extra name", async () => {
        for (const h of CONTROL_PLANE) {
            const sans = await exec(h, "openssl x509 -in /etc/kubernetes/pki/apiserver.crt -noout -ext subjectAltName | tail -n +2");
            const names = sans.split(",").map((s) => s.trim());
            const want = [
                `DNS:${h}`,
                "DNS:localhost",
                "DNS:kubernetes",
                "DNS:kubernetes.default",
                "DNS:kubernetes.default.svc",
                "DNS:kubernetes.default.svc.cluster.local",
                "DNS:api.testbed.example",
                `IP Address:${testbed.host(h).address}`,
                `IP Address:${testbed.serviceCidr.replace(/\.0\/\d+$/, ".1")}`,
                `IP Address:${vip}`,
                "IP Address:127.0.0.1",
            ];
            assert.deepEqual([...names].sort(), [...want].sort(), `${h}: ${sans}`);
        }
        // What the VIP serves verifies against the kubeconfig's CA under the VIP's address.
        writeFileSync(join(work, "ca.crt"), creds.ca);
        const served = spawnSync(
            "openssl",
            ["s_client", "-connect", `${vip}:6443`, "-CAfile", join(work, "ca.crt"), "-verify_ip", vip, "-verify_return_error"],
            {
                input: "",
                encoding: "utf8",
                timeout: 15_000,
            },
        );
        assert.match(served.stdout, /Verify return code: 0 \(ok\)/, served.stderr);
    });

    await t.test("the controller-manager and scheduler leases have holders on the control-plane hosts", async () => {
        for (const lease of ["kube-controller-manager", "kube-scheduler"]) {
            const holder = kubectl("-n", "kube-system", "get", "lease", lease, "-o", "jsonpath={.spec.holderIdentity}");
            assert.match(holder, /^cp[12]_/, `${lease} holder`);
        }
    });

    await t.test("a Secret is stored encrypted with secretbox, and the audit log records its creation", async () => {
        kubectl("create", "secret", "generic", "probe", "--from-literal=word=plaintext-probe-value");
        const raw = await etcdGet("/registry/secrets/default/probe");
        assert.ok(raw.startsWith("k8s:enc:secretbox:v1:key1:"), `raw value in etcd: ${raw}`);
        assert.ok(!raw.includes("plaintext"));
        const logs = await Promise.all(CONTROL_PLANE.map((h) => exec(h, "cat /var/log/kubernetes/audit/audit.log")));
        const entries = logs
            .join("\n")
            .split("\n")
            .filter((l) => l.startsWith("{"))
            .map(
                (l) => JSON.parse(l) as { verb: string; objectRef?: { resource?: string; name?: string }; user: { username: string }; requestObject?: unknown },
            );
        const created = entries.filter((e) => e.verb === "create" && e.objectRef?.resource === "secrets" && e.objectRef?.name === "probe");
        assert.equal(created.length, 1, "one audit entry for the create (stage ResponseComplete)");
        assert.equal(created[0].user.username, "kubernetes-admin");
        assert.ok(!logs.join("").includes("plaintext-probe-value"), "Secret bodies never reach the audit log");
    });

    await t.test("the bootstrap token and the TLS bootstrap bindings are in the cluster", () => {
        const tokens = kubectl("-n", "kube-system", "get", "secrets", "--field-selector", "type=bootstrap.kubernetes.io/token", "-o", "name");
        assert.match(tokens, /^secret\/bootstrap-token-[a-z0-9]{6}$/);
        // Expiring a day after it was made (the default ttl), read once when the token was made.
        const expiration = Buffer.from(kubectl("-n", "kube-system", "get", tokens, "-o", "jsonpath={.data.expiration}"), "base64").toString();
        const hoursLeft = (Date.parse(expiration) - Date.now()) / 3_600_000;
        assert.ok(hoursLeft > 23 && hoursLeft <= 24, `expiration ${expiration}: ${hoursLeft.toFixed(2)} h from now`);
        const bindings = kubectl(
            "get",
            "clusterrolebindings",
            "-o",
            'jsonpath={range .items[*]}{.metadata.name}={.roleRef.name}:{.subjects[0].name}{"\\n"}{end}',
        );
        assert.match(bindings, /:certificatesigningrequests:selfnodeclient:system:nodes$/m);
        assert.match(bindings, /=system:node-bootstrapper:system:bootstrappers$/m);
        assert.match(bindings, /:certificatesigningrequests:nodeclient:system:bootstrappers$/m);
        assert.match(bindings, /=system:kube-apiserver-to-kubelet:kube-apiserver-kubelet-client$/m);
    });

    await t.test("a second run changes nothing", async () => {
        const second = await runProgram({ program: PROGRAM, stateFile, config });
        assert.deepEqual(
            second.commandLog.map((e) => e.urn),
            [],
            "a second run runs no command",
        );
        assert.deepEqual(second.outputs, first.outputs);
        // Key material and the cluster's secrets appear in the checkpoint only encrypted.
        const encryptionKey = (await exec("cp1", "sed -n 's/^ *secret: *//p' /etc/kubernetes/encryption-config.yaml")).split("\n")[0];
        const tokenSecret = Buffer.from(
            kubectl(
                "-n",
                "kube-system",
                "get",
                "secrets",
                "--field-selector",
                "type=bootstrap.kubernetes.io/token",
                "-o",
                "jsonpath={.items[0].data.token-secret}",
            ),
            "base64",
        ).toString();
        assert.ok(encryptionKey.length >= 40 && tokenSecret.length === 16, "read the secrets to look for");
        // An EC key's PEM body ends in its public key, which the (public) certificate carries too:
        // the admin key is looked for by its first body line, the one holding the private scalar.
        const adminKeyLine = creds.key.toString().split("\n")[1];
        const leaks = findLeaks(
            { checkpoint: readCheckpoint(stateFile) },
            { "SSH key": privateKey, "admin key's private line": adminKeyLine, "encryption key": encryptionKey, "bootstrap token secret": tokenSecret },
        );
        assert.deepEqual(leaks, [], describeLeaks(leaks));
    });

    await t.test("a changed service range is refused on the live cluster, touching nothing", async () => {
        const before = await Promise.all(CONTROL_PLANE.map((h) => startedAt(h, "kube-apiserver")));
        await assert.rejects(runProgram({ program: PROGRAM, stateFile, config: configOf(cluster({ serviceCidr: "10.77.241.0/24" })) }), (e: Error) =>
            /serviceCidr .*this live cluster runs with 10\.77\.240\.0\/24; the stack asks for 10\.77\.241\.0\/24\. It cannot change on a live cluster/.test(
                e.message,
            ),
        );
        assert.deepEqual(await Promise.all(CONTROL_PLANE.map((h) => startedAt(h, "kube-apiserver"))), before, "no apiserver restarted");
    });

    await t.test("a changed apiserver flag restarts the apiservers one after another and no controller, and requests keep succeeding", async () => {
        const before = Object.fromEntries(
            await Promise.all(
                CONTROL_PLANE.flatMap((h) =>
                    ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map(async (u) => [`${h}/${u}`, await startedAt(h, u)] as const),
                ),
            ),
        );
        const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
        const run = await runProgram({ program: PROGRAM, stateFile, config: configOf(cluster({ apiserverFlags: { "max-requests-inflight": "500" } })) });
        const report = await poller.stop();
        console.log(
            `rolling apiserver restart: ${report.requests} requests through the VIP, ${report.failures.length} failed, error window ${report.errorWindowMs} ms`,
        );
        const after = Object.fromEntries(
            await Promise.all(
                CONTROL_PLANE.flatMap((h) =>
                    ["kube-apiserver", "kube-controller-manager", "kube-scheduler"].map(async (u) => [`${h}/${u}`, await startedAt(h, u)] as const),
                ),
            ),
        );
        for (const h of CONTROL_PLANE) {
            assert.ok(after[`${h}/kube-apiserver`] > before[`${h}/kube-apiserver`], `${h}: the apiserver restarted`);
            assert.match(await exec(h, "cat /etc/kubernetes/kube-apiserver.env"), /--max-requests-inflight=500/);
        }
        // The run restarts no controller (one may restart itself: a leader whose local apiserver
        // restarts loses its lease and exits, and systemd starts it again, as under kubeadm).
        assert.deepEqual(
            run.commandLog.filter((e) => /(controller-manager|scheduler)-restart/.test(e.urn)).map((e) => e.urn),
            [],
        );
        const selfRestarted = Object.keys(after).filter((k) => !k.endsWith("kube-apiserver") && after[k] !== before[k]);
        console.log(`controllers that restarted themselves during the roll: ${selfRestarted.join(", ") || "none"}`);
        // One after another: the second restart began after the first apiserver was ready again.
        const restarts = run.commandLog.filter((e) => /apiserver-restart/.test(e.urn));
        const ready = run.commandLog.filter((e) => /apiserver-healthy/.test(e.urn));
        assert.equal(restarts.length, 2, restarts.map((e) => e.urn).join(", "));
        const order = run.commandLog.map((e) => e.urn.replace(/.*::/, ""));
        const firstReady = order.findIndex((u) => /apiserver-healthy/.test(u));
        const secondRestart = order.length - 1 - [...order].reverse().findIndex((u) => /apiserver-restart/.test(u));
        assert.ok(firstReady >= 0 && firstReady < secondRestart, `order: ${order.join(", ")}`);
        assert.equal(ready.length, 2);
        assert.ok(report.requests > 20, "the poller ran during the run");
        // An apiserver shutting down may still answer a request or two with 503; never a window.
        assert.ok(report.errorWindowMs < 1000, `error window ${report.errorWindowMs} ms: ${JSON.stringify(report.failures.slice(0, 5))}`);
    });

    await t.test("stopping one apiserver: requests through the VIP keep succeeding", async () => {
        // The starting state: the load balancer sends connections to both apiservers.
        const fingerprint = (pem: string) =>
            spawnSync("openssl", ["x509", "-noout", "-fingerprint", "-sha256"], { input: pem, encoding: "utf8" }).stdout.trim();
        const certs = new Map(
            await Promise.all(CONTROL_PLANE.map(async (h) => [fingerprint(await exec(h, "cat /etc/kubernetes/pki/apiserver.crt")), h] as const)),
        );
        const seen = new Set<string>();
        await waitUntil(
            () => {
                const served = spawnSync("openssl", ["s_client", "-connect", `${vip}:6443`], { input: "", encoding: "utf8", timeout: 5000 }).stdout;
                const host = certs.get(fingerprint(served));
                if (host) seen.add(host);
                return seen.size === CONTROL_PLANE.length;
            },
            60_000,
            "the load balancer serving both apiservers",
        );
        const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
        await exec("cp1", "systemctl stop kube-apiserver");
        // Long enough for many requests to reach the stopped backend's turn.
        const until = Date.now() + 5000;
        let served = 0;
        while (Date.now() < until) {
            const r = await apiGet(creds, "/readyz");
            if (r.status === 200) served++;
        }
        await exec("cp1", "systemctl start kube-apiserver");
        const report = await poller.stop();
        console.log(`one apiserver stopped: ${report.requests} requests, ${report.failures.length} failed, error window ${report.errorWindowMs} ms`);
        assert.ok(served > 10);
        assert.ok(report.errorWindowMs < 1000, `error window ${report.errorWindowMs} ms: ${JSON.stringify(report.failures.slice(0, 5))}`);
    });

    await t.test("pki.rotation re-issues every leaf certificate: exactly the services using them restart, in turn, and requests keep succeeding", async () => {
        const services: Record<string, string[]> = {
            cp1: ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"],
            cp2: ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"],
            e3: ["etcd"],
            lb1: ["k8s-apiserver-lb", "k8s-apiserver-vip"],
            lb2: ["k8s-apiserver-lb", "k8s-apiserver-vip"],
        };
        const startTimes = async () =>
            Object.fromEntries(
                await Promise.all(Object.entries(services).flatMap(([h, units]) => units.map(async (u) => [`${h}/${u}`, await startedAt(h, u)] as const))),
            );
        const serial = (h: string, file: string) => exec(h, `openssl x509 -in ${file} -noout -serial`);
        const certs = [
            ["cp1", "/etc/kubernetes/pki/apiserver.crt"],
            ["cp2", "/etc/kubernetes/pki/apiserver-etcd-client.crt"],
            ["e3", "/etc/etcd/pki/server.pem"],
        ] as const;
        const serialsBefore = await Promise.all(certs.map(([h, f]) => serial(h, f)));
        const before = await startTimes();
        const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
        const run = await runProgram({ program: PROGRAM, stateFile, config: configOf(cluster({ rotation: 1 })) });
        const report = await poller.stop();
        console.log(
            `certificate rotation: ${report.requests} requests through the VIP, ${report.failures.length} failed, error window ${report.errorWindowMs} ms, slowest ${report.slowestMs} ms`,
        );
        const after = await startTimes();
        // The load balancer holds no certificate (TLS passes through): it keeps running.
        const restarted = Object.keys(after).filter((k) => after[k] !== before[k]);
        assert.deepEqual(
            restarted.filter((k) => k.startsWith("lb")),
            [],
            `restarted: ${restarted.join(", ")}`,
        );
        const byRun = [...new Set(run.commandLog.filter((e) => e.urn.endsWith("-restart")).map((e) => e.urn.replace(/.*::/, "")))].sort();
        assert.deepEqual(
            byRun,
            [
                "testbed-control-plane-cp1-apiserver-restart",
                "testbed-control-plane-cp1-controller-manager-restart",
                "testbed-control-plane-cp1-scheduler-restart",
                "testbed-control-plane-cp2-apiserver-restart",
                "testbed-control-plane-cp2-controller-manager-restart",
                "testbed-control-plane-cp2-scheduler-restart",
                "testbed-etcd-cp1-restart",
                "testbed-etcd-cp2-restart",
                "testbed-etcd-e3-restart",
            ],
            `restarts run: ${byRun.join(", ")}`,
        );
        // No explicit etcd leadership handoff is needed: etcd hands it off itself when stopped
        // gracefully (EtcdServer.Stop → TryTransferLeadershipOnShutdown), as systemd's restart does.
        const serialsAfter = await Promise.all(certs.map(([h, f]) => serial(h, f)));
        certs.forEach(([h, f], i) => assert.notEqual(serialsAfter[i], serialsBefore[i], `${h}:${f} re-issued`));
        // The CAs stay: the old admin credentials the poller holds are still good, and the new kubeconfig works.
        const rotated = credentialsOf(run.outputs.adminKubeconfig as string);
        assert.deepEqual(rotated.ca, creds.ca, "the same cluster CA");
        assert.notDeepEqual(rotated.cert, creds.cert, "a new admin certificate");
        assert.equal((await apiGet(rotated, "/readyz")).status, 200);
        assert.ok(report.requests > 20, "the poller ran during the run");
        assert.ok(report.errorWindowMs < 1000, `error window ${report.errorWindowMs} ms: ${JSON.stringify(report.failures.slice(0, 5))}`);
    });

    await t.test("the etcd leader's host killed under load: requests through the VIP go on; booted again, it rejoins", async () => {
        const endpoints = ETCD.map((h) => `https://${testbed.host(h).address}:2379`).join(",");
        const etcdctl = (args: string) => exec("cp1", `set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=${endpoints} --command-timeout=5s ${args}`);
        // The worst case on purpose: e3, which runs nothing else, leads when it dies.
        const idOf = async (h: string) =>
            (await etcdctl("member list"))
                .split("\n")
                .find((l) => l.split(", ")[2] === h)!
                .split(", ")[0];
        const e3 = await idOf("e3");
        // endpoint status: endpoint, hex ID, ...; IS LEADER is the first true/false column.
        const statusRows = async () =>
            (
                await exec(
                    "cp1",
                    `set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=${endpoints} --command-timeout=5s endpoint status 2>/dev/null || true`,
                )
            )
                .split("\n")
                .map((r) => r.split(", "))
                .map((cols) => ({ endpoint: cols[0], id: cols[1], leads: cols.find((c) => c === "true" || c === "false") === "true" }));
        const leaderNow = async () => (await statusRows()).find((r) => r.leads)?.id;
        const leaderEndpoint = (await statusRows()).find((r) => r.leads)?.endpoint;
        if ((await leaderNow()) !== e3) await exec("cp1", `set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=${leaderEndpoint} move-leader ${e3}`);
        assert.equal(await leaderNow(), e3, "the starting state: e3 leads");
        const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
        const killedAt = Date.now();
        await testbed.killHost("e3");
        await waitUntil(async () => ![undefined, e3].includes(await leaderNow()), 30_000, "a new etcd leader");
        const elected = Date.now() - killedAt;
        await waitUntil(async () => (await apiGet(creds, "/api/v1/namespaces/default")).status === 200, 30_000, "the API answering");
        const report = await poller.stop();
        console.log(
            `etcd leader killed: new leader after ${elected} ms; ${report.requests} requests through the VIP, ${report.failures.length} failed, error window ${report.errorWindowMs} ms, slowest ${report.slowestMs} ms`,
        );
        assert.ok(report.errorWindowMs < 3000, `error window ${report.errorWindowMs} ms: ${JSON.stringify(report.failures.slice(0, 5))}`);
        await testbed.bootHost("e3");
        await waitUntil(
            async () => (await testbed.exec("cp1", `set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=${endpoints} endpoint health`)).code === 0,
            60_000,
            "all three etcd members healthy again",
        );
    });

    await t.test("killing the controller-manager leader's host moves its lease to the other control-plane host", async () => {
        const holderOf = (lease: string) => kubectl("-n", "kube-system", "get", "lease", lease, "-o", "jsonpath={.spec.holderIdentity}");
        const leader = holderOf("kube-controller-manager").split("_")[0];
        const other = CONTROL_PLANE.find((h) => h !== leader)!;
        const killedAt = Date.now();
        await testbed.killHost(leader);
        // The scheduler's lease is wherever it was; either way it ends on the surviving host.
        for (const lease of ["kube-controller-manager", "kube-scheduler"]) {
            await waitUntil(() => holderOf(lease).startsWith(`${other}_`), 90_000, `${lease} lease held on ${other}`);
            console.log(`${lease} lease moved from ${leader} to ${other} ${Date.now() - killedAt} ms after the kill`);
        }
    });

    await t.test("the load balancer's MASTER host killed under load: the VIP moves and requests go on", async () => {
        const holder = async () => {
            for (const h of ["lb1", "lb2"]) if ((await exec(h, "ip -4 -o addr show dev eth0")).includes(` ${vip}/`)) return h;
            return undefined;
        };
        const master = await holder();
        assert.ok(master, "the starting state: one LB holds the VIP");
        const backup = master === "lb1" ? "lb2" : "lb1";
        const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
        const killedAt = Date.now();
        await testbed.killHost(master);
        await waitUntil(async () => (await exec(backup, "ip -4 -o addr show dev eth0")).includes(` ${vip}/`), 15_000, `the VIP on ${backup}`);
        const moved = Date.now() - killedAt;
        await waitUntil(async () => (await apiGet(creds, "/readyz").catch(() => ({ status: 0 }))).status === 200, 30_000, "the API through the VIP again");
        const report = await poller.stop();
        console.log(
            `LB MASTER killed: VIP on ${backup} after ${moved} ms; ${report.requests} requests, ${report.failures.length} failed, error window ${report.errorWindowMs} ms`,
        );
        assert.ok(report.errorWindowMs < 10_000, `error window ${report.errorWindowMs} ms: ${JSON.stringify(report.failures.slice(0, 5))}`);
    });
});
