// The program (index.ts → KubernetesCluster) with flannel as the pod network on real test hosts:
// cp1 (etcd and the control plane, not a node) and the workers w1 and w2, binaries and images from
// a mirror of the toolchain's builds. For each way flannel runs (the DaemonSet, flanneld under
// systemd with the kube subnet manager, flanneld under systemd against etcd) and backend, pods on
// the two workers reach each other with their own addresses as sources, Services reach pods on
// both workers, pod traffic leaving the pod range is masqueraded to the node's address, and each
// node's subnet is where the mode keeps it. One cluster goes from the DaemonSet to systemd-kube
// (a rolling change) and refuses a backend change; the others are fresh.
import { test, type TestContext } from "node:test";
import assert from "node:assert/strict";
import * as ipaddr from "ipaddr.js";
import { requireTestbed } from "../support/testbed";
import { EngineRunError } from "../support/engine";
import { waitUntil } from "../support/wait-until";
import { startFlannelCluster, startPods, WORKERS, type FlannelCluster } from "../support/flannel-cluster";

/** The port a listener on cp1 (outside the pod range) answers on with the peer address it sees. */
const ECHO_PORT = 9999;

/** One cluster on its own testbed, ended with the test. */
const cluster = (t: TestContext, withFlannelImages: boolean) => startFlannelCluster(withFlannelImages, (fn) => t.after(fn));
type Cluster = FlannelCluster;

/** The body of an HTTP GET from inside a pod (busybox nc: the image's busybox wget crashes on these hosts). */
function podGet(c: Cluster, pod: string, host: string, port: number, path: string): string {
    const reply = c.kubectl(["exec", pod, "--", "sh", "-c", `printf 'GET ${path} HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${host} ${port}`]);
    const [head, ...body] = reply.split(/\r?\n\r?\n/);
    assert.match(head, /^HTTP\/1\.[01] 200/, `GET ${host}:${port}${path} from ${pod}: ${reply}`);
    return body.join("\n\n").trim();
}

/** The flannel subnet of a worker, from its /run/flannel/subnet.env (FLANNEL_SUBNET is the bridge's address). */
async function subnetEnv(c: Cluster, w: string): Promise<{ network: string; subnet: string; mtu: number }> {
    const env = await c.exec(w, "cat /run/flannel/subnet.env");
    const get = (k: string) => new RegExp(`^${k}=(.*)$`, "m").exec(env)?.[1] ?? "";
    const gateway = get("FLANNEL_SUBNET");
    return {
        network: get("FLANNEL_NETWORK"),
        subnet: `${ipaddr.IPv4.networkAddressFromCIDR(gateway).toString()}/${gateway.split("/")[1]}`,
        mtu: Number(get("FLANNEL_MTU")),
    };
}

const inside = (address: string, cidr: string) => ipaddr.IPv4.parse(address).match(ipaddr.IPv4.parseCIDR(cidr));

/**
 * The proofs every setting shares, with the pods `tag`: pod to pod across the workers (ICMP, and
 * HTTP seeing the peer's pod address), a ClusterIP reaching both pods, a NodePort on w1 reaching
 * the pod on w2, a pod's traffic to cp1 leaving with w1's address, each pod inside its node's
 * subnet; returns the subnets by worker.
 */
