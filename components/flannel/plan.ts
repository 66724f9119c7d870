/**
 * The checked, defaulted form of FlannelNetwork's Args (pure): every problem is collected as an
 * Issue with its Args path, so one error lists them all before anything touches a host.
 */
import * as ipaddr from "ipaddr.js";
import type { Issue } from "../host/issues";
import { blockProblem, hostAddressProblem, hostNameProblem, hostPathProblem, interfaceNameProblem } from "../host/value-checks";
import {
    DEFAULT_CLUSTER_NAME,
    DEFAULT_CNI_BIN_DIR,
    DEFAULT_ENDPOINT_PORT,
    DEFAULT_ETCD_PREFIX,
    DEFAULT_FLANNEL_BACKEND,
    DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE,
    DEFAULT_FLANNEL_IMAGE,
    DEFAULT_FLANNEL_MODE,
    DEFAULT_POD_CIDR,
    DEFAULT_SUBNET_LEN,
    FLANNEL_BACKENDS,
    FLANNEL_MODES,
    type FlannelBackend,
    type FlannelMode,
    type FlannelNetworkArgs,
} from "./args";

/** Bytes each backend adds to a packet (flannel's own figures): the pods' MTU is the host interface's less this. */
export const BACKEND_OVERHEAD: Readonly<Record<FlannelBackend, number>> = { vxlan: 50, wireguard: 80, udp: 28, "host-gw": 0 };
/** The pods' MTU bounds: IPv4's smallest every host must take, and a 9000-byte jumbo frame less the overhead. */
export const MTU_BOUNDS = { min: 576, maxHost: 9000 } as const;
/** The binaries the systemd modes take from the releases: flanneld and the flannel CNI plugin. */
export const FLANNEL_BINARIES = ["flanneld", "flannel"] as const;

/** One node as the renderers see it. */
export interface FlannelNodePlan {
    /** The Node's name (flanneld's NODE_NAME). */
    name: string;
    /** The address the other nodes reach it on. */
    address: string;
    /** `--iface`, when set. */
    interface?: string;
}

/** What the component builds, with every default applied. */
export interface FlannelPlan {
    /** The component's name (messages, the preflight's banner). */
    name: string;
    mode: FlannelMode;
    backend: FlannelBackend;
    /** vxlan's DirectRouting. */
    directRouting: boolean;
    ipMasq: boolean;
    /** net-conf `Network`. */
    podCidr: string;
    subnetLen: number;
    /** The backend's bytes of overhead ({@link BACKEND_OVERHEAD}). */
    overhead: number;
    /** The pods' MTU when set. */
    mtu?: number;
    /** The backend's `MTU` in net-conf (host interface MTU: `mtu` plus the overhead), when `mtu` is set. */
    backendMtu?: number;
    nftables: boolean;
    /** `--iface` of every node without its own (the DaemonSet's), when set. */
    interface?: string;
    /** Nodes flanneld runs on under systemd, sorted by name (empty for the DaemonSet). */
    nodes: FlannelNodePlan[];
    /** Mode systemd-kube: where flanneld reaches the apiservers; `url` is `https://host:port`. */
    endpoint?: { host: string; port: number; url: string };
    clusterName: string;
    /** Mode systemd-etcd: the members' client URLs and the key prefix. */
    etcd?: { endpoints: string[]; prefix: string };
    image: string;
    cniPluginImage: string;
    cniBinDir: string;
}

/** What a live cluster's network is built with: recorded on the nodes, compared by {@link planFlannelChange}. */
export type FlannelSettings = Pick<FlannelPlan, "mode" | "backend" | "podCidr" | "subnetLen">;

/** The settings of a plan (stable key order: the record on the nodes compares byte for byte). */
export function flannelSettings(plan: FlannelSettings): FlannelSettings {
    return { mode: plan.mode, backend: plan.backend, podCidr: plan.podCidr, subnetLen: plan.subnetLen };
}

