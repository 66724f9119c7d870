// An upgrade of one minor by changing the stack: the program (index.ts) deploys the toolchain's
// previous Kubernetes minor (cp1: etcd and the control plane, cp2: the control plane, lb1 and lb2: nginx
// and keepalived with the VIP, w1 and w2: workers), then the stack asks for the current minor. While
// `up` runs, a client polls the API through the VIP and records every failure, and another watches
// which Nodes are cordoned. Proved: the control plane rolls one host at a time before any kubelet
// moves; each worker is drained before its kubelet restarts and uncordoned after, never more at once
// than `nodes.upgrade.maxUnavailable` (1 here); a Deployment's pods are evicted and run again while a
// DaemonSet's pods live through the kubelet restarts; every component runs the new release; a second
// `up` is a no-op; the version guard refuses going back a minor before anything is installed or restarted.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { mirrorBinaries } from "../support/mirror-binaries";
import { makeMirror, mirrorImages, versions } from "../support/toolchain";
import { kubectlWith } from "../support/kubectl";
import { testbedNodes } from "../support/testbed-nodes";
import { EngineRunError, runProgram } from "../support/engine";
import { credentialsOf, startApiPoller } from "../support/api-poller";
import { startCordonWatcher } from "../support/cordon-watcher";
import { waitUntil } from "../support/wait-until";
import { checkedExec, programConfig, testbedHost } from "../support/testbed-stack";

const PROGRAM = join(__dirname, "../../index.ts");
const CONTROL_PLANE = ["cp1", "cp2"];
const CONTROL_PLANE_UNITS = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"];
const NODE_UNITS = ["kubelet", "kube-proxy"];
const WORKERS = ["w1", "w2"];
const OLD = versions.KUBERNETES_PREVIOUS;
const NEW = versions.KUBERNETES;