async function proveTraffic(t: TestContext, c: Cluster, tag: string, ips: Record<(typeof WORKERS)[number], string>): Promise<Record<string, string>> {
    const addr = (h: string) => c.testbed.host(h).address;
    const subnets: Record<string, string> = {};
    await t.test(`${tag}: each pod holds an address of its node's flannel subnet, with the backend's MTU`, async () => {
        for (const w of WORKERS) {
            const env = await subnetEnv(c, w);
            assert.equal(env.network, c.testbed.podCidr);
            assert.ok(inside(ips[w], env.subnet), `${tag}-${w} ${ips[w]} in ${env.subnet}`);
            assert.equal(Number(c.kubectl(["exec", `${tag}-${w}`, "--", "cat", "/sys/class/net/eth0/mtu"])), env.mtu);
            subnets[w] = env.subnet;
        }
        assert.notEqual(subnets.w1, subnets.w2);
    });
    await t.test(`${tag}: pods on w1 and w2 reach each other (ICMP, HTTP), each seeing the other's pod address`, () => {
        for (const [from, to] of [
            ["w1", "w2"],
            ["w2", "w1"],
        ] as const) {
            const ping = c.kubectl(["exec", `${tag}-${from}`, "--", "ping", "-c", "3", "-W", "2", ips[to]]);
            assert.match(ping, / 0% packet loss/, ping);
            const seen = podGet(c, `${tag}-${from}`, ips[to], 8080, "/clientip");
            assert.equal(seen.replace(/:\d+$/, ""), ips[from], `${tag}-${to} saw ${seen}`);
        }
    });
    await t.test(`${tag}: a ClusterIP Service reaches the pods on both workers; a NodePort on w1 reaches the pod on w2`, async () => {
        c.kubectl(
            ["apply", "-f", "-"],
            JSON.stringify({
                apiVersion: "v1",
                kind: "List",
                items: [
                    {
                        apiVersion: "v1",
                        kind: "Service",
                        metadata: { name: `${tag}-both`, namespace: "default" },
                        spec: { selector: { app: tag }, ports: [{ port: 80, targetPort: 8080 }] },
                    },
                    {
                        apiVersion: "v1",
                        kind: "Service",
                        metadata: { name: `${tag}-on-w2`, namespace: "default" },
                        spec: { type: "NodePort", selector: { app: tag, node: "w2" }, ports: [{ port: 80, targetPort: 8080 }] },
                    },
                ],
            }),
        );
        const clusterIp = c.kubectl(["get", "service", `${tag}-both`, "-o", "jsonpath={.spec.clusterIP}"]);
        const seen = new Set<string>();
        await waitUntil(
            () => {
                seen.add(podGet(c, `${tag}-w1`, clusterIp, 80, "/hostname"));
                return WORKERS.every((w) => seen.has(`${tag}-${w}`));
            },
            60_000,
            `${clusterIp} answering from both pods (seen: ${[...seen].join(", ")})`,
            100,
        );
        const nodePort = c.kubectl(["get", "service", `${tag}-on-w2`, "-o", "jsonpath={.spec.ports[0].nodePort}"]);
        // curl retries until kube-proxy on w1 has the new port's rules.
        const answer = await c.exec("cp1", `curl -fsS --max-time 5 --retry 10 --retry-all-errors --retry-delay 1 http://${addr("w1")}:${nodePort}/hostname`);
        assert.equal(answer, `${tag}-w2`);
    });
    await t.test(`${tag}: a pod's traffic to an address outside the pod range leaves with its node's address`, async () => {
        const seen = c.kubectl(["exec", `${tag}-w1`, "--", "sh", "-c", `nc -w 5 ${addr("cp1")} ${ECHO_PORT} </dev/null`]);
        assert.equal(seen, addr("w1"));
    });
    return subnets;
}

/** A listener on cp1 answering every connection with the peer address it sees (socat sets SOCAT_PEERADDR). */
async function startPeerEcho(c: Cluster) {
    await c.exec("cp1", `systemd-run --unit=peer-echo socat TCP-LISTEN:${ECHO_PORT},reuseaddr,fork SYSTEM:'echo $SOCAT_PEERADDR'`);
    await c.exec("cp1", `for _ in $(seq 100); do ss -Hltn 'sport = :${ECHO_PORT}' | grep -q . && exit 0; sleep 0.1; done; exit 1`);
}

/** The Nodes' spec.podCIDR by name. */
function podCidrs(c: Cluster): Record<string, string> {
    const rows = c.kubectl(["get", "nodes", "-o", 'jsonpath={range .items[*]}{.metadata.name}={.spec.podCIDR}{"\\n"}{end}']).split("\n");
    return Object.fromEntries(rows.map((r) => r.split("=")));
}

/** systemd's start time of flanneld on each worker (changes exactly when it restarts). */
async function flanneldStarts(c: Cluster): Promise<string[]> {
    return Promise.all(WORKERS.map((w) => c.exec(w, "systemctl show -p ExecMainStartTimestampMonotonic --value flanneld")));
}

