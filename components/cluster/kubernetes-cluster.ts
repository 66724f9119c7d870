import * as pulumi from "@pulumi/pulumi";
import { EtcdCluster } from "../etcd";
import { Host, HostPrep } from "../host";
import { NginxKeepalivedLB } from "../lb";
import { CertificateAuthority } from "../pki";
import { apiserverEndpoint, ClusterSpec, hostsWithRole, resolveReleases } from "../spec";
import { hostNeeds } from "./host-needs";

/** Arguments of {@link KubernetesCluster}. */
export interface KubernetesClusterArgs {
    /** The validated cluster spec (from `parseClusterSpec` or `loadSpecFromPulumiConfig`). */
    spec: ClusterSpec;
    /** The spec's hosts with their SSH connections (from `clusterHosts`), one per `spec.hosts` entry. */
    hosts: Host[];
}

/**
 * The cluster from one spec: every host prepared once whatever its roles, then the etcd cluster
 * on the etcd hosts and the nginx + keepalived load balancer on the lb hosts, each waiting for
 * the preparation of its own hosts only.
 */
export class KubernetesCluster extends pulumi.ComponentResource {
    /** Where kubeconfigs and kubelets reach the apiservers: https://<VIP or first control plane>:<port>. */
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
        const hostByName = new Map(args.hosts.map((h) => [h.name, h]));
        const missing = spec.hosts.filter((h) => !hostByName.has(h.name)).map((h) => h.name);
        if (missing.length > 0) throw new Error(`KubernetesCluster ${name}: no connection given for hosts ${missing.join(", ")}`);
        const releases = resolveReleases(spec);

        const preps = new Map(spec.hosts.map((h) => {
            const needs = hostNeeds(spec, h);
            return [h.name, new HostPrep(`${h.name}-prep`, {
                host: hostByName.get(h.name)!,
                hostsEntries: spec.hosts.map((e) => ({ name: e.name, address: e.address })),
                openPorts: needs.openPorts,
                optionalModules: needs.optionalModules,
                packages: needs.packages,
            }, { parent: this })];
        }));
        const prepsOf = (names: string[]) => names.map((n) => preps.get(n)!);

        const etcdHosts = hostsWithRole(spec, "etcd").map((h) => hostByName.get(h.name)!);
        const etcdCa = new CertificateAuthority(`${name}-etcd-ca`, {
            commonName: `${spec.name}-etcd-ca`,
            algorithm: spec.pki.keyAlgorithm,
            validityHours: spec.pki.caValidityHours,
            rotation: String(spec.pki.caRotation),
        }, { parent: this });
        const etcdRelease = releases.etcd;
        const etcd = new EtcdCluster(`${name}-etcd`, {
            members: etcdHosts,
            initialMembers: spec.etcd.initialMembers,
            backup: spec.etcd.backup,
            ca: etcdCa,
            release: { version: etcdRelease.version, url: etcdRelease.url, localPath: etcdRelease.localPath, sha256: etcdRelease.sha256! },
            network: spec.network.hostSubnets.length === 1 ? spec.network.hostSubnets[0] : undefined,
            certificateValidityHours: spec.pki.certValidityHours,
            certificateRotation: Object.fromEntries(etcdHosts.map((h) => [h.name, String(spec.pki.rotation)])),
            clientCertificateRotation: String(spec.pki.rotation),
        }, { parent: this, dependsOn: prepsOf(etcdHosts.map((h) => h.name)) });

        const lbHosts = hostsWithRole(spec, "lb");
        if (spec.loadBalancer && lbHosts.length > 0) {
            const lb = spec.loadBalancer;
            new NginxKeepalivedLB(`${name}-lb`, {
                hosts: lbHosts.map((h) => ({ host: hostByName.get(h.name)! })),
                vip: lb.vip,
                interface: lb.interface,
                virtualRouterId: lb.virtualRouterId,
                backends: hostsWithRole(spec, "control-plane").map((h) => `${h.address}:${spec.network.apiserverPort}`),
                listenPort: lb.port,
            }, { parent: this, dependsOn: prepsOf(lbHosts.map((h) => h.name)) });
        }

        this.apiserverEndpoint = pulumi.output(apiserverEndpoint(spec).url);
        this.etcdEndpoints = etcd.clientEndpoints;
        this.certificateExpiry = pulumi.all([etcdCa.validityEndTime, etcd.certificateExpiry]).apply(([ca, certs]): Record<string, string> => ({
            "etcd-ca": ca,
            ...Object.fromEntries(Object.entries(certs).map(([k, v]) => [`etcd/${k}`, v])),
        }));
        this.hostReports = pulumi.all(Object.fromEntries([...preps].map(([n, p]) => [n, p.report])));
        this.registerOutputs({
            apiserverEndpoint: this.apiserverEndpoint, etcdEndpoints: this.etcdEndpoints,
            certificateExpiry: this.certificateExpiry, hostReports: this.hostReports,
        });
    }
}
