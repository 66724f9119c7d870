import type * as pulumi from "@pulumi/pulumi";
import type { Host } from "../host/connection";
import type { InstalledRelease } from "../host/binary-release";
import type { ReleaseNeed } from "../host/needs";
import type { CaKeyPair, KeyAlgorithm } from "../pki";

/** Pod block split into node pod CIDRs when the Args give none. */
export const DEFAULT_POD_CIDR = "10.244.0.0/16";
/** Service ClusterIP block when the Args give none. */
export const DEFAULT_SERVICE_CIDR = "10.96.0.0/12";
/** Cluster DNS domain when the Args give none. */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";
/** Prefix length of each node's pod CIDR (flannel's subnet per node). */
export const DEFAULT_NODE_CIDR_MASK_SIZE = 24;
/** Lifetime of certificates the controller-manager signs for kubelets (CSR signing), in hours: one year, as kubeadm. */
export const DEFAULT_CSR_SIGNING_HOURS = 8760;
/** Lifetime of a bootstrap token, in hours: one day, as kubeadm's default. */
export const DEFAULT_BOOTSTRAP_TOKEN_TTL_HOURS = 24;
/** Audit log rotation defaults: days kept, files kept, size of one file in MiB. */
export const DEFAULT_AUDIT_LOG = { maxAgeDays: 30, maxBackups: 10, maxSizeMegabytes: 100 } as const;
/** How long one apiserver may take to answer /readyz after a (re)start, in seconds. */
export const DEFAULT_READY_TIMEOUT_SECONDS = 300;

/** Where the apiservers are reached from outside their hosts: the load balancer's VIP and port, or one apiserver. */
export interface ControlPlaneEndpointArgs {
    /** IP address or DNS name (the VIP). It is a name on every apiserver's serving certificate, by construction. */
    host: string;
    /** Port. */
    port: number;
}

/** The etcd cluster the apiservers store their objects in. */
export interface ControlPlaneEtcdArgs {
    /** Client URLs of every member (https://address:2379), in member order: all go into `--etcd-servers`. */
    endpoints: pulumi.Input<string[]>;
    /** The etcd certificate authority: the component issues the apiservers' etcd client certificate from it, and trusts it for the members. */
    ca: CaKeyPair;
}

/** Encryption at rest of Secrets (secretbox), with keys generated and kept as Pulumi secrets. */
export interface EncryptionArgs {
    /**
     * Names of the keys, newest first: the first encrypts new writes, the others still decrypt.
     * Each name gets a 32-byte random key. To rotate: put a new name first, `up`, re-write every
     * Secret (`kubectl get secrets -A -o json | kubectl replace -f -`), then drop the old name and
     * `up` again (docs/control-plane.md). Default: ["key1"].
     */
    keyNames?: string[];
}

/** The apiservers' audit log. */
export interface AuditArgs {
    /** Write an audit log. Default: true. */
    enabled?: boolean;
    /** The audit Policy (audit.k8s.io/v1) as YAML text. Default: metadata of every request, without the stage "RequestReceived" (docs/control-plane.md). */
    policy?: string;
    /** Days an audit file is kept. Default: 30. */
    maxAgeDays?: number;
    /** Rotated audit files kept. Default: 10. */
    maxBackups?: number;
    /** Size in MiB at which the audit file is rotated. Default: 100. */
    maxSizeMegabytes?: number;
}

/** The bootstrap token kubelets join with (TLS bootstrapping). */
export interface BootstrapTokenArgs {
    /**
     * Lifetime in hours from the token's creation; 0 for a token that never expires. An expired
     * token keeps the joined nodes working (they hold certificates) but lets no new node join:
     * change `rotation` to issue a new one. Default: 24.
     */
    ttlHours?: number;
    /** Rotation lever: change this value (e.g. to a date) to issue a new token; the old one is deleted. Default: unset. */
    rotation?: string;
}

/** Arguments of {@link ControlPlane}. */
export interface ControlPlaneArgs {
    /** The control-plane hosts, each with its SSH connection. Host names become certificate names and node names. */
    members: Host[];
    /** Cluster name in the kubeconfigs the component writes. Default: "kubernetes". */
    clusterName?: string;
    /** Kubernetes version the binaries are, e.g. "1.37.2": decides which flags are written. */
    version: string;
    /**
     * The releases already installed on each member's host, by member name (the cluster's one
     * install per host): kube-apiserver, kube-controller-manager and kube-scheduler are taken from
     * them. A changed checksum restarts that member's services in turn. Give this or `release`.
     */
    installed?: Record<string, InstalledRelease[]>;
    /** The releases to install on every member when none are handed over (standalone use). Give this or `installed`. */
    release?: ReleaseNeed[];
    /** Where clients and kubelets reach the apiservers (the load balancer's VIP). */
    endpoint: ControlPlaneEndpointArgs;
    /** The etcd cluster. */
    etcd: ControlPlaneEtcdArgs;
    /** Port every kube-apiserver listens on. Default: 6443. */
    apiserverPort?: number;
    /** Service ClusterIP block; its first address is the `kubernetes` Service (a name on the serving certificates). Default: {@link DEFAULT_SERVICE_CIDR}. */
    serviceCidr?: string;
    /** Pod block the controller-manager splits into node pod CIDRs. Default: {@link DEFAULT_POD_CIDR}. */
    podCidr?: string;
    /** Prefix length of each node's pod CIDR. Default: {@link DEFAULT_NODE_CIDR_MASK_SIZE}. */
    nodeCidrMaskSize?: number;
    /** Cluster DNS domain: the service-account issuer and the serving certificates' names use it. Default: {@link DEFAULT_CLUSTER_DOMAIN}. */
    clusterDomain?: string;
    /** Extra names (DNS names or IP addresses) on every apiserver's serving certificate, e.g. a public DNS name. Default: none. */
    extraSans?: string[];
    /** The cluster certificate authority (it signs kubelet certificates too). Default: a new authority created by the component. */
    ca?: CaKeyPair;
    /** The front-proxy certificate authority (aggregated APIs). Default: a new authority created by the component. */
    frontProxyCa?: CaKeyPair;
    /** Key algorithm of every key the component issues. Default: "ECDSA" (P-256). */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of the certificates the component issues, in hours. Default: 8760 (one year). */
    certificateValidityHours?: number;
    /** Rotation lever of every certificate the component issues (not its authorities): change it to re-issue them all; the services restart one host at a time. Default: unset. */
    certificateRotation?: string;
    /** Lifetime of the kubelet certificates the controller-manager signs, in hours. Default: {@link DEFAULT_CSR_SIGNING_HOURS}. */
    csrSigningHours?: number;
    /** Encryption at rest of Secrets. Default: on, one key. */
    encryption?: EncryptionArgs;
    /** The audit log. Default: on, with the defaults of {@link AuditArgs}. */
    audit?: AuditArgs;
    /** The kubelets' bootstrap token. Default: the defaults of {@link BootstrapTokenArgs}. */
    bootstrapToken?: BootstrapTokenArgs;
    /** Extra flags by name without dashes, per binary, e.g. `{ apiserver: { "max-requests-inflight": "800" } }`; a flag the component sets itself is refused. Default: none. */
    extraFlags?: {
        apiserver?: Record<string, string>;
        controllerManager?: Record<string, string>;
        scheduler?: Record<string, string>;
    };
    /** How long one apiserver may take to answer /readyz after a (re)start, in seconds. Default: {@link DEFAULT_READY_TIMEOUT_SECONDS}. */
    readyTimeoutSeconds?: number;
}
