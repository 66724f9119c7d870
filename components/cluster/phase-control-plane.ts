import type { DeployContext } from "./deploy-context";
import { ControlPlane } from "../control-plane";
import type { EtcdCluster } from "../etcd";
import { CertificateAuthority, type CaKeyPair } from "../pki";
import { controlPlaneArgs } from "./control-plane-args";

/**
 * Phase 4: the control plane on the control-plane hosts, running the Kubernetes release their
 * host plans installed, storing in the etcd cluster; its in-cluster objects go through the endpoint.
 */
export function deployControlPlane(at: DeployContext, etcd: { cluster: EtcdCluster; ca: CaKeyPair }) {
    const { parent, name, spec, hosts, plans, releases } = at;
    const authority = (suffix: string, commonName: string) =>
        new CertificateAuthority(
            `${name}-${suffix}`,
            {
                commonName,
                algorithm: spec.pki.keyAlgorithm,
                validityHours: spec.pki.caValidityHours,
                rotation: String(spec.pki.caRotation),
            },
            { parent },
        );
    const ca = authority("ca", `${spec.name}-ca`);
    const frontProxyCa = authority("front-proxy-ca", `${spec.name}-front-proxy-ca`);
    const args = controlPlaneArgs(spec, hosts);
    const installed = Object.fromEntries(
        spec.hosts
            .filter((h) => h.roles.includes("control-plane"))
            .map((h) => [h.name, releases.get(h.arch)!.controlPlane.map((f) => plans.get(h.name)!.release(f.name, f.version))]),
    );
    const controlPlane = new ControlPlane(
        `${name}-control-plane`,
        { ...args, installed, ca, frontProxyCa, etcd: { endpoints: etcd.cluster.clientEndpoints, ca: etcd.ca } },
        { parent, dependsOn: args.members.map((h) => plans.get(h.name)!.prep.ready) },
    );
    return { ca, frontProxyCa, controlPlane };
}
