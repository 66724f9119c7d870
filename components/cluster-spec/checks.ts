import { controlPlaneVersionProblem, OLDEST_CONTROL_PLANE_MINOR } from "../control-plane/versions";
import { childPath, type SpecIssue } from "./errors";
import { broadcastAddress, canonicalCidr, contains, nthAddress, overlaps, parseCidr, size, type Cidr } from "./net";
import type { ClusterSpec, KubernetesSourceSpec, Role } from "./schema";
import { checkArchDigests, checkDigests, sourceUses } from "./digests";
import { flannelHosts, nodeHosts } from "./hosts";
import { maxPodsProblem, OLDEST_NODE_MINOR } from "../worker/plan";
import { planHosts } from "../cluster/host-needs";
import { flannelSpecIssues } from "../cluster/flannel-checks";
import {
    allowedNodeLag,
    compareVersions,
    containerdProblem,
    containerdTested,
    DOCKERSHIM_REMOVED_MINOR,
    NEWEST_KUBERNETES_MINOR,
    OLDEST_KUBERNETES_MINOR,
    OLDEST_RUNC,
    parseVersion,
    supportedEtcdLines,
} from "./versions";

/** What the cross-field checks know beyond the `cluster` object itself. */
export interface CheckContext {
    /** Whether the secret config key `k8s-binary:sshPrivateKey` is set. */
    privateKeySecret: boolean;
}

/** Findings of the cross-field checks: errors block, warnings inform. */
export interface CheckResult {
    errors: SpecIssue[];
    warnings: SpecIssue[];
}

/**
 * Every cross-field rule of a spec whose shape zod has accepted. Returns all findings at once;
 * pure (no I/O), so it runs before any resource is registered.
 */
