// The k8s-binary program: the stack's cluster spec, validated before any resource exists, and
// the cluster built from it.
import { clusterHosts, KubernetesCluster, loadSpecFromPulumiConfig } from "./components";

const { spec, credentials } = loadSpecFromPulumiConfig();
const cluster = new KubernetesCluster(spec.name, { spec, hosts: clusterHosts(spec, credentials) });

export const apiserverEndpoint = cluster.apiserverEndpoint;
export const adminKubeconfig = cluster.adminKubeconfig;
export const etcdEndpoints = cluster.etcdEndpoints;
export const certificateExpiry = cluster.certificateExpiry;
export const hostReports = cluster.hostReports;
export const nodes = cluster.nodes;
export const versions = cluster.versions;
export const podSubnets = cluster.podSubnets;
