import type * as pulumi from "@pulumi/pulumi";
import type { Host, HostPlan } from "../host";
import type { ResolvedReleases } from "../cluster-spec/artifacts";
import type { Arch, ClusterSpec } from "../cluster-spec/schema";

/** What every phase after host preparation deploys from: one value, built once by KubernetesCluster. */
export interface DeployContext {
    /** The cluster component: every phase's resources are its children. */
    parent: pulumi.Resource;
    /** The cluster's resource name, the prefix of the phases' names. */
    name: string;
    spec: ClusterSpec;
    /** Each host's connection, by host name. */
    hosts: Map<string, Host>;
    /** Each host's plan (preparation and installed releases), by host name. */
    plans: Map<string, HostPlan>;
    /** The releases resolved per architecture. */
    releases: Map<Arch, ResolvedReleases>;
}