/** The plan and everything wrong (issues) or doubtful (warnings) in the Args. */
export interface FlannelPlanResult {
    plan: FlannelPlan;
    issues: Issue[];
    warnings: Issue[];
}

const NODE_NAME = /^[a-z0-9]([a-z0-9.-]{0,61}[a-z0-9])?$/;
const DNS_NAME = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?(\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*$/;
/** A fully qualified image reference: registry host (with a dot, or a port), path, and a tag or digest. */
const IMAGE_REF =
    /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*(:\d{1,5})?\/[a-z0-9._/-]+(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}|@sha256:[0-9a-f]{64})$/;
/** An absolute etcd key path: letters, digits, '_', '.', '-' and '/', no trailing '/' (flannel joins `config` to it). */
const ETCD_PREFIX = /^(\/[A-Za-z0-9_.-]+)+$/;

type Block = [ipaddr.IPv4, number];

/** The block of `text` when it is an IPv4 CIDR written at its network address, else what is wrong. */
function parseBlock(text: string): Block | string {
    if (!ipaddr.IPv4.isValidCIDR(text) || !ipaddr.IPv4.isValidFourPartDecimal(text.split("/")[0])) return "is not an IPv4 CIDR";
    const parsed = ipaddr.IPv4.parseCIDR(text);
    const network = ipaddr.IPv4.networkAddressFromCIDR(text).toString();
    if (network !== parsed[0].toString()) return `has host bits set (the block is ${network}/${parsed[1]})`;
    return parsed;
}

/** `--iface` takes an interface name or an IPv4 address. */
function ifaceProblem(value: string): string | undefined {
    if (ipaddr.IPv4.isValidFourPartDecimal(value)) return hostAddressProblem(value);
    return interfaceNameProblem(value);
}

