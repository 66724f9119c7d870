import * as k8s from "@pulumi/kubernetes";
import type * as pulumi from "@pulumi/pulumi";
import type { ControlPlane } from "../control-plane";
import { corednsObjects } from "../worker";
import type { ClusterSpec } from "../cluster-spec/schema";

/** Phase 7: CoreDNS through the control plane's provider, once the nodes and their pod network (`after`) are ready. */
export function deployAddons(
    parent: pulumi.Resource,
    name: string,
    spec: ClusterSpec,
    controlPlane: ControlPlane,
    after: pulumi.Resource[],
): k8s.apps.v1.Deployment {
    const objects = corednsObjects({ clusterDns: spec.network.clusterDns, clusterDomain: spec.network.clusterDomain });
    const inCluster = { parent, provider: controlPlane.provider, dependsOn: after };
    const dns = `${name}-coredns`;
    new k8s.core.v1.ServiceAccount(dns, objects.serviceAccount, inCluster);
    new k8s.rbac.v1.ClusterRole(dns, objects.clusterRole, inCluster);
    new k8s.rbac.v1.ClusterRoleBinding(dns, objects.clusterRoleBinding, inCluster);
    new k8s.core.v1.ConfigMap(dns, objects.configMap, inCluster);
    // Ready within minutes once the nodes hold its image; a missing image fails the run instead of hanging it.
    const coredns = new k8s.apps.v1.Deployment(dns, objects.deployment, { ...inCluster, customTimeouts: { create: "5m", update: "5m" } });
    new k8s.core.v1.Service(dns, objects.service, inCluster);
    return coredns;
}
