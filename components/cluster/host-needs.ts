import { controlPlaneHostNeeds } from "../control-plane/needs";
import { etcdHostNeeds } from "../etcd";
import { flannelHostNeeds } from "../flannel/needs";
import { DEFAULT_SYSCTL, mergeHostNeeds, type HostNeeds, type Issue, type MergedNeeds, type NeedsDeclaration, type ReleaseNeed } from "../host";
import { releaseNeed, type ReleaseFile, type ResolvedReleases } from "../cluster-spec/artifacts";
import type { ClusterSpec, HostSpec } from "../cluster-spec/schema";
import { lbHostNeeds } from "../lb";
import { workerHostNeeds } from "../worker/needs";
import { etcdArgs } from "./etcd-args";
import { hostsOf, loadBalancerArgs } from "./lb-args";

/**
 * What every cluster host gets, as the guides prepare every machine alike: curl (releases are
 * fetched with it), br_netfilter and overlay, bridged traffic through iptables and forwarding.
 */
const BASE_NEEDS: Partial<HostNeeds> = {
    packages: ["curl"],
    requiredModules: ["br_netfilter", "overlay"],
    sysctl: { ...DEFAULT_SYSCTL },
};

/**
 * What each role's component declares on a host, in phase order (etcd, control plane, node,
 * network, load balancer), so a port clash is reported at the setting of the later one.
 */
export function hostDeclarations(spec: ClusterSpec, host: HostSpec, releases?: ResolvedReleases): NeedsDeclaration[] {
    const roles = new Set(host.roles);
    const out: NeedsDeclaration[] = [{ owner: "host", path: `hosts`, needs: BASE_NEEDS }];
    if (roles.has("etcd")) out.push({ owner: "etcd", path: "binaries.etcd", needs: etcdHostNeeds(etcdArgs(spec, hostsOf(spec))) });
    if (roles.has("control-plane")) {
        out.push({
            owner: "control-plane",
            path: "network.apiserverPort",
            needs: controlPlaneHostNeeds({
                apiserverPort: spec.network.apiserverPort,
                apiserverPortPath: "network.apiserverPort",
                releases: needsOf(releases?.controlPlane),
            }),
        });
    }
    const node = roles.has("worker");
    if (node) {
        const runtime = releases && [...releases.node, releases.containerd, releases.runc, releases.cniPlugins, releases.docker];
        out.push({ owner: "worker", path: "network.proxyMode", needs: workerHostNeeds({ proxyMode: spec.network.proxyMode, releases: needsOf(runtime) }) });
    }
    const flannelNode = spec.flannel.mode === "daemonset" ? node : node || roles.has("control-plane");
    if (flannelNode) {
        const systemd = releases && spec.flannel.mode !== "daemonset" ? [releases.flannel, releases.flannelCniPlugin] : undefined;
        out.push({ owner: "flannel", path: "flannel.backend", needs: flannelHostNeeds({ backend: spec.flannel.backend, releases: needsOf(systemd) }) });
    }
    const lb = loadBalancerArgs(spec, hostsOf(spec));
    // The LB's only setting that can clash with a colocated service is its port.
    if (roles.has("lb") && lb) out.push({ owner: "load balancer", path: "loadBalancer.port", needs: lbHostNeeds(lb)[host.name] });
    return out;
}

/** The release needs of the files a role uses; none when releases are not resolved (validation). */
function needsOf(files: (ReleaseFile | undefined)[] | undefined): ReleaseNeed[] {
    return (files ?? []).filter((f): f is ReleaseFile => f !== undefined).map((f) => releaseNeed(f));
}

/**
 * The per-host plan of a spec: every host's merged needs, and every conflict between declarations
 * (pure). Without `releases` (validation, before checksums are known to be complete) the plan
 * holds no installs; ports, packages and kernel settings are the same.
 */
export function planHosts(spec: ClusterSpec, releases?: ResolvedReleases): { hosts: Map<string, MergedNeeds>; issues: Issue[] } {
    const hosts = new Map(spec.hosts.map((h) => [h.name, mergeHostNeeds(h.name, hostDeclarations(spec, h, releases))]));
    return { hosts, issues: [...hosts.values()].flatMap((m) => m.issues) };
}
