/**
 * The checked, defaulted form of WorkerNode's Args (pure): every problem is collected as an Issue
 * with its Args path, so one error lists them all before anything touches the host.
 */
import * as ipaddr from "ipaddr.js";
import { NEWEST_KUBERNETES_MINOR } from "../cluster-spec/versions";
import { flagValueProblem } from "../control-plane/plan";
import { addressNumber, checkedBlock, inside, numberAddress, overlaps, span, within } from "../host/ipv4-blocks";
import type { Issue } from "../host/issues";
import { hostAddressProblem, hostNameProblem, hostPathProblem } from "../host/value-checks";
import {
    CONTROL_PLANE_TAINT,
    DEFAULT_CLUSTER_DNS_INDEX,
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_CLUSTER_NAME,
    DEFAULT_CNI_BIN_DIR,
    DEFAULT_CONTAINERD_VERSION,
    DEFAULT_DRAIN_TIMEOUT_SECONDS,
    DEFAULT_UPGRADE_MAX_UNAVAILABLE,
    DEFAULT_ENDPOINT_PORT,
    DEFAULT_POD_CIDR,
    DEFAULT_PROXY_MODE,
    DEFAULT_SANDBOX_IMAGE,
    DEFAULT_SERVICE_CIDR,
    type TaintArgs,
    type WorkerNodeArgs,
} from "./args";

/** The node binaries taken from the installed releases (or the releases to install). */
export const NODE_BINARIES = ["kubelet", "kube-proxy", "containerd", "containerd-shim-runc-v2", "runc"] as const;
/** The CNI plugins the node's networks use (containerd runs `loopback` itself in every sandbox). */
export const CNI_PLUGINS = ["bridge", "host-local", "loopback", "portmap"] as const;

/**
 * The oldest minor the component configures: `failCgroupV1` arrived in the KubeletConfiguration in
 * 1.31, and kube-proxy's nftables mode went beta (on by default) in 1.31.
 */
export const OLDEST_NODE_MINOR = 31;

/** The kubernetes.io and k8s.io label keys a kubelet may set on its own Node (k8s.io/kubelet's well-known labels). */
const KUBELET_LABELS = new Set([
    "kubernetes.io/hostname",
    "topology.kubernetes.io/zone",
    "topology.kubernetes.io/region",
    "failure-domain.beta.kubernetes.io/zone",
    "failure-domain.beta.kubernetes.io/region",
    "beta.kubernetes.io/instance-type",
    "node.kubernetes.io/instance-type",
    "kubernetes.io/os",
    "kubernetes.io/arch",
    "beta.kubernetes.io/os",
    "beta.kubernetes.io/arch",
]);
/** Label namespaces (and their subdomains) open to the kubelet. */
const KUBELET_LABEL_NAMESPACES = ["kubelet.kubernetes.io", "node.kubernetes.io"];

/** What the component builds, with every default applied. */
export interface WorkerNodePlan {
    /** The Node's name: the host's name. */
    name: string;
    /** The host's address (SSH, the other hosts). */
    address: string;
    /** The address the Node registers with. */
    nodeIp: string;
    controlPlane: boolean;
    version: string;
    /** The minor of `version` ("1.37.2" -> 37). */
    minor: number;
    containerdVersion: string;
    /** containerd's configuration schema: 4 from containerd 2.3, else 3 (2.0-2.2). */
    containerdConfigVersion: 3 | 4;
    /** Where the node reaches the apiservers: `url` is `https://host:port`. */
    endpoint: { host: string; port: number; url: string };
    clusterName: string;
    podCidr: string;
    serviceCidr: string;
    clusterDns: string;
    clusterDomain: string;
    /** The node's pod block for the bridge CNI network; absent when none is written. */
    podSubnet?: string;
    sandboxImage: string;
    cniBinDir: string;
    /** More CNI plugin folders, after `cniBinDir`. */
    extraCniBinDirs: string[];
    /** kubelet `failCgroupV1: false`. */
    cgroupV1: boolean;
    /** containerd `restrict_oom_score_adj = true`. */
    restrictOomScoreAdj: boolean;
    proxy: { mode: "iptables" | "nftables" | "ipvs"; conntrackMaxPerCore?: number };
    /** Labels by key, sorted. */
    labels: Record<string, string>;
    /** Taints the kubelet registers: the control-plane taint first when the host runs the control plane. */
    taints: TaintArgs[];
    /** The kubelet's `maxPods`, when the Args set it. */
    maxPods?: number;
    /** Seconds the removal waits for evictions, when the Args ask for a removal. */
    drainTimeoutSeconds?: number;
    /** The drain before an upgrade of the kubelet, when the Args ask for it. */
    upgrade?: { maxUnavailable: number; drainTimeoutSeconds: number };
}

