// Files for the node-runtime proof on testbed hosts (test/integration/node-runtime.test.ts):
// containerd's config and a standalone kubelet with one static pod on a CNI bridge. containerd's
// unit is WorkerNode's own; the config, the bridge network and the kubelet are the proof's, with
// no WorkerNode plan behind them (the settings here that only testbed hosts need say so).
import { NODE_PATHS } from "../../components/worker/layout";
import { renderContainerdUnit } from "../../components/worker/render-containerd";

/** One image archive the toolchain built, as images.json lists it. */
export interface ImageRecord {
    /** Fully qualified reference, e.g. registry.k8s.io/pause:3.10.2. */
    ref: string;
    /** The archive's file name under the mirror's images/ folder. */
    file: string;
    /** sha256 of the archive file. */
    sha256: string;
    /** The image manifest's digest (sha256:...), as containerd lists the imported image. */
    digest: string;
}

/** containerd's config.toml (config version 3, containerd 2.x) and WorkerNode's containerd unit. */
export function containerdFiles(args: { sandboxImage: string }): { path: string; content: string }[] {
    const config = `version = 3

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  sandbox = '${args.sandboxImage}'

[plugins.'io.containerd.cri.v1.runtime']
  # Testbed hosts lack CAP_SYS_RESOURCE: runc may not lower oom_score_adj below containerd's own.
  restrict_oom_score_adj = true

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  BinaryName = '/usr/local/bin/runc'
  SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = ['/opt/cni/bin']
  conf_dir = '/etc/cni/net.d'
`;
    return [
        { path: NODE_PATHS.containerdConfig, content: config },
        { path: "/etc/systemd/system/containerd.service", content: renderContainerdUnit("/usr/local/bin/containerd") },
    ];
}

/** Splits a pod range into one /24 per node, in order (the controller-manager's job in a cluster). */
export function podSubnets(podCidr: string, nodes: string[]): Record<string, string> {
    const [base, bits] = podCidr.split("/");
    if (Number(bits) > 24) throw new Error(`pod range ${podCidr} is smaller than one /24`);
    if (nodes.length > 2 ** (24 - Number(bits))) throw new Error(`pod range ${podCidr} holds fewer /24s than ${nodes.length} nodes`);
    const start = base.split(".").reduce((n, o) => n * 256 + Number(o), 0);
    return Object.fromEntries(
        nodes.map((node, i) => {
            const n = start + i * 256;
            return [node, `${Math.floor(n / 2 ** 24) % 256}.${Math.floor(n / 2 ** 16) % 256}.${Math.floor(n / 256) % 256}.0/24`];
        }),
    );
}

/** The CNI network pods get on a node: a bridge with addresses from the node's pod subnet. */
export function bridgeConflist(subnet: string): string {
    return JSON.stringify(
        {
            cniVersion: "1.0.0",
            name: "testbed-bridge",
            plugins: [
                {
                    type: "bridge",
                    bridge: "cni0",
                    isGateway: true,
                    isDefaultGateway: true,
                    hairpinMode: true,
                    ipMasq: false,
                    ipam: { type: "host-local", ranges: [[{ subnet }]] },
                },
                { type: "portmap", capabilities: { portMappings: true } },
            ],
        },
        null,
        2,
    );
}

/** A standalone kubelet's files: config, unit, and an agnhost static pod serving HTTP on 8080. */
export function standaloneKubeletFiles(image: string): { config: string; unit: string; staticPod: string } {
    const config = `apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
# No --kubeconfig: standalone, running only the static pods of this folder.
staticPodPath: /etc/kubernetes/manifests
containerRuntimeEndpoint: unix:///run/containerd/containerd.sock
cgroupDriver: systemd
# Testbed hosts see cgroup v1 controllers; kubelet refuses v1 from 1.35 unless told.
failCgroupV1: false
readOnlyPort: 0
authentication:
  anonymous:
    enabled: false
  webhook:
    enabled: false
authorization:
  mode: AlwaysAllow
`;
    const unit = `[Unit]
Description=kubelet (standalone)
After=containerd.service
Requires=containerd.service

[Service]
ExecStart=/usr/local/bin/kubelet --config=/var/lib/kubelet/config.yaml
Restart=always
RestartSec=1

[Install]
WantedBy=multi-user.target
`;
    const staticPod = `apiVersion: v1
kind: Pod
metadata:
  name: netexec
  namespace: default
spec:
  containers:
    - name: netexec
      image: ${image}
      imagePullPolicy: Never
      args: ["netexec", "--http-port=8080"]
      ports:
        - containerPort: 8080
`;
    return { config, unit, staticPod };
}