export function checkSpec(spec: ClusterSpec, context: CheckContext): CheckResult {
    const errors: SpecIssue[] = [];
    const warnings: SpecIssue[] = [];
    const error = (path: string, message: string, hint: string) => errors.push({ path, message, hint });
    const warn = (path: string, message: string, hint: string) => warnings.push({ path, message, hint });

    const has = (role: Role) => spec.hosts.filter((h) => h.roles.includes(role));
    const etcd = has("etcd");
    const controlPlanes = has("control-plane");
    const workers = has("worker");
    // The hosts running a kubelet: the workers, and the control plane when it registers nodes.
    const nodes = nodeHosts(spec);
    const lbs = has("lb");
    // Hosts flannel runs on; every node host needs a pod subnet either way (flannel's or the plain bridge's).
    const flannelOn = flannelHosts(spec);
    const podNodeHosts = spec.flannel.mode === "none" ? nodes : flannelOn;

    // Topology.
    if (etcd.length === 0) error("hosts", "no host has the `etcd` role", "add `etcd` to the roles of one or three hosts");
    else if (etcd.length % 2 === 0)
        warn("hosts", `${etcd.length} etcd members tolerate no more failures than ${etcd.length - 1}`, "use an odd number of etcd hosts (1, 3 or 5)");
    spec.etcd.initialMembers?.forEach((name, i) => {
        if (!etcd.some((h) => h.name === name))
            error(
                childPath("etcd", "initialMembers", i),
                `\`${name}\` is not the name of a host with the \`etcd\` role`,
                `list only etcd hosts: ${etcd.map((h) => h.name).join(", ") || "none yet"}`,
            );
    });
    duplicates(spec.etcd.initialMembers ?? []).forEach(([i, first]) =>
        error(childPath("etcd", "initialMembers", i), `repeats initialMembers[${first}]`, "list each member once"),
    );
    if (controlPlanes.length === 0) error("hosts", "no host has the `control-plane` role", "add `control-plane` to the roles of at least one host");
    if (workers.length === 0)
        warn("hosts", "no host has the `worker` role: CoreDNS and the flannel DaemonSet have nowhere to run", "add `worker` to at least one host");

    spec.hosts.forEach((h, i) => {
        const seen = new Set<string>();
        h.roles.forEach((r, j) => {
            if (seen.has(r)) error(childPath("hosts", i, "roles", j), `repeats the role \`${r}\``, "list each role once");
            seen.add(r);
        });
        if (!h.roles.includes("worker") && (Object.keys(h.labels).length > 0 || h.taints.length > 0))
            error(
                childPath("hosts", i, Object.keys(h.labels).length > 0 ? "labels" : "taints"),
                "labels and taints apply to workers only",
                "add the `worker` role or remove them",
            );
    });
    spec.hosts.forEach((h, i) => {
        for (const key of Object.keys(h.labels))
            if (!kubeletMaySetLabel(key))
                error(
                    childPath("hosts", i, "labels", key),
                    "is a kubernetes.io label the kubelet may not set on its own node (NodeRestriction)",
                    "use a label outside kubernetes.io/k8s.io, or one under node.kubernetes.io/ or kubelet.kubernetes.io/",
                );
        duplicates(h.taints.map((t) => `${t.key}:${t.effect}`)).forEach(([j, first]) =>
            error(childPath("hosts", i, "taints", j), `repeats taints[${first}] (same key and effect)`, "keep one taint per key and effect"),
        );
    });
    duplicates(spec.hosts.map((h) => h.name)).forEach(([i, first]) =>
        error(childPath("hosts", i, "name"), `\`${spec.hosts[i].name}\` is also the name of hosts[${first}]`, "give every host a unique name"),
    );
    duplicates(spec.hosts.map((h) => h.address)).forEach(([i, first]) =>
        error(childPath("hosts", i, "address"), `${spec.hosts[i].address} is also the address of hosts[${first}]`, "give every host its own address"),
    );

    // Addressing.
    const net = spec.network;
    const hostSubnets = net.hostSubnets.map(parseCidr);
    const pods = parseCidr(net.podCidr);
    const services = parseCidr(net.serviceCidr);
    const blocks: { path: string; block: Cidr }[] = [
        ...hostSubnets.map((block, i) => ({ path: childPath("network", "hostSubnets", i), block })),
        { path: "network.podCidr", block: pods },
        { path: "network.serviceCidr", block: services },
    ];
    for (const { path, block } of blocks) {
        const canonical = canonicalCidr(block.text);
        if (canonical !== block.text) error(path, `${block.text} has host bits set`, `write the block as ${canonical}`);
    }
    for (let i = 0; i < blocks.length; i++)
        for (let j = i + 1; j < blocks.length; j++)
            if (overlaps(blocks[i].block, blocks[j].block))
                error(
                    blocks[j].path,
                    `${blocks[j].block.text} overlaps ${blocks[i].path} (${blocks[i].block.text})`,
                    "choose non-overlapping blocks for hosts, pods and services",
                );
    if (services.prefix < 12)
        error("network.serviceCidr", `/${services.prefix} is larger than kube-apiserver accepts`, "use a prefix of /12 or longer, e.g. 10.96.0.0/12");
    if (services.prefix > 28) error("network.serviceCidr", `/${services.prefix} leaves almost no Service addresses`, "use a larger block, e.g. /24 or /12");

    const subnetOf = (address: string) => hostSubnets.find((s) => contains(s, address));
    spec.hosts.forEach((h, i) => {
        const subnet = subnetOf(h.address);
        if (!subnet)
            error(
                childPath("hosts", i, "address"),
                `${h.address} is in none of network.hostSubnets (${net.hostSubnets.join(", ")})`,
                "fix the address or add its subnet to network.hostSubnets",
            );
        else if (isNetworkOrBroadcast(subnet, h.address))
            error(childPath("hosts", i, "address"), `${h.address} is the network or broadcast address of ${subnet.text}`, "use a usable address of the subnet");
    });

    const kubernetesServiceIp = nthAddress(services, 1);
    if (!contains(services, net.clusterDns))
        error(
            "network.clusterDns",
            `${net.clusterDns} is outside network.serviceCidr (${net.serviceCidr})`,
            `pick an address inside it, e.g. ${nthAddress(services, 10)}`,
        );
    else if (net.clusterDns === services.network.toString() || net.clusterDns === broadcastAddress(services))
        error(
            "network.clusterDns",
            `${net.clusterDns} is the network or broadcast address of ${net.serviceCidr}`,
            `pick another address, e.g. ${nthAddress(services, 10)}`,
        );
    else if (net.clusterDns === kubernetesServiceIp)
        error(
            "network.clusterDns",
            `${net.clusterDns} is the first address of ${net.serviceCidr}, taken by the \`kubernetes\` Service`,
            `pick another address, e.g. ${nthAddress(services, 10)}`,
        );

    // Two listeners on one port of a host, from the declarations the components make.
    errors.push(...planHosts(spec).issues);

    // Pod subnets per node.
    const f = spec.flannel;
    if (f.subnetLen <= pods.prefix)
        error(
            "flannel.subnetLen",
            `/${f.subnetLen} per node does not fit inside network.podCidr (${net.podCidr})`,
            `use a value larger than ${pods.prefix}, e.g. 24`,
        );
    else {
        const capacity = size(pods) / 2 ** (32 - f.subnetLen);
        const podNodes = podNodeHosts.length;
        if (podNodes > capacity)
            error(
                "network.podCidr",
                `${net.podCidr} holds ${capacity} node subnets of /${f.subnetLen}, fewer than the ${podNodes} nodes`,
                "use a larger podCidr or a longer flannel.subnetLen",
            );
    }

    // Load balancer.
    const lb = spec.loadBalancer;
    if (lbs.length > 0 && !lb)
        error(
            "loadBalancer",
            `hosts ${lbs.map((h) => h.name).join(", ")} have the \`lb\` role but no loadBalancer is configured`,
            "set loadBalancer.vip (and interface, virtualRouterId, port)",
        );
    if (lb) {
        const owner = spec.hosts.find((h) => h.address === lb.vip);
        const vipSubnet = subnetOf(lb.vip);
        if (vipSubnet && isNetworkOrBroadcast(vipSubnet, lb.vip))
            error("loadBalancer.vip", `${lb.vip} is the network or broadcast address of ${vipSubnet.text}`, "pick a usable address");
        if (owner) error("loadBalancer.vip", `${lb.vip} is the address of host ${owner.name}`, "use a free address for the VIP");
        if (lbs.length === 0) {
            warn(
                "loadBalancer",
                "no host has the `lb` role: the VIP must be served by a load balancer outside this stack",
                "add the `lb` role to two hosts to run nginx + keepalived on them",
            );
        } else {
            for (const h of lbs) {
                const subnet = subnetOf(h.address);
                if (subnet && !contains(subnet, lb.vip))
                    error(
                        "loadBalancer.vip",
                        `${lb.vip} is not in ${subnet.text}, the subnet of lb host ${h.name}`,
                        "pick a free address in the lb hosts' subnet",
                    );
            }
            if (lbs.length === 1)
                error(
                    "hosts",
                    `only ${lbs[0].name} has the \`lb\` role: keepalived needs a second host to fail over to`,
                    "give the `lb` role to two or more hosts, or remove it and the loadBalancer",
                );
        }
        if (contains(pods, lb.vip) || contains(services, lb.vip))
            error("loadBalancer.vip", `${lb.vip} lies in the pod or service block`, "pick an address in the lb hosts' subnet");
    } else if (controlPlanes.length > 1) {
        warn(
            "loadBalancer",
            `${controlPlanes.length} control-plane hosts but no load balancer: clients and kubelets use ${controlPlanes[0].name} only`,
            "add loadBalancer and two `lb` hosts for an HA endpoint",
        );
    }

    // Versions.
    const b = spec.binaries;
    // Suffixes never hide the numbers: a pre-release meets every check its plain version meets, and is refused besides.
    for (const [key, source] of Object.entries(b)) {
        const parsed = source && parseVersion(source.version);
        const allowed = key === "flannelCniPlugin" && /^flannel\d+$/.test(parsed?.suffix ?? "");
        if (parsed?.suffix !== undefined && !allowed)
            error(
                `binaries.${key}.version`,
                `${source!.version} is a pre-release or suffixed build, not a final release`,
                `use a final release such as ${parsed.major}.${parsed.minor}.${parsed.patch}`,
            );
    }
    const kube = parseVersion(b.kubernetes.version);
    const kubeOk = kube !== undefined;
    if (!kubeOk) error("binaries.kubernetes.version", `${b.kubernetes.version} is not a Kubernetes release`, "use a release such as 1.33.5");
    else if (kube.major !== 1 || kube.minor < OLDEST_KUBERNETES_MINOR)
        error(
            "binaries.kubernetes.version",
            `${b.kubernetes.version} is older than 1.${OLDEST_KUBERNETES_MINOR}, the oldest release this project configures`,
            `use 1.${OLDEST_KUBERNETES_MINOR} or newer`,
        );
    else if (controlPlanes.length > 0 && controlPlaneVersionProblem(kube.major, kube.minor)?.level === "error")
        // The control plane's own rule: the oldest release it configures.
        error(
            "binaries.kubernetes.version",
            `${b.kubernetes.version} ${controlPlaneVersionProblem(kube.major, kube.minor)!.message}`,
            `use 1.${OLDEST_CONTROL_PLANE_MINOR} or newer`,
        );
    else if (kube.minor > NEWEST_KUBERNETES_MINOR)
        warn(
            "binaries.kubernetes.version",
            `${b.kubernetes.version} is newer than 1.${NEWEST_KUBERNETES_MINOR}, the newest release this project was checked against`,
            "review the rendered flags before deploying",
        );

    // The kubelet's version: the one that talks to the container runtime.
    let kubelet = kube;
    if (kubeOk && b.kubernetesNode) {
        const node = parseVersion(b.kubernetesNode.version);
        kubelet = node;
        if (!node) error("binaries.kubernetesNode.version", `${b.kubernetesNode.version} is not a Kubernetes release`, "use a release such as 1.33.5");
        else if (compareVersions(node, kube) > 0)
            error(
                "binaries.kubernetesNode.version",
                `kubelet/kube-proxy ${b.kubernetesNode.version} are newer than the apiserver ${b.kubernetes.version}`,
                "upgrade the control plane first (binaries.kubernetes), then the nodes",
            );
        else if (kube.minor - node.minor > allowedNodeLag(kube.minor))
            error(
                "binaries.kubernetesNode.version",
                `kubelet/kube-proxy ${b.kubernetesNode.version} are ${kube.minor - node.minor} minors older than the apiserver ${b.kubernetes.version}; at most ${allowedNodeLag(kube.minor)} are supported`,
                "upgrade the nodes before the next control-plane minor",
            );
    }

    const etcdVersion = parseVersion(b.etcd.version);
    if (kubeOk && etcdVersion) {
        const line = `${etcdVersion.major}.${etcdVersion.minor}`;
        const lines = supportedEtcdLines(kube.minor);
        if (!lines.includes(line))
            error(
                "binaries.etcd.version",
                `etcd ${b.etcd.version} is not a supported etcd for Kubernetes 1.${kube.minor} (supported: ${lines.map((l) => `${l}.x`).join(", ")})`,
                `use an etcd ${lines[lines.length - 1]}.x release`,
            );
    }

    const maxPods = spec.nodes.maxPods !== undefined && maxPodsProblem(spec.nodes.maxPods, spec.flannel.subnetLen);
    if (maxPods) error("nodes.maxPods", maxPods, "lower nodes.maxPods, or give each node a larger block (a smaller flannel.subnetLen)");

    const containerd = b.containerd && parseVersion(b.containerd.version);
    // What WorkerNode configures: kubelets from 1.31 (failCgroupV1, nftables) on containerd 2.x.
    if (spec.containerRuntime === "containerd" && nodes.length > 0 && kubelet && kubelet.minor < OLDEST_NODE_MINOR)
        error(
            b.kubernetesNode ? "binaries.kubernetesNode.version" : "binaries.kubernetes.version",
            `the nodes' kubelets would run ${(b.kubernetesNode ?? b.kubernetes).version}, older than 1.${OLDEST_NODE_MINOR}, the oldest node this project configures`,
            `use Kubernetes 1.${OLDEST_NODE_MINOR} or newer for the nodes (or set controlPlane.registerNodes: false and list no worker)`,
        );
    if (spec.containerRuntime === "containerd" && nodes.length > 0 && containerd && containerd.major !== 2)
        error(
            "binaries.containerd.version",
            `containerd ${b.containerd!.version} is not a 2.x release; the nodes' containerd configuration is written for containerd 2.x (schema 3 or 4)`,
            "use containerd 2.2 or newer",
        );
    if (spec.containerRuntime === "containerd" && nodes.length > 0 && kubelet && containerd) {
        const problem = containerdProblem(kubelet.minor, containerd);
        const tested = containerdTested(kubelet.minor, containerd);
        if (problem)
            error(
                "binaries.containerd.version",
                `containerd ${b.containerd!.version}: ${problem}`,
                "use a containerd release listed for this Kubernetes minor in containerd's RELEASES.md",
            );
        else if (tested && !tested.tested)
            warn(
                "binaries.containerd.version",
                `containerd ${b.containerd!.version} is not among the releases containerd recommends for Kubernetes 1.${kubelet.minor} (${tested.lines.join(", ")})`,
                "use one of those releases",
            );
    }
    const runc = b.runc && parseVersion(b.runc.version);
    if (runc && compareVersions(runc, OLDEST_RUNC) < 0)
        error("binaries.runc.version", `runc ${b.runc!.version} predates 1.0.0, runc's first final release`, "use a current runc 1.x release");

    if (spec.containerRuntime === "docker") {
        // dockershim lived in kubelets before 1.24; the nodes this project configures run 1.31 or newer.
        if (nodes.length > 0)
            error(
                "containerRuntime",
                `docker needs dockershim, which left the kubelet in Kubernetes 1.${DOCKERSHIM_REMOVED_MINOR}; the nodes this project configures run 1.${OLDEST_NODE_MINOR} or newer`,
                "use `containerd` (the guides' docker with the systemd cgroup driver maps to containerd with SystemdCgroup, which the nodes get)",
            );
        if (nodes.length > 0 && !b.docker)
            error("binaries.docker", "is required when containerRuntime is `docker`", "add {version, sha256} of the Docker static release");
        if (b.containerd) warn("binaries.containerd", "is unused with the docker runtime (Docker ships its own containerd)", "remove it");
    } else if (nodes.length > 0) {
        for (const key of ["containerd", "runc"] as const)
            if (!b[key])
                error(
                    `binaries.${key}`,
                    `is required for the nodes' containerd runtime (the workers, and the control plane when registerNodes is on)`,
                    `add {version, sha256} of the ${key} release`,
                );
    }
    if (nodes.length > 0 && !b.cniPlugins)
        error(
            "binaries.cniPlugins",
            "is required for the nodes' pod networking (the workers, and the control plane when registerNodes is on)",
            "add {version, sha256} of the CNI plugins release",
        );

    errors.push(...checkDigests(spec));
    const perArch = checkArchDigests(spec);
    errors.push(...perArch.errors);
    warnings.push(...perArch.warnings);

    // Kubernetes checksums for the cluster's arch, needed by the roles of its hosts (other arches: checkArchDigests).
    const ownArch = sourceUses(spec).get(spec.arch);
    checkKubernetesSource("binaries.kubernetes", b.kubernetes, [...(ownArch?.get("kubernetes")?.binaries ?? [])], error);
    if (b.kubernetesNode) checkKubernetesSource("binaries.kubernetesNode", b.kubernetesNode, [...(ownArch?.get("kubernetesNode")?.binaries ?? [])], error);
    for (const [key, source] of Object.entries(b)) {
        if (source && source.baseUrl && source.localPath)
            error(`binaries.${key}`, "sets both baseUrl and localPath", "keep baseUrl to download from a mirror, or localPath to upload local files");
    }

    // Flannel.
    const systemd = f.mode === "systemd-kube" || f.mode === "systemd-etcd";
    if (f.directRouting && f.backend !== "vxlan")
        error("flannel.directRouting", `DirectRouting is a vxlan option; the backend is ${f.backend}`, "set flannel.backend to vxlan or remove directRouting");
    if (f.backend === "host-gw" || f.directRouting) {
        const subnets = new Set(flannelOn.map((h) => subnetOf(h.address)?.text));
        if (f.backend === "host-gw" && subnets.size > 1)
            error(
                "flannel.backend",
                `host-gw routes through the nodes as next hops, but the nodes span ${[...subnets].join(", ")}`,
                "use vxlan (optionally with directRouting) or put all nodes in one L2 subnet",
            );
    }
    if (f.backend === "udp") warn("flannel.backend", "the udp backend is meant for debugging and is slow", "use vxlan or host-gw");
    if (systemd) {
        if (!b.flannel)
            error(
                "binaries.flannel",
                `is required when flannel.mode is ${f.mode}`,
                "add {version, sha256} of the flanneld release, or use flannel.mode daemonset",
            );
        if (!b.flannelCniPlugin)
            error("binaries.flannelCniPlugin", `is required when flannel.mode is ${f.mode}`, "add {version, sha256} of the flannel CNI plugin release");
    } else {
        if (b.flannel) warn("binaries.flannel", `is unused in ${f.mode} mode`, "remove it, or choose a systemd flannel.mode");
        if (b.flannelCniPlugin) warn("binaries.flannelCniPlugin", `is unused in ${f.mode} mode`, "remove it, or choose a systemd flannel.mode");
    }
    if (f.mode === "daemonset" && spec.nodes.images.length > 0) {
        // Nodes given image archives are taken to reach no registry: the DaemonSet's images must be among them.
        for (const [key, ref] of [
            ["image", f.image],
            ["cniPluginImage", f.cniPluginImage],
        ] as const) {
            if (!spec.nodes.images.some((i) => i.ref === ref))
                warn(
                    `flannel.${key}`,
                    `${ref} is not among nodes.images, so every node pulls it from its registry`,
                    "add its archive to nodes.images (hosts without a registry never get flannel running), or ignore this where nodes reach the registry",
                );
        }
    }

    // PKI.
    if (spec.pki.certValidityHours > spec.pki.caValidityHours)
        error(
            "pki.certValidityHours",
            `${spec.pki.certValidityHours}h outlives the CAs (${spec.pki.caValidityHours}h)`,
            "shorten certValidityHours or lengthen caValidityHours",
        );

    // SSH credentials.
    const ssh = spec.ssh;
    const sources = [
        context.privateKeySecret && "the secret k8s-binary:sshPrivateKey",
        ssh.privateKeyPath && "ssh.privateKeyPath",
        ssh.agent && "ssh.agent",
    ].filter((s): s is string => typeof s === "string");
    if (sources.length === 0)
        error(
            "ssh",
            "no SSH credentials",
            "set the secret key (`pulumi config set --secret sshPrivateKey < ~/.ssh/id_ed25519`), ssh.privateKeyPath, or ssh.agent: true",
        );
    else if (sources.length > 1) error("ssh", `several SSH credentials: ${sources.join(", ")}`, "keep exactly one");
    if (ssh.agentSocketPath && !ssh.agent) error("ssh.agentSocketPath", "is set but ssh.agent is false", "set ssh.agent: true or remove agentSocketPath");
    if (ssh.sudo === false) {
        const unprivileged = spec.hosts.filter((h) => (h.sshUser ?? ssh.user) !== "root").map((h) => h.name);
        if (unprivileged.length > 0)
            error(
                "ssh.sudo",
                `is false, but hosts ${unprivileged.join(", ")} are reached as a user other than root, who cannot write /etc or run systemctl`,
                "remove ssh.sudo (sudo is on for non-root users) or log in as root",
            );
    }

    // FlannelNetwork's own checks, once the spec is sound otherwise (its Args derive from the rest).
    if (errors.length === 0) errors.push(...flannelSpecIssues(spec));

    return { errors, warnings };
}