/** The plan and everything wrong (issues) or doubtful (warnings) in the Args. */
export interface WorkerNodePlanResult {
    plan: WorkerNodePlan;
    issues: Issue[];
    warnings: Issue[];
}

const NODE_NAME = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const LABEL_VALUE = /^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/;
/** A fully qualified image reference: registry host (with a dot, or a port), path, and a tag or digest; no quotes or spaces. */
const IMAGE_REF =
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?\/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/;
const TAINT_EFFECTS = ["NoSchedule", "PreferNoSchedule", "NoExecute"];
const PROXY_MODES = ["iptables", "nftables", "ipvs"];

/** What is wrong with a label key ([prefix/]name), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
    const parts = key.split("/");
    if (parts.length > 2) return "has more than one '/'";
    const name = parts[parts.length - 1];
    if (!LABEL_NAME.test(name)) return "has a name part that is not 1-63 letters, digits, '-', '_' and '.', starting and ending alphanumeric";
    if (parts.length === 2 && !DNS_NAME.test(parts[0])) return "has a prefix that is not a lower-case DNS name";
    return undefined;
}

/** Whether the kubelet may set this label on its own Node: outside kubernetes.io and k8s.io, or one of the kubelet's well-known labels and namespaces. */
export function kubeletMaySetLabel(key: string): boolean {
    const slash = key.indexOf("/");
    if (slash < 0) return true;
    const namespace = key.slice(0, slash);
    const isKubernetes = ["kubernetes.io", "k8s.io"].some((ns) => namespace === ns || namespace.endsWith(`.${ns}`));
    if (!isKubernetes || KUBELET_LABELS.has(key)) return true;
    return KUBELET_LABEL_NAMESPACES.some((ns) => namespace === ns || namespace.endsWith(`.${ns}`));
}

/** Pod addresses in a node's block of this prefix length: the bridge takes the network, gateway and broadcast addresses. */
export const podAddresses = (prefix: number) => 2 ** (32 - prefix) - 3;

/** What is wrong with `maxPods` on a node whose pod block has this prefix length, or undefined. */
export function maxPodsProblem(maxPods: number, prefix: number): string | undefined {
    return maxPods > podAddresses(prefix) ? `${maxPods} pods do not fit a node's /${prefix} block (${podAddresses(prefix)} pod addresses)` : undefined;
}

const isPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;

