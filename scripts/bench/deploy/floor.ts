// The floor of a deploy: the same daemons started by hand, in the same order, on the same hosts —
// fresh ones at the same addresses — from the files the program's deploy left (floor-bundle.ts),
// with no engine, no SSH and no checks but the waits a hand guide makes. What the program adds
// over it is the engine, the SSH round trips, the checksums, and its gates.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startTestbed, type Testbed } from "../../../test/support/testbed";
import { hostPaths } from "../../../test/support/testbed/boot";
import { mirrorImages } from "../../../test/support/toolchain";
import { waitUntil } from "../../../test/support/wait-until";
import type { Topology } from "../../sandbox/topology";
import { captureBundle, clusterObjects } from "./floor-bundle";
import type { Deployed } from "./program-deploy";
import { kubectl, waitClusterReady } from "./ready";

/** The floor's time to ready, and when each step of the hand sequence finished (ms from its start). */
export interface FloorFigures {
    readyMs: number;
    steps: Record<string, number>;
}

async function onHosts(testbed: Testbed, hosts: string[], script: string): Promise<void> {
    await Promise.all(
        hosts.map(async (h) => {
            const r = await testbed.exec(h, `set -euo pipefail\n${script}`, { timeoutMs: 300_000 });
            if (r.code !== 0) throw new Error(`floor on ${h}: ${script.split("\n")[0]}…: exit ${r.code}: ${r.stderr.trim()}`);
        }),
    );
}

/**
 * Copies what the deploy left on each host, stops its hosts, starts fresh ones at the same
 * addresses and starts the daemons there by hand, timed from the first copy to ready.
 */
export async function measureFloor(deployed: Deployed, topology: Topology, mirror: string, work: string): Promise<FloorFigures> {
    const dir = join(work, "floor");
    mkdirSync(dir, { recursive: true });
    for (const h of topology.hosts) captureBundle(hostPaths(deployed.testbed.stateDir, h.name).upper, deployed.since, join(dir, `${h.name}.tar`));
    writeFileSync(join(dir, "objects.json"), JSON.stringify({ apiVersion: "v1", kind: "List", items: clusterObjects(deployed.stateFile) }));
    const images = mirrorImages(mirror).filter((i) => !i.ref.includes("agnhost"));
    const instance = deployed.testbed.instance;
    await deployed.testbed.stop();

    const testbed = await startTestbed({ hosts: topology.hosts.map((h) => h.name) });
    try {
        // Certificates and configuration name the addresses: the floor needs the same ones.
        if (testbed.instance !== instance)
            throw new Error(`the floor's hosts got instance ${testbed.instance}, not ${instance}: another testbed took it meanwhile`);
        const bundles = await testbed.serveDirectory(dir);
        const releases = await testbed.serveDirectory(mirror);
        const withRole = (role: string) => topology.hosts.filter((h) => h.roles.includes(role as never)).map((h) => h.name);
        const nodes = deployed.nodes;
        const steps: Record<string, number> = {};
        const started = performance.now();
        const step = (name: string) => (steps[name] = Math.round(performance.now() - started));

        await Promise.all(
            topology.hosts.map((h) =>
                onHosts(
                    testbed,
                    [h.name],
                    `curl -fsS ${bundles}/${h.name}.tar | tar -x -C /\nsystemctl daemon-reload\nsysctl -e -q -p /etc/sysctl.d/90-k8s-binary.conf 2>/dev/null || true`,
                ),
            ),
        );
        step("files copied");
        await onHosts(testbed, withRole("etcd"), "systemctl start etcd.service");
        step("etcd");
        await onHosts(testbed, withRole("lb"), "systemctl start k8s-apiserver-lb.service k8s-apiserver-vip.service");
        step("load balancer");
        await onHosts(testbed, withRole("control-plane"), "systemctl start kube-apiserver.service kube-controller-manager.service kube-scheduler.service");
        await waitUntil(() => kubectl(deployed.kubeconfigFile, "get", "--raw", "/readyz") === "ok", 120_000, "the apiservers ready through the endpoint", 100);
        step("control plane");
        if (kubectl(deployed.kubeconfigFile, "apply", "-f", join(dir, "objects.json")) === undefined)
            throw new Error("kubectl apply of the cluster's objects failed");
        step("cluster objects");
        const imports = images.map((i) => `curl -fsS ${releases}/images/${i.file} | ctr -n k8s.io images import - >/dev/null`).join("\n");
        await onHosts(testbed, nodes, `systemctl start containerd.service\n${imports}\nsystemctl start kubelet.service kube-proxy.service`);
        step("nodes");
        await waitClusterReady(testbed, deployed.kubeconfigFile, nodes, deployed.probeHost);
        step("ready");
        return { readyMs: steps.ready, steps };
    } finally {
        await testbed.stop();
    }
}