test("flannel as a DaemonSet, then flanneld under systemd with the kube subnet manager (a rolling change), vxlan", { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const c = await cluster(t, true);
    const first = await c.up({ mode: "daemonset", backend: "vxlan" });
    c.writeKubeconfig(first.outputs.adminKubeconfig as string);
    await startPeerEcho(c);

    await t.test("daemonset: a ready flannel pod on each worker, no flanneld unit", async () => {
        const ds = c.kubectl([
            "-n",
            "kube-flannel",
            "get",
            "daemonset",
            "kube-flannel-ds",
            "-o",
            "jsonpath={.status.numberReady}/{.status.desiredNumberScheduled}",
        ]);
        assert.equal(ds, "2/2");
        for (const w of WORKERS) assert.equal((await c.testbed.exec(w, "systemctl is-active flanneld")).stdout.trim(), "inactive");
    });
    const ips = await startPods(c, "ds");
    const subnets = await proveTraffic(t, c, "ds", ips);
    await t.test("daemonset: each worker's subnet is its Node's spec.podCIDR and the podSubnets output; vxlan routes through flannel.1", async () => {
        assert.deepEqual(podCidrs(c), subnets);
        assert.deepEqual(first.outputs.podSubnets, subnets);
        assert.match(await c.exec("w1", `ip route show ${subnets.w2}`), new RegExp(`^${subnets.w2} via \\S+ dev flannel\\.1 onlink`));
    });

    const switched = await c.up({ mode: "systemd-kube", backend: "vxlan" });
    await t.test("to systemd-kube: flanneld.service on both workers, the DaemonSet gone, the pods keep their addresses and reach each other", async () => {
        for (const w of WORKERS) assert.equal(await c.exec(w, "systemctl is-active flanneld"), "active");
        assert.doesNotMatch(c.kubectl(["get", "namespaces", "-o", "name"]), /namespace\/kube-flannel/);
        for (const w of WORKERS) assert.equal(c.kubectl(["get", "pod", `ds-${w}`, "-o", "jsonpath={.status.podIP}"]), ips[w]);
        assert.match(c.kubectl(["exec", "ds-w1", "--", "ping", "-c", "2", "-W", "2", ips.w2]), / 0% packet loss/);
        assert.deepEqual(switched.outputs.podSubnets, subnets);
        for (const w of WORKERS) assert.equal(await c.exec(w, "stat -c %a /etc/flannel/kubeconfig"), "600");
        const subject = await c.exec(
            "w1",
            "grep client-certificate-data /etc/flannel/kubeconfig | awk '{print $2}' | base64 -d | openssl x509 -noout -subject",
        );
        assert.match(subject, /CN ?= ?system:flannel/);
    });
    const kubeIps = await startPods(c, "kube");
    const kubeSubnets = await proveTraffic(t, c, "kube", kubeIps);
    await t.test("systemd-kube: the subnets are still the Nodes' spec.podCIDR", () => assert.deepEqual(kubeSubnets, podCidrs(c)));

    await t.test("a second run changes nothing", async () => {
        const again = await c.up({ mode: "systemd-kube", backend: "vxlan" });
        assert.deepEqual(
            again.commandLog.map((e) => e.urn),
            [],
        );
        assert.deepEqual(again.outputs, switched.outputs);
    });

    await t.test("a backend change is refused on the nodes, naming how; flanneld and its routes stay", async () => {
        const before = await flanneldStarts(c);
        await assert.rejects(c.up({ mode: "systemd-kube", backend: "host-gw" }), (e: unknown) => {
            const text = e instanceof EngineRunError ? `${e.message}\n${e.diagnostics}` : String(e);
            assert.match(text, /changing backend vxlan to host-gw on a live cluster splits it/);
            assert.match(text, /in a maintenance window/);
            return true;
        });
        assert.deepEqual(await flanneldStarts(c), before);
        for (const w of WORKERS) assert.match(await c.exec(w, "cat /etc/flannel/k8s-binary-settings.json"), /"backend":"vxlan"/);
        assert.match(await c.exec("w1", `ip route show ${subnets.w2}`), /dev flannel\.1 onlink/);
    });

    const direct = await c.up({ mode: "systemd-kube", backend: "vxlan", directRouting: true });
    await t.test("vxlan DirectRouting: flanneld restarts on each worker, which then routes the other's subnet straight through eth0", async () => {
        assert.ok(direct.commandLog.some((e) => /w1-flanneld-restart$/.test(e.urn)) && direct.commandLog.some((e) => /w2-flanneld-restart$/.test(e.urn)));
        const gw = c.testbed.host("w2").address;
        assert.match(await c.exec("w1", `ip route show ${subnets.w2}`), new RegExp(`^${subnets.w2} via ${gw.replace(/\./g, "\\.")} dev eth0`));
    });
    const drIps = await startPods(c, "dr");
    await proveTraffic(t, c, "dr", drIps);
});