function checkKubernetesSource(
    key: string,
    source: KubernetesSourceSpec,
    needed: string[],
    error: (path: string, message: string, hint: string) => void,
): void {
    if ((source.sha256 || source.sha256ByArch) && source.serverTarball) {
        error(key, `sets both ${source.sha256 ? "sha256" : "sha256ByArch"} (individual binaries) and serverTarball`, "keep one way of fetching the binaries");
        return;
    }
    if (source.serverTarball) return;
    if (!source.sha256) {
        if (needed.length > 0)
            error(
                `${key}.sha256`,
                "is required: every binary must be pinned",
                `add the sha256 of ${needed.join(", ")} (published as NAME.sha256 next to each binary), or serverTarball.sha512`,
            );
        return;
    }
    for (const name of needed)
        if (!source.sha256[name as keyof typeof source.sha256])
            error(
                childPath(key, "sha256", name),
                "is required: every binary must be pinned",
                `add the sha256 of ${name} ${source.version} for the cluster's arch (published as ${name}.sha256)`,
            );
}

/**
 * Whether a kubelet may register a label on its own node: the NodeRestriction admission plugin
 * rejects kubernetes.io / k8s.io labels except this list and the node.kubernetes.io/ and
 * kubelet.kubernetes.io/ prefixes (and the kubelet refuses to start with them).
 */