/** Checks `args` and derives the plan; `name` is the component's. */
export function planFlannel(name: string, args: FlannelNetworkArgs): FlannelPlanResult {
    const issues: Issue[] = [];
    const warnings: Issue[] = [];
    const issue = (path: string, message: string, hint: string) => issues.push({ path, message, hint });
    const warn = (path: string, message: string, hint: string) => warnings.push({ path, message, hint });

    const mode = args.mode ?? DEFAULT_FLANNEL_MODE;
    if (!FLANNEL_MODES.includes(mode)) issue("mode", `${JSON.stringify(mode)} is not a flannel mode`, `give one of ${FLANNEL_MODES.join(", ")}`);
    const systemd = mode === "systemd-kube" || mode === "systemd-etcd";
    const backend = args.backend ?? DEFAULT_FLANNEL_BACKEND;
    const known = FLANNEL_BACKENDS.includes(backend);
    if (!known) issue("backend", `${JSON.stringify(backend)} is not a backend this project configures`, `give one of ${FLANNEL_BACKENDS.join(", ")}`);
    const overhead = known ? BACKEND_OVERHEAD[backend] : 0;

    const directRouting = args.directRouting ?? false;
    if (directRouting && backend !== "vxlan") {
        issue(
            "directRouting",
            `DirectRouting is a vxlan setting; the ${backend} backend ignores it`,
            backend === "host-gw" ? "leave it unset: host-gw always routes directly" : "leave it unset, or use the vxlan backend",
        );
    }

    // The pod range and the node subnets.
    const podCidr = args.podCidr ?? DEFAULT_POD_CIDR;
    let pods: Block | undefined;
    const parsedPods = parseBlock(podCidr);
    if (typeof parsedPods === "string")
        issue("podCidr", `${JSON.stringify(podCidr)} ${parsedPods}`, `write it like ${DEFAULT_POD_CIDR}, equal to the controller-manager's cluster CIDR`);
    else {
        pods = parsedPods;
        const range = blockProblem(podCidr);
        if (range) issue("podCidr", `${podCidr} ${range}`, `use a private block, like ${DEFAULT_POD_CIDR}`);
    }
    const subnetLen = args.subnetLen ?? DEFAULT_SUBNET_LEN;
    if (!Number.isInteger(subnetLen) || subnetLen < 16 || subnetLen > 30) {
        issue("subnetLen", `${subnetLen} is not a prefix length from 16 to 30`, `give ${DEFAULT_SUBNET_LEN} (a /24 per node, 254 pods), or leave it unset`);
    } else if (pods && subnetLen < pods[1] + 2) {
        issue(
            "subnetLen",
            `/${subnetLen} subnets split podCidr ${podCidr} into fewer than four, which flannel refuses (the first is never handed out)`,
            `give a subnetLen of ${pods[1] + 2} or more, or a larger podCidr`,
        );
    } else if (subnetLen > 28) {
        warn("subnetLen", `/${subnetLen} leaves at most ${2 ** (32 - subnetLen) - 3} pod addresses per node`, "use /24 unless nodes are very many");
    }

    // MTU.
    let mtu: number | undefined;
    let backendMtu: number | undefined;
    if (args.mtu !== undefined) {
        const maxMtu = MTU_BOUNDS.maxHost - overhead;
        if (backend === "host-gw" || backend === "udp") {
            issue(
                "mtu",
                `the ${backend} backend has no MTU setting: the pods take the host interface's MTU${backend === "udp" ? " less 28" : ""}`,
                "leave it unset, and set the host interface's MTU instead",
            );
        } else if (!Number.isInteger(args.mtu) || args.mtu < MTU_BOUNDS.min || args.mtu > maxMtu) {
            issue(
                "mtu",
                `${args.mtu} is not a pod MTU from ${MTU_BOUNDS.min} to ${maxMtu} (${MTU_BOUNDS.maxHost} less ${backend}'s ${overhead} bytes of overhead)`,
                `give the host interface's MTU less ${overhead} (1500 - ${overhead} = ${1500 - overhead}), or leave it unset to let flanneld derive it`,
            );
        } else {
            mtu = args.mtu;
            backendMtu = args.mtu + overhead;
        }
    }

    // Interfaces and nodes.
    if (args.interface !== undefined) {
        const p = ifaceProblem(args.interface);
        if (p) issue("interface", `the value ${p}`, "give the interface name (eth0) or the IPv4 address the nodes reach each other on");
    }
    const nodes: FlannelNodePlan[] = [];
    const seen = new Set<string>();
    (args.nodes ?? []).forEach((n, i) => {
        const where = `nodes[${i}]`;
        if (!NODE_NAME.test(n.host.name))
            issue(`${where}.host.name`, `"${n.host.name}" is not a lower-case DNS name of at most 63 characters`, "use the Node's name");
        else if (seen.has(n.host.name)) issue(`${where}.host.name`, `${n.host.name} is listed more than once`, "list every node once");
        seen.add(n.host.name);
        const ap = hostAddressProblem(n.host.address);
        if (ap) issue(`${where}.host.address`, `${JSON.stringify(n.host.address)} ${ap}`, "give the IPv4 address the other nodes reach this one on");
        else if (pods && ipaddr.IPv4.parse(n.host.address).match(pods)) {
            issue(`${where}.host.address`, `${n.host.address} lies inside podCidr ${podCidr}`, "keep the hosts' network apart from podCidr");
        }
        if (n.interface !== undefined) {
            const p = ifaceProblem(n.interface);
            if (p) issue(`${where}.interface`, `the value ${p}`, "give the interface name (eth0) or this node's IPv4 address");
            else if (!systemd)
                issue(`${where}.interface`, "the DaemonSet gives every node the same flags", "set the Args' interface for all nodes, or use a systemd mode");
        }
        const iface = n.interface ?? args.interface;
        nodes.push(iface === undefined ? { name: n.host.name, address: n.host.address } : { name: n.host.name, address: n.host.address, interface: iface });
    });
    nodes.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (systemd && nodes.length === 0) issue("nodes", `mode ${mode} runs flanneld on the nodes, and none are given`, "list every node of the cluster");
    if (pods && Number.isInteger(subnetLen) && subnetLen >= pods[1]) {
        const available = 2 ** (subnetLen - pods[1]) - 1;
        if (nodes.length > available) {
            issue(
                "subnetLen",
                `${nodes.length} nodes need more than the ${available} /${subnetLen} subnets of ${podCidr} flannel hands out`,
                "give a larger podCidr or a longer subnetLen",
            );
        }
    }

    // Host subnets: host-gw needs one L2 segment.
    const subnets: Block[] = [];
    (args.hostSubnets ?? []).forEach((s, i) => {
        const b = parseBlock(s);
        if (typeof b === "string") issue(`hostSubnets[${i}]`, `${JSON.stringify(s)} ${b}`, "write it like 192.168.80.0/24");
        else subnets.push(b);
    });
    if (subnets.length > 0) {
        const used = new Set<number>();
        (args.nodes ?? []).forEach((n, i) => {
            if (!ipaddr.IPv4.isValidFourPartDecimal(n.host.address)) return;
            const a = ipaddr.IPv4.parse(n.host.address);
            const at = subnets.findIndex((b) => a.match(b));
            if (at < 0) issue(`nodes[${i}].host.address`, `${n.host.address} lies in none of hostSubnets`, "add its subnet to hostSubnets, or fix the address");
            else used.add(at);
        });
        if (backend === "host-gw" && used.size > 1) {
            issue(
                "backend",
                `host-gw routes pod traffic through the other nodes as next hops, so every node must be on one L2 segment; the nodes are in ${used.size} of hostSubnets`,
                "use vxlan with directRouting: true (direct routes inside a subnet, vxlan between them), or put every node in one subnet",
            );
        }
    }
    if (backend === "host-gw" && subnets.length === 0) {
        warn(
            "hostSubnets",
            "host-gw needs every node on one L2 segment, which neither this plan nor a host alone can check",
            "give hostSubnets to have it checked",
        );
    }
    if (backend === "udp") warn("backend", "the udp backend copies every packet through flanneld in userspace; upstream keeps it for debugging", "use vxlan");

    // Kubernetes API (systemd-kube).
    let endpoint: FlannelPlan["endpoint"];
    const clusterName = args.clusterName ?? DEFAULT_CLUSTER_NAME;
    if (!DNS_NAME.test(clusterName)) issue("clusterName", `"${clusterName}" is not a DNS name`, "use lower-case letters, digits, '-' and '.'");
    if (mode === "systemd-kube") {
        if (args.endpoint === undefined)
            issue("endpoint", "mode systemd-kube needs the apiservers' endpoint for flanneld's kubeconfig", "give the load balancer's VIP and port");
        else {
            const hp = hostNameProblem(args.endpoint.host);
            if (hp) issue("endpoint.host", `${JSON.stringify(args.endpoint.host)} ${hp}`, "give the load balancer's VIP or DNS name");
            const port = args.endpoint.port ?? DEFAULT_ENDPOINT_PORT;
            if (!Number.isInteger(port) || port < 1 || port > 65535)
                issue("endpoint.port", `${port} is not a TCP port`, `give a port in 1..65535, or leave it unset for ${DEFAULT_ENDPOINT_PORT}`);
            const host = args.endpoint.host.includes(":") ? `[${args.endpoint.host}]` : args.endpoint.host;
            endpoint = { host: args.endpoint.host, port, url: `https://${host}:${port}` };
        }
        if (args.ca === undefined)
            issue(
                "ca",
                "mode systemd-kube issues flanneld's client certificate from the cluster CA, and none is given",
                "give the cluster's certificate authority",
            );
    } else if (args.endpoint !== undefined) {
        warn("endpoint", `mode ${mode} does not use the apiservers' endpoint`, "leave it unset");
    }

    // etcd (systemd-etcd).
    let etcd: FlannelPlan["etcd"];
    const prefix = args.etcdPrefix ?? DEFAULT_ETCD_PREFIX;
    if (!ETCD_PREFIX.test(prefix))
        issue(
            "etcdPrefix",
            `${JSON.stringify(prefix)} is not an absolute etcd key path`,
            `write it like ${DEFAULT_ETCD_PREFIX}: '/'-separated letters, digits, '_', '.', '-', no trailing '/'`,
        );
    if (mode === "systemd-etcd") {
        if (args.etcd === undefined)
            issue("etcd", "mode systemd-etcd keeps flannel's config and leases in etcd, and no etcd is given", "give the members' client URLs and the etcd CA");
        else {
            if (args.etcd.endpoints.length === 0) issue("etcd.endpoints", "no member is given", "give every member's client URL, like https://10.0.0.11:2379");
            args.etcd.endpoints.forEach((url, i) => {
                const m = /^https:\/\/([^/:\s]+):(\d{1,5})$/.exec(url);
                if (!m)
                    issue(
                        `etcd.endpoints[${i}]`,
                        `${JSON.stringify(url)} is not an https://host:port URL`,
                        "give the member's client URL, like https://10.0.0.11:2379 (flanneld talks TLS to etcd)",
                    );
                else if (hostNameProblem(m[1])) issue(`etcd.endpoints[${i}]`, `the host ${hostNameProblem(m[1])}`, "give the member's address or DNS name");
            });
            if (new Set(args.etcd.endpoints).size !== args.etcd.endpoints.length)
                issue("etcd.endpoints", "a member is listed more than once", "list every member once");
            if (args.etcd.configHost === undefined)
                issue(
                    "etcd.configHost",
                    "no etcd member is given to write the network config from",
                    "give an etcd member's host (etcdctl and /etc/etcd/etcdctl.env)",
                );
            etcd = { endpoints: [...args.etcd.endpoints], prefix };
        }
    } else {
        if (args.etcd !== undefined) warn("etcd", `mode ${mode} keeps flannel's state in the Kubernetes API, not etcd`, "leave it unset");
        if (args.etcdPrefix !== undefined) warn("etcdPrefix", `mode ${mode} does not use etcd`, "leave it unset");
    }

    // Images (daemonset) and releases (systemd).
    const image = args.image ?? DEFAULT_FLANNEL_IMAGE;
    const cniPluginImage = args.cniPluginImage ?? DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE;
    for (const [path, ref, example] of [
        ["image", image, DEFAULT_FLANNEL_IMAGE],
        ["cniPluginImage", cniPluginImage, DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE],
    ] as const) {
        if (!IMAGE_REF.test(ref))
            issue(
                path,
                `${JSON.stringify(ref)} is not a fully qualified image reference`,
                `write registry/path:tag, like "${example}" (imported on every node: no registry is assumed)`,
            );
    }
    if (systemd) {
        if ((args.installed === undefined) === (args.release === undefined)) {
            issue(
                args.installed === undefined ? "release" : "installed",
                args.installed === undefined ? "neither `installed` nor `release` is given" : "both `installed` and `release` are given",
                "give the releases installed on the nodes (`installed`) or the ones to install (`release`), exactly one",
            );
        } else if (args.release !== undefined) {
            for (const binary of FLANNEL_BINARIES) {
                if (!args.release.some((r) => r.binaries.includes(binary)))
                    issue(
                        "release",
                        `no release holds ${binary}`,
                        `add ${binary} to the binaries of ${binary === "flanneld" ? "the flannel release" : "the flannel CNI plugin release"}`,
                    );
            }
        } else {
            for (const n of nodes) {
                const held = args.installed![n.name];
                if (held === undefined) {
                    issue(`installed.${n.name}`, `no releases are given for node ${n.name}`, "give the releases installed on every node");
                    continue;
                }
                for (const binary of FLANNEL_BINARIES) {
                    if (!held.some((r) => r.paths[binary] !== undefined))
                        issue(
                            `installed.${n.name}`,
                            `no release installed on ${n.name} holds ${binary}`,
                            `install ${binary === "flanneld" ? "the flannel release" : "the flannel CNI plugin release"} there`,
                        );
                }
            }
        }
    }
    const cniBinDir = args.cniBinDir ?? DEFAULT_CNI_BIN_DIR;
    const bp = hostPathProblem(cniBinDir);
    if (bp) issue("cniBinDir", `the path ${bp}`, `give an absolute path like ${DEFAULT_CNI_BIN_DIR}`);

    const nftables = args.nftables ?? false;
    if (nftables) warn("nftables", "flannel's nftables mode is experimental upstream", "use it together with kube-proxy's nftables mode, or leave it unset");

    const plan: FlannelPlan = {
        name,
        mode,
        backend,
        directRouting,
        ipMasq: args.ipMasq ?? true,
        podCidr,
        subnetLen,
        overhead,
        nftables,
        nodes,
        clusterName,
        image,
        cniPluginImage,
        cniBinDir,
    };
    if (mtu !== undefined) {
        plan.mtu = mtu;
        plan.backendMtu = backendMtu;
    }
    if (args.interface !== undefined) plan.interface = args.interface;
    if (endpoint) plan.endpoint = endpoint;
    if (etcd) plan.etcd = etcd;
    return { plan, issues, warnings };
}

