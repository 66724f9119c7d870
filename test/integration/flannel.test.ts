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
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ipaddr from "ipaddr.js";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { builtEtcdRelease } from "../support/etcd-release";
import { makeMirror, publishedDigest, tool, versions as V } from "../support/toolchain";
import { EngineRunError, runProgram, type RunResult } from "../support/engine";
import { waitUntil } from "../support/wait-until";
import type { ImageRecord } from "../support/node-runtime";

const PROGRAM = join(__dirname, "../../index.ts");
const WORKERS = ["w1", "w2"] as const;
const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1";
/** The port a listener on cp1 (outside the pod range) answers on with the peer address it sees. */
const ECHO_PORT = 9999;

interface FlannelSettings {
    mode: "daemonset" | "systemd-kube" | "systemd-etcd";
    backend: "vxlan" | "host-gw";
    directRouting?: boolean;
}

/** One cluster on its own testbed: the spec for a flannel setting, a run of the program, kubectl. */
async function cluster(t: TestContext, withFlannelImages: boolean) {
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-flannel-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const mirror = makeMirror(join(work, "mirror"));
    const etcd = builtEtcdRelease();
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", ...WORKERS] });
    t.after(() => testbed.stop());
    const base = await testbed.serveDirectory(mirror);
    const images = JSON.parse(readFileSync(join(mirror, "images", "images.json"), "utf8")) as ImageRecord[];
    const pattern = withFlannelImages ? /\/(pause|coredns|agnhost|flannel|flannel-cni-plugin)[:/]/ : /\/(pause|coredns|agnhost)[:/]/;
    const wanted = images.filter((i) => pattern.test(i.ref) || /coredns:v/.test(i.ref));
    const host = (name: string, roles: string[]) => ({ name, address: testbed.host(name).address, roles, hostKey: testbed.host(name).hostKey });
    const digest = (dir: string, file: string, checksumFile: string) => publishedDigest(join(mirror, dir, checksumFile), file);
    const k8sDir = `kubernetes/v${V.KUBERNETES}`;
    const flannelFile = `flannel-v${V.FLANNEL}-linux-amd64.tar.gz`;
    const cniPluginFile = `cni-plugin-flannel-linux-amd64-v${V.FLANNEL_CNI_PLUGIN}.tgz`;
    const specWith = (flannel: FlannelSettings) => ({
        name: "testbed",
        hosts: [host("cp1", ["etcd", "control-plane"]), host("w1", ["worker"]), host("w2", ["worker"])],
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
            ...(flannel.mode === "daemonset"
                ? {}
                : {
                      flannel: {
                          version: V.FLANNEL,
                          baseUrl: `${base}/flannel`,
                          sha256: digest(`flannel/v${V.FLANNEL}`, flannelFile, `${flannelFile}.sha256`),
                      },
                      flannelCniPlugin: {
                          version: V.FLANNEL_CNI_PLUGIN,
                          baseUrl: `${base}/flannel-cni-plugin`,
                          sha256: digest(`flannel-cni-plugin/v${V.FLANNEL_CNI_PLUGIN}`, cniPluginFile, `${cniPluginFile}.sha256`),
                      },
                  }),
        },
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: testbed.serviceCidr },
        // The test hosts have no default route: flanneld is told its interface.
        flannel: { ...flannel, interface: "eth0" },
        controlPlane: { registerNodes: false },
        // Testbed hosts: hybrid cgroups, no CAP_SYS_RESOURCE, a read-only nf_conntrack_max.
        nodes: {
            cgroupV1: true,
            restrictOomScoreAdj: true,
            conntrackMaxPerCore: 0,
            images: wanted.map((i) => ({ ref: i.ref, file: i.file, sha256: i.sha256, digest: i.digest, baseUrl: `${base}/images` })),
        },
    });
    const privateKey = testbed.hosts[0].connection.privateKey;
    const stateFile = join(work, "state.json");
    const up = async (flannel: FlannelSettings): Promise<RunResult> => {
        const started = Date.now();
        const config = { "k8s-binary:cluster": JSON.stringify(specWith(flannel)), "k8s-binary:sshPrivateKey": privateKey };
        const result = await runProgram({ program: PROGRAM, stateFile, config });
        console.log(`up ${JSON.stringify(flannel)}: ${result.commandLog.length} remote commands in ${Date.now() - started} ms`);
        return result;
    };
    const kubeconfigFile = join(work, "admin.conf");
    const kubectl = (args: string[], input?: string) => {
        const r = spawnSync(tool("kubernetes", "kubectl"), ["--kubeconfig", kubeconfigFile, "--request-timeout=20s", ...args], {
            encoding: "utf8",
            timeout: 60_000,
            input,
        });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };
    const exec = async (h: string, cmd: string) => {
        const r = await testbed.exec(h, cmd);
        assert.equal(r.code, 0, `${h}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };
    return { testbed, up, kubectl, exec, writeKubeconfig: (text: string) => writeFileSync(kubeconfigFile, text, { mode: 0o600 }) };
}
type Cluster = Awaited<ReturnType<typeof cluster>>;

/** An agnhost netexec pod on each worker, labelled for the Services; resolves with their addresses once Running. */
async function startPods(c: Cluster, tag: string): Promise<Record<(typeof WORKERS)[number], string>> {
    for (const w of WORKERS) {
        c.kubectl(
            ["apply", "-f", "-"],
            JSON.stringify({
                apiVersion: "v1",
                kind: "Pod",
                metadata: { name: `${tag}-${w}`, namespace: "default", labels: { app: tag, node: w } },
                spec: {
                    nodeSelector: { "kubernetes.io/hostname": w },
                    containers: [{ name: "netexec", image: AGNHOST, imagePullPolicy: "Never", args: ["netexec", "--http-port=8080"] }],
                },
            }),
        );
    }
    await waitUntil(
        () => WORKERS.every((w) => c.kubectl(["get", "pod", `${tag}-${w}`, "-o", "jsonpath={.status.phase}"]) === "Running"),
        180_000,
        `${tag} pods Running`,
    );
    const ip = (w: string) => c.kubectl(["get", "pod", `${tag}-${w}`, "-o", "jsonpath={.status.podIP}"]);
    return { w1: ip("w1"), w2: ip("w2") };
}

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

test("flannel's host-gw backend (flanneld under systemd, kube subnet manager)", { timeout: 30 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const c = await cluster(t, false);
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
});
