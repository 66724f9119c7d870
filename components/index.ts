// The library's face: every component with its Args, the host primitives, the PKI, and the
// cluster spec (schema, loaders, checks).
export * from "./host";
export * from "./pki";
export * from "./etcd";
export * from "./lb";
export * from "./control-plane";
export * from "./worker";
export * from "./flannel";
export * from "./cluster";
export {
    SpecError,
    type SpecIssue,
    parseClusterSpec,
    loadStackFile,
    loadSpecFromPulumiConfig,
    clusterHosts,
    hostsWithRole,
    apiserverEndpoint,
    resolveReleases,
    resolveReleasesByArch,
    checkSpec,
    clusterSpecSchema,
    type ClusterSpec,
    type ClusterSpecInput,
    type HostSpec,
    type Arch,
    type Role,
    type SshSpec,
    type BinariesSpec,
    type NetworkSpec,
    type FlannelSpec,
    type LoadBalancerSpec,
    type EtcdSpec,
    type PkiSpec,
    type ControlPlaneSpec,
    type ParsedSpec,
    type StackSpec,
    type SshCredentials,
    type ReleaseFile,
    type ResolvedReleases,
} from "./cluster-spec";
