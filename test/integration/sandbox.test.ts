// The sandbox as a newcomer uses it (README: `npm run sandbox -- up`): seed 001's topology on hosts
// of this machine by the program on the Pulumi engine, then the cluster in use — every node Ready,
// the system pods Running, a Deployment over both workers behind a Service, a NodePort and DNS,
// logs and exec — a second `up` that changes nothing, a `preview` of one worker's change that
// shows only that worker's steps, and `down` leaving nothing behind.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseDocument } from "yaml";
import type { KeeperRecord } from "../../scripts/sandbox/keeper-control";
import { kubectlWith } from "../support/kubectl";
import { requireTestbed } from "../support/testbed";
import { isSameProcessAlive } from "../support/testbed/proc";
import { waitUntil } from "../support/wait-until";
import { spreadNetexec } from "../support/workloads";

const REPO_ROOT = resolve(__dirname, "../..");
const MASTERS = ["master01", "master02"];
const WORKERS = ["node01", "node02"];
const PHASE_HOSTS: Record<string, string[]> = {
    hosts: [...MASTERS, ...WORKERS, "lb01", "lb02"],
    etcd: ["master01", "node01", "node02"],
    "load balancer": ["lb01", "lb02"],
    // "local": this machine, where the engine waits for the apiservers through the VIP.
    "control plane": ["local", ...MASTERS],
    nodes: [...MASTERS, ...WORKERS],
    "pod network": [...MASTERS, ...WORKERS],
};