function kubeletMaySetLabel(key: string): boolean {
    const slash = key.indexOf("/");
    if (slash < 0) return true;
    const prefix = key.slice(0, slash);
    const restricted = (domain: string) => prefix === domain || prefix.endsWith(`.${domain}`);
    if (!restricted("kubernetes.io") && !restricted("k8s.io")) return true;
    if (restricted("kubelet.kubernetes.io") || restricted("node.kubernetes.io")) return true;
    return [
        "kubernetes.io/hostname",
        "kubernetes.io/arch",
        "kubernetes.io/os",
        "beta.kubernetes.io/instance-type",
        "beta.kubernetes.io/arch",
        "beta.kubernetes.io/os",
        "failure-domain.beta.kubernetes.io/region",
        "failure-domain.beta.kubernetes.io/zone",
        "topology.kubernetes.io/region",
        "topology.kubernetes.io/zone",
    ].includes(key);
}

/** Whether an address is its subnet's network or broadcast address (a /31 or /32 has neither, RFC 3021). */
function isNetworkOrBroadcast(subnet: Cidr, address: string): boolean {
    if (subnet.prefix >= 31) return false;
    return address === subnet.network.toString() || address === broadcastAddress(subnet);
}

/** Index pairs `[later, first]` of repeated values. */
function duplicates(values: string[]): [number, number][] {
    const first = new Map<string, number>();
    const out: [number, number][] = [];
    values.forEach((v, i) => {
        const at = first.get(v);
        if (at === undefined) first.set(v, i);
        else out.push([i, at]);
    });
    return out;
}
