// A cluster on the testbed for flannel's proofs and benchmarks: the program (index.ts) with the
// toolchain's releases and images from a mirror, cp1 (etcd and the control plane, not a node) and
// the workers w1 and w2, the flannel section chosen per run.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type Testbed } from "./testbed";
import { mirrorBinaries } from "./mirror-binaries";
import { makeMirror, mirrorImages } from "./toolchain";
import { kubectlWith } from "./kubectl";
import { testbedNodes } from "./testbed-nodes";
import { runProgram, type RunResult } from "./engine";
import { waitUntil } from "./wait-until";
import { AGNHOST } from "./workloads";
import { checkedExec, programConfig, testbedHost } from "./testbed-stack";

const PROGRAM = join(__dirname, "../../index.ts");
/** The workers. */
export const WORKERS = ["w1", "w2"] as const;

/** The flannel section a run asks for. */
export interface FlannelSettings {
    mode: "daemonset" | "systemd-kube" | "systemd-etcd";
    backend: "vxlan" | "host-gw" | "wireguard";
    directRouting?: boolean;
}

/**
 * One cluster on its own testbed (cp1: etcd and the control plane, not a node; w1 and w2), for
 * flannel settings given per run: the program run with them, kubectl with the admin kubeconfig,
 * and a command on a host. The DaemonSet's images are imported on the nodes with
 * `withFlannelImages`. `cleanup` receives what to do at the end (the testbed's stop first).
 */
export async function startFlannelCluster(withFlannelImages: boolean, cleanup: (fn: () => unknown) => void) {
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-flannel-"));
    cleanup(() => rmSync(work, { recursive: true, force: true }));
    const mirror = makeMirror(join(work, "mirror"));
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", ...WORKERS] });
    cleanup(() => testbed.stop());
    const base = await testbed.serveDirectory(mirror);
    const images = mirrorImages(mirror);
    const pattern = withFlannelImages ? /\/(pause|coredns|agnhost|flannel|flannel-cni-plugin)[:/]/ : /\/(pause|coredns|agnhost)[:/]/;
    const wanted = images.filter((i) => pattern.test(i.ref) || /coredns:v/.test(i.ref));
    const host = (name: string, roles: string[]) => testbedHost(testbed, name, roles);
    const specWith = (flannel: FlannelSettings) => ({
        name: "testbed",
        hosts: [host("cp1", ["etcd", "control-plane"]), host("w1", ["worker"]), host("w2", ["worker"])],
        ssh: { user: "root" },
        binaries: mirrorBinaries(mirror, base, { flannel: flannel.mode !== "daemonset" }),
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: testbed.serviceCidr },
        // The test hosts have no default route: flanneld is told its interface.
        flannel: { ...flannel, interface: "eth0" },
        controlPlane: { registerNodes: false },
        nodes: testbedNodes(wanted, base),
    });
    const stateFile = join(work, "state.json");
    const up = async (flannel: FlannelSettings): Promise<RunResult> => {
        const started = Date.now();
        const result = await runProgram({ program: PROGRAM, stateFile, config: programConfig(testbed, specWith(flannel)) });
        console.log(`up ${JSON.stringify(flannel)}: ${result.commandLog.length} remote commands in ${Date.now() - started} ms`);
        return result;
    };
    const kubeconfigFile = join(work, "admin.conf");
    const kubectl = kubectlWith(kubeconfigFile);
    const exec = checkedExec(testbed);
    return { testbed, up, kubectl, exec, writeKubeconfig: (text: string) => writeFileSync(kubeconfigFile, text, { mode: 0o600 }) };
}
export type FlannelCluster = Awaited<ReturnType<typeof startFlannelCluster>>;

/** An agnhost netexec pod on each worker, labelled for the Services; resolves with their addresses once Running. */
export async function startPods(c: FlannelCluster, tag: string): Promise<Record<(typeof WORKERS)[number], string>> {
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