test(`the program upgrades a cluster from ${OLD} to ${NEW} by a change of the stack`, { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-upgrade-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const mirror = makeMirror(join(work, "mirror"));
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", "cp2", "lb1", "lb2", ...WORKERS] });
    t.after(() => testbed.stop());
    const base = await testbed.serveDirectory(mirror);
    const images = mirrorImages(mirror);
    const wanted = images.filter((i) => /\/(pause|coredns)[:/]/.test(i.ref) || /coredns:v/.test(i.ref));
    const pause = wanted.find((i) => /\/pause:/.test(i.ref))!.ref;
    const vip = testbed.address(100);
    const host = (name: string, roles: string[]) => testbedHost(testbed, name, roles);
    const specFor = (kubernetes: string) => ({
        name: "testbed",
        hosts: [
            host("cp1", ["etcd", "control-plane"]),
            host("cp2", ["control-plane"]),
            host("lb1", ["lb"]),
            host("lb2", ["lb"]),
            ...WORKERS.map((w) => host(w, ["worker"])),
        ],
        ssh: { user: "root" },
        binaries: mirrorBinaries(mirror, base, { kubernetes }),
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: testbed.serviceCidr },
        loadBalancer: { vip, interface: "eth0", virtualRouterId: 78 },
        controlPlane: { registerNodes: false },
        flannel: { mode: "none" },
        nodes: testbedNodes(wanted, base, { upgrade: { maxUnavailable: 1 } }),
    });
    const configFor = (kubernetes: string) => programConfig(testbed, specFor(kubernetes));
    const stateFile = join(work, "state.json");
    const up = async (kubernetes: string) => {
        const started = Date.now();
        const result = await runProgram({ program: PROGRAM, stateFile, config: configFor(kubernetes) });
        console.log(`up ${kubernetes}: ${result.commandLog.length} remote commands in ${Date.now() - started} ms`);
        return result;
    };
    const exec = checkedExec(testbed);
    // Monotonic start times: the test hosts share one kernel, so they order across hosts.
    const startedAt = async (h: string, unit: string) => Number(await exec(h, `systemctl show -p ExecMainStartTimestampMonotonic --value ${unit}`));
    const startTimes = async () => {
        const out: Record<string, number> = {};
        for (const h of CONTROL_PLANE) for (const u of CONTROL_PLANE_UNITS) out[`${h}/${u}`] = await startedAt(h, u);
        for (const w of WORKERS) for (const u of [...NODE_UNITS, "containerd"]) out[`${w}/${u}`] = await startedAt(w, u);
        out["cp1/etcd"] = await startedAt("cp1", "etcd");
        return out;
    };
    // The release a running service was started from: its executable's path names the version directory.
    const runningRelease = (h: string, unit: string) => exec(h, `readlink /proc/$(systemctl show -p MainPID --value ${unit})/exe`);

    const first = await up(OLD);
    const kubeconfigFile = join(work, "admin.conf");
    writeFileSync(kubeconfigFile, first.outputs.adminKubeconfig as string, { mode: 0o600 });
    const kubectl = kubectlWith(kubeconfigFile);
    const serverVersion = (server?: string) =>
        (JSON.parse(kubectl([...(server ? ["--server", server] : []), "version", "-o", "json"])) as { serverVersion: { gitVersion: string } }).serverVersion
            .gitVersion;
    const kubeletVersion = (node: string) => kubectl(["get", "node", node, "-o", "jsonpath={.status.nodeInfo.kubeletVersion}"]);
    const workload = (kind: "DaemonSet" | "Deployment", name: string) => ({
        apiVersion: "apps/v1",
        kind,
        metadata: { name, namespace: "default" },
        spec: {
            ...(kind === "Deployment" ? { replicas: 2 } : {}),
            selector: { matchLabels: { app: name } },
            template: {
                metadata: { labels: { app: name } },
                spec: { terminationGracePeriodSeconds: 1, containers: [{ name: "pause", image: pause, imagePullPolicy: "Never" }] },
            },
        },
    });
    // uid, node and container of each pod of an app, sorted.
    const podsOf = (app: string) =>
        kubectl([
            "get",
            "pods",
            "-l",
            `app=${app}`,
            "-o",
            "jsonpath={range .items[*]}{.metadata.uid} {.spec.nodeName} {.status.containerStatuses[0].containerID}{'\\n'}{end}",
        ])
            .split("\n")
            .filter(Boolean)
            .sort();
    const running = (app: string, n: number) =>
        kubectl(["get", "pods", "-l", `app=${app}`, "-o", "jsonpath={range .items[*]}{.status.phase} {.metadata.deletionTimestamp}{'\\n'}{end}"])
            .split("\n")
            .filter((l) => l.trim() === "Running").length === n;

    await t.test(`the cluster runs ${OLD}; a DaemonSet and a Deployment run on the workers, nothing cordoned`, async () => {
        assert.equal(serverVersion(), `v${OLD}`);
        for (const w of WORKERS) await waitUntil(() => kubeletVersion(w) === `v${OLD}`, 120_000, `${w} registered`);
        for (const [kind, name] of [
            ["DaemonSet", "survivor"],
            ["Deployment", "mover"],
        ] as const)
            kubectl(["apply", "-f", "-"], JSON.stringify(workload(kind, name)));
        await waitUntil(() => running("survivor", 2) && running("mover", 2), 120_000, "the pods running");
        assert.equal(kubectl(["get", "nodes", "-o", "jsonpath={.items[*].spec.unschedulable}"]), "", "no node cordoned before the upgrade");
        assert.equal(kubectl(["-n", "kube-system", "get", "leases", "-o", "name"]).match(/k8s-binary-node-upgrade/), null, "no upgrade slot taken");
    });

    const survivorsBefore = podsOf("survivor");
    const moversBefore = podsOf("mover");
    const before = await startTimes();
    const creds = credentialsOf(first.outputs.adminKubeconfig as string);
    const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
    const watcher = startCordonWatcher(creds);
    const upgraded = await up(NEW);
    const polled = await poller.stop();
    const cordons = await watcher.stop();
    const after = await startTimes();
    console.log(
        `cordoned during the upgrade (${cordons.samples.length} samples): ${[...cordons.spans].map(([n, s]) => `${n} ${s.map((x) => `+${x.from - cordons.samples[0].at}..+${x.to - cordons.samples[0].at} ms`).join(", ")}`).join("; ")}`,
    );
    console.log(
        `upgrade: ${polled.requests} requests through the VIP, ${polled.failures.length} failed, error window ${polled.errorWindowMs} ms, slowest ${polled.slowestMs} ms`,
    );
    for (const f of polled.failures) console.log(`  failed at +${f.at - polled.failures[0].at} ms: ${f.error}`);

    await t.test(
        "the control plane rolls one host at a time, each service after the previous is ready; the kubelets after it; etcd and containerd stay",
        () => {
            const controlPlane = CONTROL_PLANE.flatMap((h) => CONTROL_PLANE_UNITS.map((u) => `${h}/${u}`));
            for (const w of WORKERS) {
                const order = [...controlPlane, `${w}/kubelet`, `${w}/kube-proxy`];
                for (const key of order) assert.ok(after[key] > before[key], `${key} restarted`);
                for (let i = 1; i < order.length; i++) assert.ok(after[order[i]] > after[order[i - 1]], `${order[i]} started after ${order[i - 1]}`);
                assert.equal(after[`${w}/containerd`], before[`${w}/containerd`], `${w}'s containerd did not restart`);
            }
            assert.equal(after["cp1/etcd"], before["cp1/etcd"], "etcd did not restart (its release did not change)");
        },
    );

    await t.test(`every component runs ${NEW}`, async () => {
        assert.equal(serverVersion(), `v${NEW}`);
        for (const h of CONTROL_PLANE) {
            assert.equal(serverVersion(`https://${testbed.host(h).address}:6443`), `v${NEW}`, `${h}'s apiserver`);
            for (const u of CONTROL_PLANE_UNITS) assert.match(await runningRelease(h, u), new RegExp(`/${NEW.replace(/\./g, "\\.")}/`), `${h} ${u}`);
        }
        for (const w of WORKERS) {
            for (const u of NODE_UNITS) assert.match(await runningRelease(w, u), new RegExp(`/${NEW.replace(/\./g, "\\.")}/`), `${w} ${u}`);
            await waitUntil(() => kubeletVersion(w) === `v${NEW}`, 60_000, `${w} reports the new kubelet`);
        }
        assert.equal(upgraded.outputs.versions && (upgraded.outputs.versions as Record<string, string>).kubernetes, NEW);
    });

    await t.test("each worker was cordoned once, never both at once, and is uncordoned with its slot given back", () => {
        for (const w of WORKERS) assert.equal(cordons.spans.get(w)?.length, 1, `${w} cordoned in one span: ${JSON.stringify(cordons.spans.get(w))}`);
        assert.equal(cordons.mostAtOnce, 1, "at most maxUnavailable (1) node cordoned in any sample");
        const [a, b] = WORKERS.map((w) => cordons.spans.get(w)![0]).sort((x, y) => x.from - y.from);
        assert.ok(a.to < b.from, `the second drain began after the first node was uncordoned (${a.to} < ${b.from})`);
        for (const w of WORKERS) {
            const kubeletStart = after[`${w}/kubelet`];
            assert.ok(kubeletStart > before[`${w}/kubelet`], `${w}'s kubelet restarted`);
        }
        assert.equal(kubectl(["get", "nodes", "-o", "jsonpath={.items[*].spec.unschedulable}"]), "", "every node schedulable");
        assert.equal(
            kubectl(["get", "nodes", "-o", "jsonpath={.items[*].metadata.annotations.k8s-binary\\.io/cordoned-for-upgrade}"]),
            "",
            "no cordon mark left",
        );
        assert.equal(kubectl(["-n", "kube-system", "get", "leases", "-o", "name"]).match(/k8s-binary-node-upgrade/), null, "every upgrade slot given back");
    });

    await t.test("the drains evicted the Deployment's pods, which run again; the DaemonSet's pods lived through the kubelet restarts", async () => {
        await waitUntil(() => running("mover", 2), 120_000, "the Deployment's 2 pods running");
        const movers = podsOf("mover");
        for (const m of movers)
            assert.ok(!moversBefore.some((b) => b.split(" ")[0] === m.split(" ")[0]), `pod ${m} is new (evicted pods: ${moversBefore.join(", ")})`);
        assert.deepEqual(podsOf("survivor"), survivorsBefore, "the same DaemonSet pods and containers");
        assert.equal(
            kubectl([
                "get",
                "pods",
                "-l",
                "app=survivor",
                "-o",
                "jsonpath={range .items[*]}{.status.phase} {.status.containerStatuses[0].restartCount}{'\\n'}{end}",
            ]).trim(),
            "Running 0\nRunning 0",
        );
    });

    await t.test("no request through the VIP failed during the upgrade", () => {
        assert.ok(polled.requests > 100, `${polled.requests} requests`);
        assert.deepEqual(polled.failures, [], `error window ${polled.errorWindowMs} ms`);
    });

    await t.test("a second up changes nothing", async () => {
        const again = await up(NEW);
        assert.deepEqual(
            again.commandLog.map((e) => e.urn),
            [],
        );
    });

    await t.test(`going back to ${OLD} is refused by the version guard before anything is installed or restarted`, async () => {
        const links = await exec("cp1", "readlink -f /usr/local/bin/kube-apiserver; readlink -f /usr/local/bin/kubelet || true");
        const nodeLink = await exec("w1", "readlink -f /usr/local/bin/kubelet");
        const times = await startTimes();
        const refused = await runProgram({ program: PROGRAM, stateFile, config: configFor(OLD) }).then(
            () => undefined,
            (e: unknown) => e,
        );
        assert.ok(refused instanceof EngineRunError, `refused: ${String(refused)}`);
        const said = `${refused.message}\n${refused.diagnostics}`;
        const ran = refused.result.commandLog.map((e) => ({ name: e.urn.replace(/^.*::/, ""), exitCode: e.exitCode }));
        assert.ok(ran.length > 0 && ran.every((e) => e.name.endsWith("-kubernetes-version")), `only the guards ran: ${ran.map((e) => e.name).join(", ")}`);
        // The engine starts no step after the first failure, so which guards ran before it varies
        // (CI once saw w2's and not w1's); each one that ran refused with its own node's words.
        for (const { name, exitCode } of ran) {
            const node = name.replace(/-kubernetes-version$/, "");
            const runs = CONTROL_PLANE.includes(node) ? "kube-apiserver" : "kubelet";
            assert.equal(exitCode, 1, `${name} refused`);
            assert.match(said, new RegExp(`binaries\\.kubernetes\\.version: ${node} runs ${runs} ${NEW}; the stack asks for ${OLD}, an older minor`));
        }
        assert.equal(await exec("cp1", "readlink -f /usr/local/bin/kube-apiserver; readlink -f /usr/local/bin/kubelet || true"), links);
        assert.equal(await exec("w1", "readlink -f /usr/local/bin/kubelet"), nodeLink);
        assert.deepEqual(await startTimes(), times, "no service restarted");
        assert.equal(await exec("cp1", "cat /etc/kubernetes/k8s-binary-versions"), `apiserver=${NEW}`);
    });
});
