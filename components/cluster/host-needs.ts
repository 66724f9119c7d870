import { controlPlaneHostNeeds } from "../control-plane/needs";
import { etcdHostNeeds } from "../etcd";
import { flannelHostNeeds } from "../flannel/needs";
import { DEFAULT_SYSCTL, mergeHostNeeds, type HostNeeds, type Issue, type MergedNeeds, type NeedsDeclaration, type ReleaseNeed } from "../host";
import { releaseNeed, resolveReleases, type ReleaseFile, type ResolvedReleases } from "../cluster-spec/artifacts";
import type { Arch, ClusterSpec, HostSpec } from "../cluster-spec/schema";
import { isFlannelHost, isNodeHost } from "../cluster-spec/hosts";
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
function hostDeclarations(spec: ClusterSpec, host: HostSpec, releasesByArch?: Map<Arch, ResolvedReleases>): NeedsDeclaration[] {
    // The host's own arch's files: each release read here is one this host's roles use.
    const releases = releasesByArch?.get(host.arch) ?? (releasesByArch && resolveReleases(spec, host.arch));
    const roles = new Set(host.roles);
    const out: NeedsDeclaration[] = [{ owner: "host", path: `hosts`, needs: BASE_NEEDS }];
    // Validation (no releases) plans ports, not installs: etcd's release there is the cluster arch's, whose digest the schema requires.
    const etcdArch = releases ? host.arch : spec.arch;
    if (roles.has("etcd")) out.push({ owner: "etcd", path: "binaries.etcd", needs: etcdHostNeeds(etcdArgs(spec, hostsOf(spec), {}, etcdArch)) });
    const uses = roleReleases(spec, host);
    const files = (purposes: ReleasePurpose[]) => releases && purposes.flatMap((p) => releases[p]);
    if (roles.has("control-plane")) {
        out.push({
            owner: "control-plane",
            path: "network.apiserverPort",
            needs: controlPlaneHostNeeds({
                apiserverPort: spec.network.apiserverPort,
                apiserverPortPath: "network.apiserverPort",
                releases: needsOf(files(uses.controlPlane)),
            }),
        });
    }
    if (isNodeHost(spec, host))
        out.push({
            owner: "worker",
            path: "network.proxyMode",
            needs: workerHostNeeds({ proxyMode: spec.network.proxyMode, releases: needsOf(files(uses.worker)) }),
        });
    if (isFlannelHost(spec, host))
        out.push({
            owner: "flannel",
            path: "flannel.backend",
            needs: flannelHostNeeds({
                backend: spec.flannel.backend,
                releases: needsOf(files(uses.flannel)),
                ...(uses.flannel.length > 0 ? { ruleTool: spec.network.proxyMode === "nftables" ? ("nftables" as const) : ("iptables" as const) } : {}),
            }),
        });
    const lb = loadBalancerArgs(spec, hostsOf(spec));
    // The LB's only setting that can clash with a colocated service is its port.
    if (roles.has("lb") && lb) out.push({ owner: "load balancer", path: "loadBalancer.port", needs: lbHostNeeds(lb)[host.name] });
    return out;
}

/** A release file's purpose: a field of ResolvedReleases. */
export type ReleasePurpose = Exclude<keyof ResolvedReleases, "arch">;

/**
 * The releases each role's component installs on a host, by purpose: one list for the host plans
 * (which install them for the host's arch) and the spec checks (which require their digests for it).
 */
export function roleReleases(spec: ClusterSpec, host: HostSpec): Record<"etcd" | "controlPlane" | "worker" | "flannel", ReleasePurpose[]> {
    const roles = new Set(host.roles);
    const runtime: ReleasePurpose[] = spec.containerRuntime === "docker" ? ["docker"] : ["containerd", "runc"];
    return {
        etcd: roles.has("etcd") ? ["etcd"] : [],
        controlPlane: roles.has("control-plane") ? ["controlPlane"] : [],
        worker: isNodeHost(spec, host) ? ["node", ...runtime, "cniPlugins"] : [],
        flannel:
            isFlannelHost(spec, host) && (spec.flannel.mode === "systemd-kube" || spec.flannel.mode === "systemd-etcd") ? ["flannel", "flannelCniPlugin"] : [],
    };
}

/** The release needs of the files a role uses; none when releases are not resolved (validation). */
function needsOf(files: (ReleaseFile | undefined)[] | undefined): ReleaseNeed[] {
    return (files ?? []).filter((f): f is ReleaseFile => f !== undefined).map((f) => releaseNeed(f));
}

/**
 * The per-host plan of a spec: every host's merged needs, and every conflict between declarations
 * (pure). `releases` holds the resolved files by arch (`resolveReleasesByArch`); each host
 * installs its own arch's. Without them (validation, before checksums are known to be complete)
 * the plan holds no installs but etcd's; ports, packages and kernel settings are the same.
 */
export function planHosts(spec: ClusterSpec, releases?: Map<Arch, ResolvedReleases>): { hosts: Map<string, MergedNeeds>; issues: Issue[] } {
    const hosts = new Map(spec.hosts.map((h) => [h.name, mergeHostNeeds(h.name, hostDeclarations(spec, h, releases))]));
    return { hosts, issues: [...hosts.values()].flatMap((m) => m.issues) };
}
