import * as pulumi from "@pulumi/pulumi";
import { argsError, type Host } from "../host";
import { apiserverEndpoint, resolveReleasesByArch, type ClusterSpec } from "../cluster-spec";
import { planHosts } from "./host-needs";
import { deployEtcd } from "./phase-etcd";
import { prepareHosts } from "./phase-hosts";
import { deployLoadBalancer } from "./phase-lb";

/** Arguments of {@link KubernetesCluster}. */
export interface KubernetesClusterArgs {
    /** The validated cluster spec (from `parseClusterSpec` or `loadSpecFromPulumiConfig`). */
    spec: ClusterSpec;
    /** The spec's hosts with their SSH connections (from `clusterHosts`), one per `spec.hosts` entry. */
    hosts: Host[];
}

/**
 * The cluster from one spec, as the phases of a deploy: hosts prepared (each once, whatever its
 * roles, with each release installed once) → etcd → load balancer. Each phase waits for the
 * preparation of its own hosts only.
 */
export class KubernetesCluster extends pulumi.ComponentResource {
    /** Where kubeconfigs and kubelets reach the apiservers: https://<VIP or first control plane>:<port>; with a VIP, resolves once it answers. */
    readonly apiserverEndpoint: pulumi.Output<string>;
    /** etcd client URLs; resolve once every member is healthy. */
    readonly etcdEndpoints: pulumi.Output<string[]>;
    /** Expiry (RFC 3339) of every certificate, by "<authority or certificate>". */
    readonly certificateExpiry: pulumi.Output<Record<string, string>>;
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
        const { ca: etcdCa, etcd } = deployEtcd(this, name, spec, hosts, plans);
        const lb = deployLoadBalancer(this, name, spec, hosts, plans);

        // Through the VIP once it answers; without a load balancer, the first control plane.
        this.apiserverEndpoint = lb ? lb.endpoint.url : pulumi.output(apiserverEndpoint(spec).url);
        this.etcdEndpoints = etcd.clientEndpoints;
        this.certificateExpiry = pulumi.all([etcdCa.validityEndTime, etcd.certificateExpiry]).apply(([ca, certs]): Record<string, string> => ({
            "etcd-ca": ca,
            ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`etcd/${k}`, v])),
        }));
        this.hostReports = pulumi.all(Object.fromEntries([...plans].map(([n, p]) => [n, p.prep.report])));
        this.registerOutputs({
            apiserverEndpoint: this.apiserverEndpoint,
            etcdEndpoints: this.etcdEndpoints,
            certificateExpiry: this.certificateExpiry,
            hostReports: this.hostReports,
        });
    }
}
