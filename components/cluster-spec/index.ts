export * from "./schema";
export { SpecError, formatIssue, formatPath, type SpecIssue } from "./errors";
export { checkSpec, type CheckContext, type CheckResult } from "./checks";
export {
    CLUSTER_KEY,
    CONFIG_NAMESPACE,
    PRIVATE_KEY_KEY,
    loadSpecFromPulumiConfig,
    loadStackFile,
    parseClusterSpec,
    type ParseOptions,
    type ParsedSpec,
    type SshCredentials,
    type StackSpec,
} from "./load";
export {
    CNI_PLUGINS,
    CONTROL_PLANE_BINARIES,
    NODE_BINARIES,
    OFFICIAL_BASE_URLS,
    controlPlaneBinaries,
    nodeBinaries,
    kubernetesFiles,
    resolveReleases,
    resolveReleasesByArch,
    type ReleaseFile,
    type ResolvedReleases,
} from "./artifacts";
export { apiserverEndpoint, clusterHosts, hostsWithRole, isNodeHost, nodeHosts } from "./hosts";
export { allowedNodeLag, parseVersion, supportedEtcdLines, type Version } from "./versions";
