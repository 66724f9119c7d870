import type { DeployContext } from "./deploy-context";
import { EtcdCluster } from "../etcd";
import { CertificateAuthority } from "../pki";
import { etcdArgs } from "./etcd-args";

/** Phase 2: the etcd cluster on the etcd hosts, running the release their host plans installed. */
export function deployEtcd({ parent, name, spec, hosts, plans }: DeployContext) {
    const ca = new CertificateAuthority(
        `${name}-etcd-ca`,
        {
            commonName: `${spec.name}-etcd-ca`,
            algorithm: spec.pki.keyAlgorithm,
            validityHours: spec.pki.caValidityHours,
            rotation: String(spec.pki.caRotation),
        },
        { parent },
    );
    // Each member runs its own host's install (of the host's arch); the release names the version, from a member's arch.
    const base = etcdArgs(spec, hosts, {}, spec.hosts.find((h) => h.roles.includes("etcd"))?.arch);
    const installed = Object.fromEntries(base.members.map((m) => [m.name, plans.get(m.name)!.release("etcd", base.release.version!)]));
    const etcd = new EtcdCluster(`${name}-etcd`, { ...base, ca, installed }, { parent, dependsOn: base.members.map((m) => plans.get(m.name)!.prep.ready) });
    return { ca, etcd };
}
