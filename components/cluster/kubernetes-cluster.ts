import * as pulumi from "@pulumi/pulumi";
import { argsError, type Host } from "../host";
import { resolveReleasesByArch, type ClusterSpec } from "../cluster-spec";
import { planHosts } from "./host-needs";
import type { DeployContext } from "./deploy-context";
import { deployEtcd } from "./phase-etcd";
import { prepareHosts } from "./phase-hosts";
import { deployLoadBalancer } from "./phase-lb";
import { deployControlPlane } from "./phase-control-plane";
import { deployWorkers } from "./phase-workers";
import { clusterVersions } from "./versions-output";
import { deployNetwork } from "./phase-network";
import { deployAddons } from "./phase-addons";

/** Arguments of {@link KubernetesCluster}. */
export interface KubernetesClusterArgs {
    /** The validated cluster spec (from `parseClusterSpec` or `loadSpecFromPulumiConfig`). */
    spec: ClusterSpec;
    /** The spec's hosts with their SSH connections (from `clusterHosts`), one per `spec.hosts` entry. */
    hosts: Host[];
}

/**
 * The cluster from one spec, as the phases of a deploy: hosts prepared (each once, whatever its
 * roles, with each release installed once) → etcd → load balancer and control plane → the nodes
 * (containerd, kubelet, kube-proxy) → the pod network (flannel) → CoreDNS. Each phase waits for
 * the preparation of its own hosts only.
 */
export class KubernetesCluster extends pulumi.ComponentResource {
    /** Where kubeconfigs and kubelets reach the apiservers: https://<VIP or first control plane>:<port>; resolves once the apiservers answer /readyz through it. */
    readonly apiserverEndpoint: pulumi.Output<string>;
    /** An admin kubeconfig pointed at the endpoint (secret). */
    readonly adminKubeconfig: pulumi.Output<string>;
    /** etcd client URLs; resolve once every member is healthy. */
    readonly etcdEndpoints: pulumi.Output<string[]>;
    /** Expiry (RFC 3339) of every certificate, by "<authority or certificate>". */
    readonly certificateExpiry: pulumi.Output<Record<string, string>>;
    /** The Nodes' names (workers, and control-plane hosts when they register), each resolving once its kubelet is healthy. */
    readonly nodes: pulumi.Output<string[]>;
    /** The releases the stack runs, by `binaries` key (`kubernetesNode`: the kubelets'), known before anything runs. */
    readonly versions: pulumi.Output<Record<string, string>>;
    /** Each flannel host's pod subnet as flannel holds it, by host name; resolves once flannel runs there. Empty in flannel mode none. */
    readonly podSubnets: pulumi.Output<Record<string, string>>;
    /** What host preparation found on each host (modules, swap, firewall, clock), by host name. */
    readonly hostReports: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: KubernetesClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:KubernetesCluster", name, {}, opts);
        const { spec } = args;
        const hosts = new Map(args.hosts.map((h) => [h.name, h]));
        const releases = resolveReleasesByArch(spec);
        const planned = planHosts(spec, releases);
        const missing = spec.hosts
            .filter((h) => !hosts.has(h.name))
            .map((h, i) => ({ path: `hosts[${i}]`, message: `no connection given for host ${h.name}`, hint: "pass clusterHosts(spec, credentials)" }));
        if (missing.length + planned.issues.length > 0) throw argsError(this, "KubernetesCluster", name, [...missing, ...planned.issues]);

        const plans = prepareHosts(this, spec, hosts, planned.hosts);
        const at: DeployContext = { parent: this, name, spec, hosts, plans, releases };
        const { ca: etcdCa, etcd } = deployEtcd(at);
        deployLoadBalancer(at);
        const { ca, frontProxyCa, controlPlane } = deployControlPlane(at, { cluster: etcd, ca: etcdCa });
        const { nodes, drainerExpiry } = deployWorkers(at, { ca, controlPlane });
        const network = deployNetwork(at, { ca, etcdCa, etcd, controlPlane, nodes });
        if (nodes.size > 0) deployAddons(this, name, spec, controlPlane, [...[...nodes.values()].map((n) => n.ready), ...(network?.ready ?? [])]);

        // Through the VIP (without a load balancer, the first control plane) once the apiservers answer there.
        this.apiserverEndpoint = controlPlane.endpoint;
        this.adminKubeconfig = controlPlane.adminKubeconfig;
        this.etcdEndpoints = etcd.clientEndpoints;
        this.nodes = pulumi.all([...nodes.values()].map((n) => n.nodeName));
        const nodeCerts = pulumi.all(
            Object.fromEntries([
                ...[...nodes].flatMap(([host, n]) => [
                    [`node/${host}/kubelet-serving`, n.servingCertificateExpiry],
                    [`node/${host}/kube-proxy`, n.kubeProxyCertificateExpiry],
                ]),
                ...(drainerExpiry ? [["node-drainer", drainerExpiry]] : []),
            ]),
        );
        this.certificateExpiry = pulumi
            .all([
                etcdCa.validityEndTime,
                etcd.certificateExpiry,
                ca.validityEndTime,
                frontProxyCa.validityEndTime,
                controlPlane.certificateExpiry,
                nodeCerts,
                network?.certificateExpiry ?? {},
            ])
            .apply(([etcdCaEnd, etcdCerts, caEnd, frontProxyCaEnd, cpCerts, nodeEnds, flannelCerts]): Record<string, string> => ({
                "etcd-ca": etcdCaEnd,
                ...Object.fromEntries(Object.entries(etcdCerts).map(([k, v]) => [`etcd/${k}`, v])),
                ca: caEnd,
                "front-proxy-ca": frontProxyCaEnd,
                ...Object.fromEntries(Object.entries(cpCerts).map(([k, v]) => [`control-plane/${k}`, v])),
                ...(nodeEnds as Record<string, string>),
                ...Object.fromEntries(Object.entries(flannelCerts as Record<string, string>).map(([k, v]) => [`flannel/${k}`, v])),
            }));
        this.versions = pulumi.output(clusterVersions(spec));
        this.podSubnets = network?.subnets ?? pulumi.output<Record<string, string>>({});
        this.hostReports = pulumi.all(Object.fromEntries([...plans].map(([n, p]) => [n, p.prep.report])));
        this.registerOutputs({
            apiserverEndpoint: this.apiserverEndpoint,
            adminKubeconfig: this.adminKubeconfig,
            etcdEndpoints: this.etcdEndpoints,
            certificateExpiry: this.certificateExpiry,
            hostReports: this.hostReports,
            nodes: this.nodes,
            versions: this.versions,
            podSubnets: this.podSubnets,
        });
    }
}