/** Checks `args` and derives the plan; `name` is the component's (messages only). */
export function planWorkerNode(name: string, args: WorkerNodeArgs): WorkerNodePlanResult {
    const issues: Issue[] = [];
    const warnings: Issue[] = [];
    const issue = (path: string, message: string, hint: string) => issues.push({ path, message, hint });

    // The host.
    const nodeName = args.host.name;
    if (!NODE_NAME.test(nodeName)) {
        issue("host.name", `"${nodeName}" is not a lower-case DNS name of at most 63 characters`, "use letters, digits, '-' and '.': it is the Node's name");
    }
    const address = args.host.address;
    const addressProblem = hostAddressProblem(address);
    if (addressProblem) issue("host.address", `${JSON.stringify(address)} ${addressProblem}`, "give the IPv4 address the other hosts reach this one on");
    const nodeIp = args.nodeIp ?? address;
    if (args.nodeIp !== undefined) {
        const p = hostAddressProblem(args.nodeIp);
        if (p)
            issue("nodeIp", `${JSON.stringify(args.nodeIp)} ${p}`, "give the host's IPv4 address on the cluster network, or leave it unset for host.address");
    }

    // Versions.
    const version = args.version;
    let minor = NaN;
    const v = VERSION.exec(version);
    if (!v) {
        issue("version", `"${version}" is not a version`, `write it as major.minor.patch, like "1.37.2"`);
    } else {
        minor = parseInt(v[2], 10);
        if (v[1] !== "1" || minor < OLDEST_NODE_MINOR) {
            issue(
                "version",
                `${version} is older than 1.${OLDEST_NODE_MINOR}, the oldest node this project configures (failCgroupV1 arrived in 1.${OLDEST_NODE_MINOR})`,
                `use 1.${OLDEST_NODE_MINOR} or newer`,
            );
        } else if (minor > NEWEST_KUBERNETES_MINOR) {
            warnings.push({
                path: "version",
                message: `${version} is newer than 1.${NEWEST_KUBERNETES_MINOR}, the newest release the node's configuration was checked against`,
                hint: "review the rendered configuration (npm run render) before deploying",
            });
        }
    }
    const containerdVersion = args.containerdVersion ?? DEFAULT_CONTAINERD_VERSION;
    let containerdConfigVersion: 3 | 4 = 4;
    const cv = VERSION.exec(containerdVersion);
    if (!cv) {
        issue("containerdVersion", `"${containerdVersion}" is not a version`, `write it as major.minor.patch, like "${DEFAULT_CONTAINERD_VERSION}"`);
    } else if (cv[1] !== "2") {
        issue(
            "containerdVersion",
            `containerd ${containerdVersion} is not a 2.x release (Kubernetes 1.36 and newer need containerd 2.2 or newer; the configuration is schema 3 or 4)`,
            `use containerd ${DEFAULT_CONTAINERD_VERSION}`,
        );
    } else {
        containerdConfigVersion = parseInt(cv[2], 10) >= 3 ? 4 : 3;
        if (parseInt(cv[2], 10) < 2) {
            warnings.push({
                path: "containerdVersion",
                message: `containerd ${containerdVersion} is older than 2.2, the oldest that containerd's release notes list for Kubernetes 1.36 and newer`,
                hint: `use containerd ${DEFAULT_CONTAINERD_VERSION}`,
            });
        }
    }

    // Releases.
    if ((args.installed === undefined) === (args.release === undefined)) {
        issue(
            args.installed === undefined ? "release" : "installed",
            args.installed === undefined ? "neither `installed` nor `release` is given" : "both `installed` and `release` are given",
            "give the releases installed on the host (`installed`) or the ones to install (`release`), exactly one",
        );
    }
    const has = (binary: string) =>
        args.installed !== undefined
            ? args.installed.some((r) => r.paths[binary] !== undefined)
            : (args.release ?? []).some((r) => r.binaries.includes(binary));
    if ((args.installed === undefined) !== (args.release === undefined)) {
        const where = args.installed !== undefined ? "installed" : "release";
        for (const binary of [...NODE_BINARIES, ...CNI_PLUGINS]) {
            if (!has(binary)) {
                const from = (CNI_PLUGINS as readonly string[]).includes(binary)
                    ? "the CNI plugins release"
                    : binary.startsWith("kube")
                      ? "the Kubernetes node release"
                      : `the ${binary.split("-")[0]} release`;
                issue(where, `no release holds ${binary}`, `add ${binary} to the binaries of ${from}`);
            }
        }
    }

    // Endpoint.
    const endpointHost = args.endpoint.host;
    const hostProblem = hostNameProblem(endpointHost);
    if (hostProblem) issue("endpoint.host", `${JSON.stringify(endpointHost)} ${hostProblem}`, "give the load balancer's VIP or DNS name");
    else if (ipaddr.IPv4.isValidFourPartDecimal(endpointHost)) {
        const p = hostAddressProblem(endpointHost);
        if (p) issue("endpoint.host", `${endpointHost} ${p}`, "give the VIP the hosts reach the apiservers on");
    }
    const endpointPort = args.endpoint.port ?? DEFAULT_ENDPOINT_PORT;
    if (!isPort(endpointPort))
        issue("endpoint.port", `${endpointPort} is not a TCP port`, `give a port in 1..65535, or leave it unset for ${DEFAULT_ENDPOINT_PORT}`);
    const clusterName = args.clusterName ?? DEFAULT_CLUSTER_NAME;
    if (!DNS_NAME.test(clusterName)) issue("clusterName", `"${clusterName}" is not a DNS name`, "use lower-case letters, digits, '-' and '.'");

    // Networks.
    const podCidr = args.podCidr ?? DEFAULT_POD_CIDR;
    const serviceCidr = args.serviceCidr ?? DEFAULT_SERVICE_CIDR;
    const pods = checkedBlock(issue, "podCidr", podCidr, DEFAULT_POD_CIDR);
    const services = checkedBlock(issue, "serviceCidr", serviceCidr, DEFAULT_SERVICE_CIDR);
    if (pods && services && overlaps(pods, services))
        issue("podCidr", `${podCidr} overlaps serviceCidr ${serviceCidr}`, "give pods and services separate blocks");
    let clusterDns = args.clusterDns ?? "";
    if (services) {
        const [first, last] = span(services);
        if (args.clusterDns === undefined) {
            clusterDns = last - first >= DEFAULT_CLUSTER_DNS_INDEX + 1 ? numberAddress(first + DEFAULT_CLUSTER_DNS_INDEX) : numberAddress(first + 2);
        } else if (!ipaddr.IPv4.isValidFourPartDecimal(clusterDns)) {
            issue(
                "clusterDns",
                `${JSON.stringify(clusterDns)} is not an IPv4 address`,
                `give an address inside serviceCidr ${serviceCidr}, like ${numberAddress(first + 10)}`,
            );
        } else if (!inside(clusterDns, services)) {
            issue("clusterDns", `${clusterDns} is outside serviceCidr ${serviceCidr}`, "give an address inside serviceCidr: it is a Service's ClusterIP");
        } else {
            const n = addressNumber(ipaddr.IPv4.parse(clusterDns));
            if (n === first || n === last)
                issue("clusterDns", `${clusterDns} is the network or broadcast address of ${serviceCidr}`, `give an address like ${numberAddress(first + 10)}`);
            else if (n === first + 1) {
                issue(
                    "clusterDns",
                    `${clusterDns} is the first address of ${serviceCidr}, taken by the \`kubernetes\` Service`,
                    `give an address like ${numberAddress(first + 10)}`,
                );
            }
        }
    }
    const clusterDomain = args.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    if (!DNS_NAME.test(clusterDomain) || /^[0-9.]+$/.test(clusterDomain)) {
        issue("clusterDomain", `"${clusterDomain}" is not a lower-case DNS name`, `write it like "${DEFAULT_CLUSTER_DOMAIN}"`);
    }
    for (const [path, a] of [
        ["host.address", address],
        ["nodeIp", args.nodeIp],
    ] as const) {
        if (a === undefined) continue;
        for (const [label, b, text] of [
            ["serviceCidr", services, serviceCidr],
            ["podCidr", pods, podCidr],
        ] as const) {
            if (b && inside(a, b)) issue(path, `${a} lies inside ${label} ${text}`, `keep the hosts' network apart from ${label}`);
        }
    }
    const podSubnet = args.podSubnet;
    if (podSubnet !== undefined) {
        const subnet = checkedBlock(issue, "podSubnet", podSubnet, "10.244.1.0/24");
        if (subnet && pods && !within(subnet, pods))
            issue("podSubnet", `${podSubnet} is not inside podCidr ${podCidr}`, "give this node's own block of podCidr");
        else if (subnet && subnet[1] > 28)
            issue("podSubnet", `/${subnet[1]} holds too few pod addresses`, "give a block of /28 or larger (a /24, as the controller-manager hands out)");
        else if (subnet && args.maxPods !== undefined && maxPodsProblem(args.maxPods, subnet[1]))
            issue("maxPods", maxPodsProblem(args.maxPods, subnet[1])!, "lower maxPods or give a larger podSubnet");
    }
    const maxPods = args.maxPods;
    if (maxPods !== undefined && !(Number.isInteger(maxPods) && maxPods >= 1))
        issue("maxPods", `${maxPods} is not a whole number of pods`, "give 1 or more, or leave it unset for the kubelet's 110");
    // A count of seconds or nodes: whole, 1 or more.
    const wholeCount = (path: string, value: number | undefined, unit: string, fallback: number) => {
        if (value !== undefined && !(Number.isInteger(value) && value >= 1))
            issue(path, `${value} is not a whole number of ${unit}`, `give 1 or more, or leave it unset for ${fallback}`);
    };
    // Both drains run kubectl from a release handed over or installed here.
    const needsKubectl = (key: "removal" | "upgrade", what: string) => {
        if (args[key] && (args.installed !== undefined) !== (args.release !== undefined) && !has("kubectl"))
            issue(
                args.installed !== undefined ? "installed" : "release",
                `no release holds kubectl, which ${what} drains the node with`,
                `add kubectl to the Kubernetes node release, or leave \`${key}\` unset`,
            );
    };
    const drainTimeoutSeconds = args.removal && (args.removal.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS);
    wholeCount("removal.drainTimeoutSeconds", drainTimeoutSeconds, "seconds", DEFAULT_DRAIN_TIMEOUT_SECONDS);
    needsKubectl("removal", "the removal");
    const upgrade = args.upgrade && {
        maxUnavailable: args.upgrade.maxUnavailable ?? DEFAULT_UPGRADE_MAX_UNAVAILABLE,
        drainTimeoutSeconds: args.upgrade.drainTimeoutSeconds ?? DEFAULT_DRAIN_TIMEOUT_SECONDS,
    };
    wholeCount("upgrade.maxUnavailable", upgrade?.maxUnavailable, "nodes", DEFAULT_UPGRADE_MAX_UNAVAILABLE);
    wholeCount("upgrade.drainTimeoutSeconds", upgrade?.drainTimeoutSeconds, "seconds", DEFAULT_DRAIN_TIMEOUT_SECONDS);
    needsKubectl("upgrade", "an upgrade");

    // Runtime.
    const sandboxImage = args.sandboxImage ?? DEFAULT_SANDBOX_IMAGE;
    if (!IMAGE_REF.test(sandboxImage)) {
        issue(
            "sandboxImage",
            `${JSON.stringify(sandboxImage)} is not a fully qualified image reference`,
            `write registry/path:tag, like "${DEFAULT_SANDBOX_IMAGE}" (containerd pins the name exactly as written)`,
        );
    }
    const cniBinDir = args.cniBinDir ?? DEFAULT_CNI_BIN_DIR;
    const binDirProblem = hostPathProblem(cniBinDir);
    if (binDirProblem) issue("cniBinDir", `the path ${binDirProblem}`, `give an absolute path like ${DEFAULT_CNI_BIN_DIR}`);
    const extraCniBinDirs = args.extraCniBinDirs ?? [];
    extraCniBinDirs.forEach((dir, i) => {
        const p = hostPathProblem(dir);
        if (p) issue(`extraCniBinDirs[${i}]`, `the path ${p}`, `give an absolute path like ${DEFAULT_CNI_BIN_DIR}`);
    });

    // kube-proxy.
    const mode = args.proxy?.mode ?? DEFAULT_PROXY_MODE;
    if (!PROXY_MODES.includes(mode)) {
        issue(
            "proxy.mode",
            `${JSON.stringify(mode)} is not a kube-proxy mode`,
            `give "iptables", "nftables" or "ipvs", or leave it unset for ${DEFAULT_PROXY_MODE}`,
        );
    } else if (mode === "ipvs") {
        warnings.push({
            path: "proxy.mode",
            message: "kube-proxy's ipvs mode is deprecated since 1.35 and due to be switched off by default",
            hint: 'use "nftables" (or "iptables")',
        });
    }
    const conntrackMaxPerCore = args.proxy?.conntrackMaxPerCore;
    if (conntrackMaxPerCore !== undefined && !(Number.isInteger(conntrackMaxPerCore) && conntrackMaxPerCore >= 0)) {
        issue(
            "proxy.conntrackMaxPerCore",
            `${conntrackMaxPerCore} is not a whole number of connections`,
            "give 0 to leave the kernel's conntrack table size alone, or leave it unset",
        );
    }

    // Labels and taints.
    const labels: Record<string, string> = {};
    for (const key of Object.keys(args.labels ?? {}).sort()) {
        const value = args.labels![key];
        const where = `labels.${key}`;
        const keyProblem = labelKeyProblem(key);
        if (keyProblem) issue(where, `the key ${keyProblem}`, "write label keys as [prefix/]name, like example.com/pool");
        else if (!kubeletMaySetLabel(key)) {
            issue(
                where,
                `the kubelet may not set ${key} on its own Node (a kubernetes.io or k8s.io label outside its own namespaces; it refuses to start)`,
                "use a key under node.kubernetes.io/ or your own prefix, or set it with kubectl after the node joins",
            );
        }
        if (typeof value !== "string" || !LABEL_VALUE.test(value)) {
            issue(
                where,
                "the value is not a label value (at most 63 letters, digits, '-', '_' and '.', starting and ending alphanumeric)",
                "give a label-style value",
            );
        } else if (flagValueProblem(value)) issue(where, flagValueProblem(value)!, "give a label-style value");
        labels[key] = value;
    }
    const taints: TaintArgs[] = args.controlPlane ? [{ ...CONTROL_PLANE_TAINT }] : [];
    (args.taints ?? []).forEach((t, i) => {
        const where = `taints[${i}]`;
        const keyProblem = labelKeyProblem(t.key);
        if (keyProblem) issue(`${where}.key`, `the key ${keyProblem}`, "write taint keys as [prefix/]name, like example.com/gpu");
        if (t.value !== undefined && !LABEL_VALUE.test(t.value))
            issue(`${where}.value`, "is not a label-style value", "give at most 63 letters, digits, '-', '_' and '.'");
        if (!TAINT_EFFECTS.includes(t.effect))
            issue(`${where}.effect`, `${JSON.stringify(t.effect)} is not a taint effect`, `give one of ${TAINT_EFFECTS.join(", ")}`);
        if (taints.some((o) => o.key === t.key && o.effect === t.effect)) {
            const cp = args.controlPlane && t.key === CONTROL_PLANE_TAINT.key;
            issue(
                where,
                `${t.key}:${t.effect} is ${cp ? "the control-plane taint, which the component sets itself" : "listed more than once"}`,
                cp ? "leave it out" : "give every key and effect once",
            );
            return;
        }
        taints.push(t.value === undefined ? { key: t.key, effect: t.effect } : { key: t.key, value: t.value, effect: t.effect });
    });

    const plan: WorkerNodePlan = {
        name: nodeName,
        address,
        nodeIp,
        controlPlane: args.controlPlane ?? false,
        version,
        minor,
        containerdVersion,
        containerdConfigVersion,
        endpoint: { host: endpointHost, port: endpointPort, url: `https://${endpointHost}:${endpointPort}` },
        clusterName,
        podCidr,
        serviceCidr,
        clusterDns,
        clusterDomain,
        sandboxImage,
        cniBinDir,
        extraCniBinDirs,
        cgroupV1: args.cgroupV1 ?? false,
        restrictOomScoreAdj: args.restrictOomScoreAdj ?? false,
        proxy: conntrackMaxPerCore === undefined ? { mode } : { mode, conntrackMaxPerCore },
        labels,
        taints,
    };
    if (podSubnet !== undefined) plan.podSubnet = podSubnet;
    if (maxPods !== undefined) plan.maxPods = maxPods;
    if (drainTimeoutSeconds !== undefined) plan.drainTimeoutSeconds = drainTimeoutSeconds;
    if (upgrade !== undefined) plan.upgrade = upgrade;
    void name;
    return { plan, issues, warnings };
}