/**
 * What a change of `mode` or `backend` on a live cluster does (pure; `before` is the deployed plan):
 * an issue for each change refused, with how to make it by hand; nothing for a rolling one.
 * - `daemonset` <-> `systemd-kube`: rolling. Both take each node's subnet from its `spec.podCIDR`,
 *   use the same device, rules, annotations and subnet file, so pods keep their addresses; the new
 *   flanneld starts beside the old one, which the update removes at its end.
 * - to or from `systemd-etcd`: refused. etcd leases are not the nodes' `spec.podCIDR`: every node's
 *   subnet moves and every running pod's address goes stale.
 * - `backend`: refused. Nodes on different backends cannot reach each other's pods, and flanneld
 *   does not remove the old backend's device or routes.
 * - `podCidr` or `subnetLen`: refused. Every subnet moves; the controller-manager's cluster CIDR
 *   cannot change under allocated nodes either.
 */
export function planFlannelChange(before: FlannelSettings, after: FlannelSettings): Issue[] {
    const issues: Issue[] = [];
    if (before.mode !== after.mode && (before.mode === "systemd-etcd" || after.mode === "systemd-etcd")) {
        issues.push({
            path: "mode",
            message: `changing mode ${before.mode} to ${after.mode} moves every node's pod subnet (etcd leases are not the nodes' spec.podCIDR), so running pods lose their network`,
            hint: "in a maintenance window: drain every node, change mode and deploy, delete /run/flannel/subnet.env and the cni0 bridge on each node, reboot it and uncordon; or keep the mode",
        });
    }
    if (before.backend !== after.backend) {
        issues.push({
            path: "backend",
            message: `changing backend ${before.backend} to ${after.backend} on a live cluster splits it: nodes on different backends cannot reach each other's pods, and flanneld leaves the old backend's device and routes behind`,
            hint: "in a maintenance window: stop flanneld on every node (or scale the DaemonSet away), reboot each node to drop the old device and routes, then change backend and deploy; or keep the backend",
        });
    }
    if (before.podCidr !== after.podCidr || before.subnetLen !== after.subnetLen) {
        issues.push({
            path: before.podCidr !== after.podCidr ? "podCidr" : "subnetLen",
            message: `changing the pod range ${before.podCidr} (/${before.subnetLen} per node) to ${after.podCidr} (/${after.subnetLen}) moves every node's subnet, and the controller-manager keeps the nodes' allocated podCIDRs`,
            hint: "build a new cluster with the new range, or keep it",
        });
    }
    return issues;
}
