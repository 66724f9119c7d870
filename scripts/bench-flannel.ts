// Pod-to-pod throughput across two test hosts per flannel backend, as a ratio to host-to-host
// throughput over the same testbed link, measured side by side in one run (docs/benchmarks.md).
//
//   npm run bench:flannel                          vxlan, vxlan DirectRouting, host-gw; 3 rounds of 512 MB each
//   npm run bench:flannel -- --rounds 5 --mb 1024 --json flannel.json
//
// Each backend gets a fresh cluster (the program, flanneld under systemd with the kube subnet
// manager) on its own testbed: cp1 (control plane) and the workers w1 and w2. A pod runs on each
// worker; the stream goes w1 -> w2, once between the hosts' own addresses and once between the
// pods' addresses (the same host tools, socat fed by dd, run inside the pods' network namespaces),
// alternating, so both see the same machine load. Needs root and the testbed (like npm test).
import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { startFlannelCluster, startPods, WORKERS, type FlannelCluster, type FlannelSettings } from "../test/support/flannel-cluster";
import { testbedAvailable } from "../test/support/testbed";

const BACKENDS: { label: string; flannel: FlannelSettings }[] = [
    { label: "vxlan", flannel: { mode: "systemd-kube", backend: "vxlan" } },
    { label: "vxlan DirectRouting", flannel: { mode: "systemd-kube", backend: "vxlan", directRouting: true } },
    { label: "host-gw", flannel: { mode: "systemd-kube", backend: "host-gw" } },
];

/** One end of a stream: a host, and the PID of a pod's container there when the stream is the pod's. */
interface End {
    host: string;
    address: string;
    pid?: number;
}

/** The MB/s of one stream of `mb` megabytes from `from` to `to` on `port`. */
async function stream(c: FlannelCluster, from: End, to: End, mb: number, port: number): Promise<number> {
    const netns = (pid?: number) => (pid === undefined ? "" : `nsenter -t ${pid} -n `);
    await c.exec(to.host, `systemd-run --quiet --collect --unit=bench-recv-${port} ${netns(to.pid)}socat -u TCP-LISTEN:${port},reuseaddr OPEN:/dev/null`);
    await c.exec(to.host, `for _ in $(seq 100); do ${netns(to.pid)}ss -Hltn 'sport = :${port}' | grep -q . && exit 0; sleep 0.1; done; exit 1`);
    const ns = await c.exec(
        from.host,
        `s=$(date +%s%N); dd if=/dev/zero bs=1M count=${mb} status=none | ${netns(from.pid)}socat -u - TCP:${to.address}:${port}; echo $(( $(date +%s%N) - s ))`,
    );
    return mb / (Number(ns) / 1e9);
}

/** The PID of a pod's container on its node (containerd's task). */
async function podPid(c: FlannelCluster, pod: string, host: string): Promise<number> {
    const id = c.kubectl(["get", "pod", pod, "-o", "jsonpath={.status.containerStatuses[0].containerID}"]).replace(/^containerd:\/\//, "");
    const pid = Number(await c.exec(host, `ctr -n k8s.io tasks ls | awk '$1 == "${id}" {print $2}'`));
    if (!(pid > 0)) throw new Error(`no running task for ${pod} on ${host}`);
    return pid;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];

async function main() {
    const { values } = parseArgs({ options: { rounds: { type: "string", default: "3" }, mb: { type: "string", default: "512" }, json: { type: "string" } } });
    const rounds = Number(values.rounds);
    const mb = Number(values.mb);
    const available = testbedAvailable();
    if (!available.ok) throw new Error(`the testbed cannot run here: ${available.reason}`);
    const results = [];
    for (const b of BACKENDS) {
        const cleanups: (() => unknown)[] = [];
        try {
            const c = await startFlannelCluster(false, (fn) => cleanups.unshift(fn));
            const first = await c.up(b.flannel);
            c.writeKubeconfig(first.outputs.adminKubeconfig as string);
            const ips = await startPods(c, "bench");
            const [from, to] = WORKERS;
            const hosts = { from: { host: from, address: c.testbed.host(from).address }, to: { host: to, address: c.testbed.host(to).address } };
            const pods = {
                from: { host: from, address: ips[from], pid: await podPid(c, `bench-${from}`, from) },
                to: { host: to, address: ips[to], pid: await podPid(c, `bench-${to}`, to) },
            };
            const host: number[] = [];
            const pod: number[] = [];
            for (let r = 0; r < rounds; r++) {
                host.push(await stream(c, hosts.from, hosts.to, mb, 5200 + 2 * r));
                pod.push(await stream(c, pods.from, pods.to, mb, 5201 + 2 * r));
            }
            const row = { backend: b.label, hostMBps: median(host), podMBps: median(pod), ratio: median(pod) / median(host), host, pod };
            console.log(`${row.backend}: host ${row.hostMBps.toFixed(0)} MB/s, pod ${row.podMBps.toFixed(0)} MB/s, ratio ${row.ratio.toFixed(2)}`);
            results.push(row);
        } finally {
            for (const fn of cleanups) await fn();
        }
    }
    console.log(
        [
            "",
            `| backend | host to host MB/s | pod to pod MB/s | pod / host |`,
            `|---|---|---|---|`,
            ...results.map((r) => `| ${r.backend} | ${r.hostMBps.toFixed(0)} | ${r.podMBps.toFixed(0)} | ${r.ratio.toFixed(2)} |`),
            "",
            `${rounds} rounds of ${mb} MB per path and backend, alternating host and pod (medians).`,
        ].join("\n"),
    );
    if (values.json) writeFileSync(values.json, JSON.stringify({ rounds, mb, results }, null, 2));
}

main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
});
