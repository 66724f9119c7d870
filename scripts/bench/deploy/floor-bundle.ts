// What the floor starts from: the files a deploy left on each host (binaries, configuration,
// certificates, units), without anything the daemons made at run time, and the in-cluster objects
// the program created.
import { spawnSync } from "node:child_process";
import { readState } from "../../../test/support/engine";

/** Made by the daemons, or records of the program's own: a hand install would not copy them. */
const RUNTIME = [
    "var/lib/etcd",
    "var/lib/containerd",
    "var/lib/cni",
    "var/lib/kubelet/pods",
    "var/lib/kubelet/pods-api",
    "var/lib/kubelet/plugins",
    "var/lib/kubelet/plugins_registry",
    "var/lib/kubelet/device-plugins",
    "var/lib/kubelet/pod-resources",
    "var/lib/kubelet/checkpoints",
    "var/lib/kubelet/image_manager",
    // The client certificate the kubelet got through TLS bootstrapping, and its kubeconfig for it.
    "var/lib/kubelet/pki/kubelet-client-",
    "etc/kubernetes/kubelet.conf",
    "var/lib/k8s-binary",
    "etc/kubernetes/k8s-binary-",
    "etc/flannel/k8s-binary-settings.json",
    // kube-flannel's init container installs it.
    "opt/cni/bin/flannel",
    "var/log",
    "var/tmp",
    "var/cache",
    "var/lib/systemd",
    "run",
    "tmp",
    "root",
];

/** True for a path (relative to the root) a hand install copies. */
export function isDeployedFile(path: string): boolean {
    if (/^var\/lib\/kubelet\/[a-z_]+_state$/.test(path)) return false;
    // A prefix ending in "-" starts names; any other is a file or a whole directory.
    return !RUNTIME.some((prefix) => (prefix.endsWith("-") ? path.startsWith(prefix) : path === prefix || path.startsWith(`${prefix}/`)));
}

/** Writes a tar of the files, links and directories changed under a host's disk since `since` (Unix seconds) that a hand install copies. */
export function captureBundle(upper: string, since: number, tarFile: string): number {
    const found = spawnSync(
        "find",
        [".", "-mindepth", "1", "-newerct", `@${since}`, "(", "-type", "f", "-o", "-type", "l", "-o", "-type", "d", ")", "-printf", "%P\\0"],
        {
            cwd: upper,
            encoding: "utf8",
            maxBuffer: 64 << 20,
        },
    );
    if (found.status !== 0) throw new Error(`find in ${upper}: ${found.stderr}`);
    const paths = found.stdout.split("\0").filter((p) => p !== "" && isDeployedFile(p));
    const tar = spawnSync("tar", ["-C", upper, "--no-recursion", "--null", "-T", "-", "-cf", tarFile], { input: paths.join("\0"), encoding: "utf8" });
    if (tar.status !== 0) throw new Error(`tar of ${upper}: ${tar.stderr}`);
    return paths.length;
}

/** The in-cluster objects the program made, from its exported state: namespaces first, as `kubectl apply` takes them. */
export function clusterObjects(stateFile: string): Record<string, unknown>[] {
    const clean = (value: unknown): unknown => {
        if (Array.isArray(value)) return value.map(clean);
        if (value === null || typeof value !== "object") return value;
        return Object.fromEntries(
            Object.entries(value)
                .filter(([k]) => !k.startsWith("__"))
                .map(([k, v]) => [k, clean(v)]),
        );
    };
    const objects = Object.values(readState(stateFile).resources)
        .filter((r) => r.custom && r.type.startsWith("kubernetes:"))
        .map((r) => clean(r.inputs) as Record<string, unknown>);
    return [...objects.filter((o) => o.kind === "Namespace"), ...objects.filter((o) => o.kind !== "Namespace")];
}
