import { planFlannel } from "../flannel/plan";
import type { Issue } from "../host";
import { flannelHosts } from "../cluster-spec/hosts";
import type { ClusterSpec } from "../cluster-spec/schema";
import { flannelArgs, flannelRunsUnderSystemd } from "./flannel-args";
import { hostsOf } from "./lb-args";

/** Stand-ins for what exists only while deploying: the authorities and the flannel releases. */
const STAND_IN_CA = { certPem: "", privateKeyPem: "" };
const STAND_IN_RELEASE = {
    name: "flannel",
    version: "0.0.0",
    url: "https://example.invalid/flannel.tar.gz",
    checksum: { algorithm: "sha256" as const, digest: "0".repeat(64) },
    archive: "tar.gz" as const,
    binaries: ["flanneld", "flannel"],
};

/** Where a FlannelNetwork Args path lives in a stack's spec. */
function specPath(spec: ClusterSpec, path: string): string {
    const node = /^nodes\[(\d+)\](.*)$/.exec(path);
    if (node) {
        const host = flannelHosts(spec)[Number(node[1])];
        const tail = node[2].replace(/^\.host\./, ".").replace(/^\.interface$/, "");
        return `hosts[${spec.hosts.indexOf(host)}]${tail}`;
    }
    const head = /^[A-Za-z]+/.exec(path)?.[0] ?? "";
    const rest = path.slice(head.length);
    const where: Record<string, string> = {
        podCidr: "network.podCidr",
        hostSubnets: "network.hostSubnets",
        nodes: "hosts",
        endpoint: "loadBalancer",
        clusterName: "name",
        etcd: "hosts",
        installed: "binaries",
        release: "binaries",
    };
    return where[head] !== undefined ? `${where[head]}${head === "podCidr" || head === "hostSubnets" ? rest : ""}` : `flannel.${path}`;
}

/**
 * FlannelNetwork's own checks of the Args a spec makes (pure), at the spec's paths, so that a
 * stack the component would refuse is refused before any resource exists (the network is the last
 * phase: refused there, the phases before it would already have run). Undefined-free: the
 * authorities and releases are stand-ins.
 */
export function flannelSpecIssues(spec: ClusterSpec): Issue[] {
    const args = flannelArgs(spec, hostsOf(spec));
    if (args === undefined) return [];
    const { issues } = planFlannel("flannel", {
        ...args,
        ca: STAND_IN_CA,
        etcd: args.etcd ? { ...args.etcd, ca: STAND_IN_CA } : undefined,
        ...(flannelRunsUnderSystemd(spec) ? { release: [STAND_IN_RELEASE] } : {}),
    });
    return issues.map((i) => ({ ...i, path: specPath(spec, i.path) }));
}
