import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import type { ControlPlane } from "../control-plane";
import { Certificate, renderKubeconfig, type CaKeyPair } from "../pki";
import { NODE_DRAINER_USER, nodeDrainerClusterRole, nodeDrainerClusterRoleBinding, nodeDrainerSlotRole, nodeDrainerSlotRoleBinding } from "../worker";
import type { ClusterSpec } from "../cluster-spec/schema";
import { upgradeSlotCount } from "../cluster-spec/node-upgrade";

/**
 * The identity nodes removed from the stack are drained with: a client certificate from the
 * cluster CA for {@link NODE_DRAINER_USER}, bound to a ClusterRole that can cordon, evict and
 * delete Nodes, and to a Role over the upgrade slots, and nothing more. The kubeconfig (a secret)
 * depends on the bindings, so a removal runs before they could go; `expiry` is the certificate's.
 */
export function nodeDrainerKubeconfig(
    parent: pulumi.Resource,
    name: string,
    spec: ClusterSpec,
    cluster: { ca: CaKeyPair; controlPlane: ControlPlane },
): { kubeconfig: pulumi.Output<string>; expiry: pulumi.Output<string> } {
    const id = `${name}-node-drainer`;
    const cert = new Certificate(
        id,
        {
            ca: cluster.ca,
            profile: "client",
            commonName: NODE_DRAINER_USER,
            algorithm: spec.pki.keyAlgorithm,
            validityHours: spec.pki.certValidityHours,
            rotation: String(spec.pki.rotation),
        },
        { parent },
    );
    const inCluster = { parent, provider: cluster.controlPlane.provider };
    const role = new k8s.rbac.v1.ClusterRole(id, nodeDrainerClusterRole(), inCluster);
    const binding = new k8s.rbac.v1.ClusterRoleBinding(id, nodeDrainerClusterRoleBinding(), { ...inCluster, dependsOn: [role] });
    const slotRole = new k8s.rbac.v1.Role(`${id}-upgrade-slots`, nodeDrainerSlotRole(upgradeSlotCount(spec)), inCluster);
    const slotBinding = new k8s.rbac.v1.RoleBinding(`${id}-upgrade-slots`, nodeDrainerSlotRoleBinding(), { ...inCluster, dependsOn: [slotRole] });
    const kubeconfig = pulumi.secret(
        pulumi
            .all([binding.metadata, slotBinding.metadata, cluster.controlPlane.endpoint, cluster.ca.certPem, cert.certPem, cert.privateKeyPem])
            .apply(([, , server, caPem, clientCertPem, clientKeyPem]) =>
                renderKubeconfig({ clusterName: spec.name, server, caPem, user: NODE_DRAINER_USER, clientCertPem, clientKeyPem }),
            ),
    );
    return { kubeconfig, expiry: cert.validityEndTime };
}