test("flanneld under systemd against etcd (TLS, v3 keys), vxlan; on the control-plane host too", { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const c = await cluster(t, false);
    const first = await c.up({ mode: "systemd-etcd", backend: "vxlan" });
    c.writeKubeconfig(first.outputs.adminKubeconfig as string);
    await startPeerEcho(c);
    const ips = await startPods(c, "etcd");
    const subnets = await proveTraffic(t, c, "etcd", ips);
    await t.test("systemd-etcd: every host's lease is in etcd under the prefix with its address; the config is the plan's", async () => {
        const etcdctl = "set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl";
        const leases = await c.exec("cp1", `${etcdctl} get --prefix /coreos.com/network/subnets/`);
        for (const h of ["cp1", ...WORKERS]) {
            const subnet = h === "cp1" ? (await subnetEnv(c, "cp1")).subnet : subnets[h];
            const key = `/coreos.com/network/subnets/${subnet.replace("/", "-")}`;
            const at = leases.split("\n").indexOf(key);
            assert.ok(at >= 0, `${key} in ${leases}`);
            assert.equal((JSON.parse(leases.split("\n")[at + 1]) as { PublicIP: string }).PublicIP, c.testbed.host(h).address);
        }
        const config = JSON.parse(await c.exec("cp1", `${etcdctl} get --print-value-only /coreos.com/network/config`)) as Record<string, unknown>;
        assert.deepEqual(config, { Network: c.testbed.podCidr, SubnetLen: 24, EnableNFTables: false, Backend: { Type: "vxlan" } });
        assert.deepEqual(Object.keys(first.outputs.podSubnets as object).sort(), ["cp1", "w1", "w2"]);
        for (const w of WORKERS) assert.equal(await c.exec(w, "stat -c %a /etc/flannel/pki/etcd-client-key.pem"), "600");
    });
    await t.test("the control-plane host (flanneld, no kubelet) reaches the pods", async () => {
        for (const w of WORKERS) assert.match(await c.exec("cp1", `curl -fsS --max-time 5 http://${ips[w]}:8080/hostname`), new RegExp(`^etcd-${w}$`));
    });
    await t.test("a second run changes nothing", async () => {
        const again = await c.up({ mode: "systemd-etcd", backend: "vxlan" });
        assert.deepEqual(
            again.commandLog.map((e) => e.urn),
            [],
        );
    });
});

test(
    "flannel's host-gw backend (flanneld under systemd, kube subnet manager); wireguard refused where the kernel lacks it",
    { timeout: 30 * 60_000 },
    async (t) => {
        if (!requireTestbed(t)) return;
        const c = await cluster(t, false);
        await t.test("wireguard: each node's preflight refuses the hosts' kernel, naming the module and what to choose instead", async () => {
            assert.equal((await c.testbed.exec("w1", "test -d /sys/module/wireguard")).code, 1, "the testbed's kernel has no wireguard");
            await assert.rejects(c.up({ mode: "systemd-kube", backend: "wireguard" }), (e: unknown) => {
                const text = e instanceof EngineRunError ? `${e.message}\n${e.diagnostics}` : String(e);
                assert.match(text, /NEEDS: the kernel has no wireguard module, which flannel's wireguard backend needs/);
                assert.match(text, /or set backend: vxlan/);
                return true;
            });
            for (const w of WORKERS) assert.equal((await c.testbed.exec(w, "systemctl cat flanneld")).code, 1, `no flanneld unit on ${w}`);
        });
        const first = await c.up({ mode: "systemd-kube", backend: "host-gw" });
        c.writeKubeconfig(first.outputs.adminKubeconfig as string);
        await startPeerEcho(c);
        const ips = await startPods(c, "hostgw");
        const subnets = await proveTraffic(t, c, "hostgw", ips);
        await t.test("host-gw: each worker routes the other's subnet through the other's address, no vxlan device", async () => {
            for (const [from, to] of [
                ["w1", "w2"],
                ["w2", "w1"],
            ] as const) {
                const gw = c.testbed.host(to).address.replace(/\./g, "\\.");
                assert.match(await c.exec(from, `ip route show ${subnets[to]}`), new RegExp(`^${subnets[to].replace(/\./g, "\\.")} via ${gw} dev eth0`));
                assert.equal((await c.testbed.exec(from, "ip link show flannel.1")).code, 1);
            }
            assert.deepEqual(podCidrs(c), subnets);
        });
    },
);
