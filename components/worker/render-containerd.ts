/** containerd's configuration (schema 3 or 4, containerd 2.x) and its unit. */
import { NODE_PATHS } from "./layout";
import type { WorkerNodePlan } from "./plan";

/** A TOML literal string: single quotes, which the plan's checked values never hold. */
function literal(what: string, value: string): string {
    if (/['\r\n\0]/.test(value)) throw new Error(`${what} holds a quote or a line break, which the containerd configuration cannot carry`);
    return `'${value}'`;
}

/**
 * /etc/containerd/config.toml: the CRI plugin with the sandbox image pinned (kubelet no longer
 * keeps it from image garbage collection; the runtime must), runc through the systemd cgroup driver
 * (the kubelet's `cgroupDriver: systemd`; both must agree), and the CNI folders. `restrict_oom_score_adj`
 * is on only for hosts without CAP_SYS_RESOURCE (the plan's `restrictOomScoreAdj`).
 */
export function renderContainerdConfig(plan: WorkerNodePlan, runcPath: string): string {
    return `# Written by k8s-binary (WorkerNode ${plan.name}) for containerd ${plan.containerdVersion}.
version = ${plan.containerdConfigVersion}

[plugins.'io.containerd.cri.v1.images'.pinned_images]
  # The CRI sandbox image, fully qualified; imported on the host and kept from image garbage collection.
  sandbox = ${literal("the sandbox image", plan.sandboxImage)}

[plugins.'io.containerd.cri.v1.runtime']
${
    plan.restrictOomScoreAdj
        ? "  # This host lacks CAP_SYS_RESOURCE: runc may not set an oom_score_adj below containerd's own.\n  restrict_oom_score_adj = true"
        : "  restrict_oom_score_adj = false"
}

[plugins.'io.containerd.cri.v1.runtime'.containerd]
  default_runtime_name = 'runc'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
  runtime_type = 'io.containerd.runc.v2'

[plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
  BinaryName = ${literal("the runc path", runcPath)}
  # The kubelet's cgroupDriver is systemd: both must use the same driver.
  SystemdCgroup = true

[plugins.'io.containerd.cri.v1.runtime'.cni]
  bin_dirs = [${[plan.cniBinDir, ...plan.extraCniBinDirs].map((d) => literal("a CNI plugin folder", d)).join(", ")}]
  conf_dir = ${literal("the CNI configuration folder", NODE_PATHS.cniConfDir)}
`;
}

/** containerd.service: upstream's unit, less the `modprobe overlay` (HostPrep loads overlay at boot). */
export function renderContainerdUnit(containerdPath: string): string {
    return `[Unit]
Description=containerd container runtime
Documentation=https://containerd.io
After=network.target dbus.service

[Service]
ExecStart=${containerdPath} --config ${NODE_PATHS.containerdConfig}
Type=notify
Delegate=yes
KillMode=process
Restart=always
RestartSec=5
LimitNPROC=infinity
LimitCORE=infinity
TasksMax=infinity
OOMScoreAdjust=-999

[Install]
WantedBy=multi-user.target
`;
}
