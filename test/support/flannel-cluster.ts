// A cluster on the testbed for flannel's proofs and benchmarks: the program (index.ts) with the
// toolchain's releases and images from a mirror, cp1 (etcd and the control plane, not a node) and
// the workers w1 and w2, the flannel section chosen per run.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTestbed, type Testbed } from "./testbed";
import { builtEtcdRelease } from "./etcd-release";
import { makeMirror, publishedDigest, tool, versions as V } from "./toolchain";
import { runProgram, type RunResult } from "./engine";
import type { ImageRecord } from "./node-runtime";
import { waitUntil } from "./wait-until";

const PROGRAM = join(__dirname, "../../index.ts");
/** The image of the test pods (imported on the nodes). */
export const AGNHOST = "registry.k8s.io/e2e-test-images/agnhost:2.66.1";
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
    const etcd = builtEtcdRelease();
    const testbed: Testbed = await startTestbed({ hosts: ["cp1", ...WORKERS] });
    cleanup(() => testbed.stop());
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