test("npm run sandbox: seed 001's topology up, in use, re-run, previewed and down", { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const dir = mkdtempSync(join(tmpdir(), "k8s-binary-sandbox-"));
    // The keeper ends with this process: a failed test leaves no hosts behind.
    const env = { ...process.env, K8S_BINARY_SANDBOX_DIR: dir, K8S_BINARY_SANDBOX_OWNER: String(process.pid) };
    const sandbox = (...args: string[]) =>
        new Promise<{ code: number | null; output: string }>((done, fail) => {
            const child = spawn("npm", ["run", "--silent", "sandbox", "--", ...args], { cwd: REPO_ROOT, env, stdio: ["ignore", "pipe", "pipe"] });
            let output = "";
            child.stdout.on("data", (d: Buffer) => (output += d));
            child.stderr.on("data", (d: Buffer) => (output += d));
            child.on("error", fail);
            child.on("close", (code) => done({ code, output }));
        });
    t.after(async () => {
        if (existsSync(join(dir, "keeper.json"))) await sandbox("down");
        rmSync(dir, { recursive: true, force: true });
    });

    const started = Date.now();
    const first = await sandbox("up");
    console.log(`sandbox up (seed001): ${Math.round((Date.now() - started) / 1000)} s; last lines:\n${first.output.split("\n").slice(-9).join("\n")}`);
    assert.equal(first.code, 0, first.output);
    const keeper = JSON.parse(readFileSync(join(dir, "keeper.json"), "utf8")) as KeeperRecord;
    const addressOf = (host: string) => keeper.hosts.find((h) => h.name === host)!.address;
    const kubectl = kubectlWith(join(dir, "admin.conf"));
    const ssh = (host: string, command: string) => {
        const r = spawnSync(
            "ssh",
            [
                "-i",
                join(dir, "id_ed25519"),
                "-o",
                `UserKnownHostsFile=${join(dir, "known_hosts")}`,
                "-o",
                "StrictHostKeyChecking=yes",
                "-o",
                "BatchMode=yes",
                `root@${addressOf(host)}`,
                command,
            ],
            { encoding: "utf8", timeout: 30_000 },
        );
        return { code: r.status, stdout: r.stdout.trim(), stderr: r.stderr };
    };

    await t.test("up reports its progress per phase and host, the elapsed time, and how to use the cluster", () => {
        const steps = first.output.split("\n").flatMap((line) => {
            const m = /^\s+(\d+:\d\d)\s{2}(\S+(?: \S+)?)\s+(\S+)\s+(create|update|delete) \S+$/.exec(line);
            return m ? [{ phase: m[2], host: m[3] }] : [];
        });
        for (const [phase, hosts] of Object.entries(PHASE_HOSTS)) {
            const seen = [...new Set(steps.filter((s) => s.phase === phase).map((s) => s.host))].sort();
            assert.deepEqual(seen, [...hosts].sort(), `hosts of the ${phase} phase`);
        }
        assert.match(first.output, /^starting 6 hosts \(master01, master02, node01, node02, lb01, lb02\)/m);
        assert.match(first.output, /^done in \d+:\d\d: \d+ create$/m);
        assert.match(first.output, new RegExp(`^the cluster's API: https://${keeper.vip.replaceAll(".", "\\.")}:6443$`, "m"));
        assert.match(first.output, /kubectl --kubeconfig \S+admin\.conf get nodes$/m);
        // The state stays in the backend, encrypted with the sandbox's own passphrase: no plain-text export.
        assert.ok(!existsSync(join(dir, "state")), "no exported state");
        const checkpoint = readFileSync(join(dir, "state.pulumi", "backend", ".pulumi", "stacks", "k8s-binary", "sandbox.json"), "utf8");
        assert.ok(!checkpoint.includes("PRIVATE KEY"), "no key in plain text in the checkpoint");
    });

    await t.test("every node is Ready and every system pod Running", () => {
        const nodes = kubectl(["get", "nodes", "-o", 'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status}{"\\n"}{end}']);
        assert.deepEqual(nodes.split("\n").sort(), [...MASTERS, ...WORKERS].map((n) => `${n}=True`).sort());
        for (const m of MASTERS) assert.match(kubectl(["get", "node", m, "-o", "jsonpath={.spec.taints[*].key}"]), /node-role\.kubernetes\.io\/control-plane/);
        const pods = kubectl(["get", "pods", "-A", "-o", 'jsonpath={range .items[*]}{.metadata.namespace}/{.metadata.name}={.status.phase}{"\\n"}{end}']).split(
            "\n",
        );
        assert.equal(pods.filter((p) => p.startsWith("kube-system/coredns-")).length, 2, pods.join("\n"));
        assert.equal(pods.filter((p) => p.startsWith("kube-flannel/kube-flannel-ds-")).length, 4, pods.join("\n"));
        assert.deepEqual(
            pods.filter((p) => !p.endsWith("=Running")),
            [],
            "every pod Running",
        );
    });

    let webPods: Record<string, string> = {};
    await t.test("a Deployment spreads over both workers; logs and exec reach its pods", async () => {
        kubectl(["apply", "-f", "-"], JSON.stringify(spreadNetexec("web", 2)));
        await waitUntil(() => kubectl(["get", "deployment", "web", "-o", "jsonpath={.status.readyReplicas}"]) === "2", 180_000, "web's two replicas ready");
        const placed = kubectl(["get", "pods", "-l", "app=web", "-o", 'jsonpath={range .items[*]}{.spec.nodeName}={.metadata.name}{"\\n"}{end}']).split("\n");
        webPods = Object.fromEntries(placed.map((l) => l.split("=") as [string, string]));
        assert.deepEqual(Object.keys(webPods).sort(), WORKERS, "one replica per worker");
        for (const pod of Object.values(webPods)) {
            await waitUntil(() => /8080/.test(kubectl(["logs", pod])), 30_000, `logs of ${pod}`);
            assert.equal(kubectl(["exec", pod, "--", "cat", "/etc/hostname"]), pod);
        }
    });

    await t.test("a Service reaches both pods by ClusterIP, by NodePort from a host outside the cluster, and by name through DNS", async () => {
        kubectl(
            ["apply", "-f", "-"],
            JSON.stringify({
                apiVersion: "v1",
                kind: "Service",
                metadata: { name: "web", namespace: "default" },
                spec: { type: "NodePort", selector: { app: "web" }, ports: [{ port: 80, targetPort: 8080 }] },
            }),
        );
        const clusterIp = kubectl(["get", "service", "web", "-o", "jsonpath={.spec.clusterIP}"]);
        const nodePort = kubectl(["get", "service", "web", "-o", "jsonpath={.spec.ports[0].nodePort}"]);
        const answers = (host: string, url: string) => {
            const seen = new Set<string>();
            return async () => {
                const r = ssh(host, `curl -fsS --max-time 3 ${url}`);
                if (r.code === 0) seen.add(r.stdout);
                return Object.values(webPods).every((p) => seen.has(p));
            };
        };
        // kube-proxy spreads connections at random: both pods answer within some tries, one of them across the vxlan overlay.
        await waitUntil(answers("node01", `http://${clusterIp}/hostname`), 90_000, `both pods through ClusterIP ${clusterIp} from node01`, 200);
        await waitUntil(
            answers("lb01", `http://${addressOf("node02")}:${nodePort}/hostname`),
            90_000,
            `both pods through node02's NodePort ${nodePort} from lb01`,
            200,
        );
        for (const pod of Object.values(webPods)) {
            for (const [name, ip] of [
                ["web.default.svc.cluster.local", clusterIp],
                ["kubernetes.default.svc.cluster.local", kubectl(["get", "service", "kubernetes", "-o", "jsonpath={.spec.clusterIP}"])],
            ]) {
                const answer = kubectl(["exec", pod, "--", "nslookup", name]);
                assert.ok(answer.includes(`Address: ${ip}`), `${pod}: ${name}: ${answer}`);
            }
        }
    });

    await t.test("a second up changes nothing", async () => {
        const second = await sandbox("up");
        assert.equal(second.code, 0, second.output);
        assert.match(second.output, /^done in \d+:\d\d: no changes$/m);
        assert.doesNotMatch(second.output, /^starting/m, "the running hosts are reused");
    });

    await t.test("preview of a label on node02 in the stack file shows node02's steps only", async () => {
        const stackFile = join(dir, "Pulumi.sandbox.yaml");
        const doc = parseDocument(readFileSync(stackFile, "utf8"));
        const hosts = doc.getIn(["config", "k8s-binary:cluster", "hosts"]) as { items: { get(k: string): unknown; set(k: string, v: unknown): void }[] };
        const node02 = hosts.items.find((h) => h.get("name") === "node02")!;
        node02.set("labels", doc.createNode({ "example.com/tier": "blue" }));
        writeFileSync(stackFile, doc.toString());
        const preview = await sandbox("preview");
        assert.equal(preview.code, 0, preview.output);
        const changes = preview.output.split("\n").filter((l) => /^\s{2}(create|update|replace|delete)\s/.test(l));
        assert.ok(changes.length > 0, preview.output);
        assert.deepEqual(
            changes.filter((l) => !/-node02-/.test(l)),
            [],
            "only node02's steps",
        );
        assert.ok(
            changes.some((l) => /update\s.*-node02-kubelet-restart$/.test(l)),
            preview.output,
        );
        assert.match(preview.output, /^preview: \d+ update$/m);
    });

    await t.test("down removes the hosts and the sandbox folder", async () => {
        const result = await sandbox("down");
        assert.equal(result.code, 0, result.output);
        assert.ok(!isSameProcessAlive(keeper.pid, keeper.startTime), "the keeper ended");
        assert.ok(!existsSync(dir), "the sandbox folder is gone");
        const namespaces = spawnSync("ip", ["netns", "list"], { encoding: "utf8" }).stdout;
        assert.doesNotMatch(namespaces, new RegExp(`^kb${keeper.instance}-`, "m"));
        assert.ok(!existsSync(`/run/k8s-binary-bench/${keeper.instance}.json`), "the testbed instance is released");
    });
});
