import { z } from "zod";
import {
    blockProblem,
    calendarProblem,
    hostAddressProblem,
    hostNameProblem,
    interfaceNameProblem,
    localPathProblem,
    userNameProblem,
} from "../host/value-checks";
import { isIPv4, isIPv4Cidr } from "./net";
import { maxUnavailableProblem } from "./node-upgrade";
import { DEFAULT_APISERVER_PORT } from "../control-plane/needs";
import { LB_DEFAULTS } from "../lb/args";
import { DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE, DEFAULT_FLANNEL_IMAGE } from "../flannel/args";
import { DEFAULT_CA_VALIDITY_HOURS, DEFAULT_CERT_VALIDITY_HOURS } from "../pki/profiles";

// Every field says what it is, its default, and how to write it: these descriptions are also the
// "how to fix" hint of a validation error at that field.

const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const dnsName = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const labelName = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;

/** A string passing one of the shared value checks (components/host/value-checks.ts), which the components run too. */
const checked = (problem: (value: string) => string | undefined) =>
    z.string().superRefine((value, ctx) => {
        const found = problem(value);
        if (found) ctx.addIssue({ code: "custom", message: found });
    });

const ipv4 = z.string().refine(isIPv4, "is not an IPv4 address in dotted-quad form");
/** An address hosts reach each other on: IPv4, and not loopback, link-local, multicast or reserved. */
const hostAddress = checked(hostAddressProblem);
const cidr = checked((text) => (isIPv4Cidr(text) ? blockProblem(text) : "is not an IPv4 block in the form A.B.C.D/N"));
const interfaceName = checked(interfaceNameProblem);
const userName = checked(userNameProblem);
const localPath = checked(localPathProblem);
const port = z.number().int().min(1).max(65535);
const hex = (length: number, algorithm: string) =>
    z
        .string()
        .regex(new RegExp(`^[0-9a-fA-F]{${length}}$`), `is not a ${algorithm} digest (${length} hexadecimal characters)`)
        .transform((s) => s.toLowerCase());
const sha256 = hex(64, "sha256");
const sha512 = hex(128, "sha512");
/** `1.33.5`, `v1.33.5` or `1.7.1-flannel1`; stored without the leading `v`. */
const version = z
    .string()
    .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.]+)?$/, "is not a release version such as 1.33.5")
    .transform((s) => s.replace(/^v/, ""));
const sshHostKey = z
    .string()
    .regex(
        /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*( [A-Za-z0-9@._:+=,/-]+)*$/,
        "is not an SSH public host key (type, key and an optional plain comment)",
    )
    .describe(
        "The host's public SSH key as `ssh-keyscan` prints it or its .pub file holds, e.g. `ssh-ed25519 AAAA... root@node1` (the comment is optional): pins the key so a changed host key fails the connection. Default: not checked.",
    );

/** Far beyond a real cluster (Kubernetes tests 5,000 nodes); a larger list is a generated mistake. */
const MAX_HOSTS = 10_000;

/** An OCI image reference: registry/repository[:tag][@sha256:digest]. */
const imageReference = z
    .string()
    .regex(
        /^[a-z0-9]+([._-][a-z0-9]+)*(:[0-9]+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/,
        "is not an image reference such as registry/repository:tag",
    );

/** A CPU architecture of release files. */
export const ARCHES = ["amd64", "arm64"] as const;
export type Arch = (typeof ARCHES)[number];
const archSchema = z.enum(ARCHES);

/** What a host does in the cluster; one host may hold several roles (seed 001 colocates etcd with masters and workers). */
export const roleSchema = z.enum(["etcd", "control-plane", "worker", "lb"]).describe("One of `etcd`, `control-plane`, `worker`, `lb`.");
export type Role = z.output<typeof roleSchema>;

const labelKey = z.string().refine((key) => {
    const parts = key.split("/");
    if (parts.length > 2) return false;
    const name = parts[parts.length - 1];
    const prefix = parts.length === 2 ? parts[0] : undefined;
    return labelName.test(name) && (prefix === undefined || dnsName.test(prefix));
}, "is not a Kubernetes label key ([prefix/]name, name of at most 63 characters)");

export const taintSchema = z
    .strictObject({
        key: labelKey.describe("Taint key, a label-style key such as `dedicated` or `example.com/gpu`. Required."),
        value: z
            .string()
            .regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "is not a label-style value (at most 63 characters)")
            .optional()
            .describe("Taint value. Default: none."),
        effect: z.enum(["NoSchedule", "PreferNoSchedule", "NoExecute"]).describe("One of `NoSchedule`, `PreferNoSchedule`, `NoExecute`. Required."),
    })
    .describe("A taint registered with the kubelet: `{key, value?, effect}`.");
export type TaintSpec = z.output<typeof taintSchema>;

export const hostSchema = z
    .strictObject({
        name: z
            .string()
            .regex(dnsLabel, "is not a DNS label (lowercase letters, digits and '-', at most 63 characters)")
            .describe("Unique host name, a DNS label such as `master01`: becomes the hostname, the node name and part of every resource name. Required."),
        address: hostAddress.describe(
            "The host's IPv4 address inside one of `network.hostSubnets`, used for SSH and by the other hosts (not loopback, link-local, multicast or reserved; the port goes in `sshPort`, the user in `sshUser`). Required, unique.",
        ),
        roles: z
            .array(roleSchema)
            .min(1, "needs at least one role")
            .describe("The host's roles, any of `etcd`, `control-plane`, `worker`, `lb`, e.g. `[etcd, control-plane]`. Required."),
        sshPort: port.optional().describe("SSH port of this host. Default: `ssh.port`."),
        sshUser: userName.optional().describe("SSH user for this host, a plain login name. Default: `ssh.user`."),
        hostKey: sshHostKey.optional(),
        arch: archSchema
            .optional()
            .describe(
                "CPU architecture of this host, `amd64` or `arm64`, e.g. `arm64` for arm workers in an amd64 cluster. Default: the cluster's `arch`. A host of another arch than the cluster's needs every release its roles use pinned for its arch in the sources' `sha256ByArch` (`serverTarball.sha512ByArch`).",
            ),
        labels: z
            .record(labelKey, z.string().regex(/^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$/, "is not a label value (at most 63 characters)"))
            .default({})
            .describe("Node labels the kubelet registers (workers only), e.g. `{disktype: ssd}`. Default: none."),
        taints: z.array(taintSchema).default([]).describe("Node taints the kubelet registers (workers only). Default: none."),
    })
    .describe("A machine: `{name, address, roles, sshPort?, sshUser?, hostKey?, arch?, labels?, taints?}`.");
/** A host of a validated spec: its `arch` settled (the cluster's unless it sets its own). */
export type HostSpec = Omit<z.output<typeof hostSchema>, "arch"> & { arch: Arch };

export const bastionSchema = z
    .strictObject({
        address: checked(hostNameProblem).describe("Address or DNS name of the jump host, without user or port (they go in `user` and `port`). Required."),
        port: port.default(22).describe("SSH port of the jump host. Default: 22."),
        user: userName.optional().describe("SSH user on the jump host. Default: `ssh.user`."),
        hostKey: sshHostKey.optional(),
    })
    .describe("A jump host every SSH connection goes through; it uses the same key or agent as the hosts.");
export type BastionSpec = z.output<typeof bastionSchema>;

export const sshSchema = z
    .strictObject({
        user: userName.default("root").describe("SSH user on every host, a plain login name. Default: `root`."),
        port: port.default(22).describe("SSH port on every host. Default: 22."),
        sudo: z
            .boolean()
            .optional()
            .describe("Run remote scripts through `sudo -n` (passwordless sudo needed). Default: true exactly for hosts whose SSH user is not root."),
        agent: z
            .boolean()
            .default(false)
            .describe("Authenticate with the SSH agent (`SSH_AUTH_SOCK`, or `ssh.agentSocketPath`) instead of a private key. Default: false."),
        agentSocketPath: localPath.optional().describe("Agent socket to use when `ssh.agent` is true. Default: `$SSH_AUTH_SOCK`."),
        privateKeyPath: localPath
            .refine((p) => !p.endsWith(".pub"), "names a public key (.pub): give the private key file, without .pub")
            .optional()
            .describe(
                "Path of the private key file on the machine running Pulumi (relative to the project directory, `~` expanded), read into a secret at deployment. Alternative to the secret config key `k8s-binary:sshPrivateKey`. Default: none.",
            ),
        bastion: bastionSchema.optional(),
    })
    .describe(
        "How Pulumi reaches the hosts. Credentials: exactly one of the secret config key `k8s-binary:sshPrivateKey` (`pulumi config set --secret sshPrivateKey < key`), `ssh.privateKeyPath`, or `ssh.agent: true`.",
    );
export type SshSpec = z.output<typeof sshSchema>;

const sourceFields = {
    baseUrl: z
        .string()
        .regex(/^https?:\/\/[A-Za-z0-9._~:/%@+=,-]+$/, "must be an http(s) URL without spaces, quotes, query or shell characters")
        .optional()
        .describe(
            "Download from this mirror instead of the project's official release site; it must keep the official path layout below the base. Default: the official URL.",
        ),
    localPath: localPath
        .optional()
        .describe(
            "Air-gapped install: a directory on the machine running Pulumi holding the release files under their published names; they are uploaded to the hosts. Individual Kubernetes binaries for a host arch other than the cluster's go in its subdirectory (`arm64/kubelet`), as their names carry no arch. Default: download.",
        ),
};

/** Digests of the other architectures' files, by arch: `{arm64: <hex>}`. */
const byArch = <T extends z.ZodType>(digest: T, what: string) =>
    z
        .strictObject(Object.fromEntries(ARCHES.map((a) => [a, digest.optional()])) as Record<Arch, z.ZodOptional<T>>)
        .optional()
        .describe(
            `${what} for the hosts whose \`arch\` is not the cluster's, by arch, e.g. \`{arm64: <hex>}\`; the cluster's own arch's digest stays in the field beside. Default: none (every host runs the cluster's arch).`,
        );

const singleFileSource = (what: string) =>
    z
        .strictObject({
            version: version.describe(`${what} version, e.g. the one in the example stacks. Required.`),
            ...sourceFields,
            sha256: sha256.describe(
                `sha256 of the ${what} release file for the cluster's \`arch\`, as published by the project (64 hex characters). Required.`,
            ),
            sha256ByArch: byArch(sha256, `sha256 of the ${what} release file`),
        })
        .describe(`Where ${what} comes from: \`{version, sha256, sha256ByArch?, baseUrl? | localPath?}\`.`);

/** The Kubernetes binaries this project installs, by host role. */
export const KUBERNETES_BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubelet", "kube-proxy", "kubectl"] as const;
export type KubernetesBinary = (typeof KUBERNETES_BINARIES)[number];

const kubernetesSource = z
    .strictObject({
        version: version.describe("Kubernetes version, e.g. `1.33.5`. Required."),
        ...sourceFields,
        sha256: z
            .strictObject(
                Object.fromEntries(
                    KUBERNETES_BINARIES.map((b) => [
                        b,
                        sha256
                            .optional()
                            .describe(`sha256 of the \`${b}\` release binary for the cluster's \`arch\` (published next to it as \`${b}.sha256\`).`),
                    ]),
                ) as Record<KubernetesBinary, z.ZodOptional<typeof sha256>>,
            )
            .optional()
            .describe(
                "sha256 per individual release binary (dl.k8s.io/release/vX/bin/linux/ARCH/NAME) for the cluster's `arch`, one for every binary its hosts' roles need; kubectl is optional. Give this or `serverTarball`.",
            ),
        sha256ByArch: byArch(
            z.strictObject(
                Object.fromEntries(
                    KUBERNETES_BINARIES.map((b) => [b, sha256.optional().describe(`sha256 of the \`${b}\` release binary for this arch.`)]),
                ) as Record<KubernetesBinary, z.ZodOptional<typeof sha256>>,
            ),
            "sha256 per individual release binary, like `sha256`,",
        ),
        serverTarball: z
            .strictObject({
                sha512: sha512.describe(
                    "sha512 of `kubernetes-server-linux-ARCH.tar.gz` for the cluster's `arch`, as listed in the Kubernetes CHANGELOG for this version. Required.",
                ),
                sha512ByArch: byArch(sha512, "sha512 of `kubernetes-server-linux-ARCH.tar.gz`"),
            })
            .optional()
            .describe("Take every binary from the server tarball, as the seeds do (one large download per host). Give this or `sha256`."),
    })
    .describe(
        "Where the Kubernetes binaries come from: `{version, sha256: {kube-apiserver, ...}, sha256ByArch?: {arm64: {kubelet, ...}} | serverTarball: {sha512, sha512ByArch?}, baseUrl? | localPath?}`.",
    );
export type KubernetesSourceSpec = z.output<typeof kubernetesSource>;

export const binariesSchema = z
    .strictObject({
        kubernetes: kubernetesSource,
        kubernetesNode: kubernetesSource
            .optional()
            .describe("Separate kubelet and kube-proxy release for worker hosts (to upgrade the control plane first). Default: `binaries.kubernetes`."),
        etcd: singleFileSource("etcd (etcd-vX-linux-ARCH.tar.gz)"),
        containerd: singleFileSource("containerd (containerd-X-linux-ARCH.tar.gz)").optional(),
        runc: singleFileSource("runc (runc.ARCH)").optional(),
        cniPlugins: singleFileSource("the CNI plugins (cni-plugins-linux-ARCH-vX.tgz)").optional(),
        flannel: singleFileSource("flanneld (flannel-vX-linux-ARCH.tar.gz)")
            .optional()
            .describe("flanneld release, needed only when `flannel.mode` runs flanneld under systemd."),
        flannelCniPlugin: singleFileSource("the flannel CNI plugin (cni-plugin-flannel-linux-ARCH-vX.tgz)")
            .optional()
            .describe("flannel CNI plugin release, needed only when `flannel.mode` runs flanneld under systemd (the DaemonSet installs its own)."),
        docker: singleFileSource("Docker static binaries (docker-X.tgz)")
            .optional()
            .describe("Docker static release, needed only when `containerRuntime` is `docker`."),
    })
    .describe("Release versions and sources, each pinned by checksum. containerd, runc and cniPlugins are required when there are workers.");
export type BinariesSpec = z.output<typeof binariesSchema>;

export const networkSchema = z
    .strictObject({
        hostSubnets: z.array(cidr).min(1, "needs at least one subnet").describe("The subnets the hosts' addresses are in, e.g. `[192.168.80.0/24]`. Required."),
        podCidr: cidr.default("10.244.0.0/16").describe("Pod address block, split into per-node subnets by flannel. Default: `10.244.0.0/16`."),
        serviceCidr: cidr.default("10.96.0.0/12").describe("Service ClusterIP block; its first address is the `kubernetes` Service. Default: `10.96.0.0/12`."),
        clusterDns: ipv4
            .optional()
            .describe(
                "ClusterIP of the cluster DNS Service, inside `serviceCidr` and not its first address. Default: the 10th address of `serviceCidr` (10.96.0.10).",
            ),
        clusterDomain: z.string().regex(dnsName, "is not a DNS domain").default("cluster.local").describe("Cluster DNS domain. Default: `cluster.local`."),
        apiserverPort: port.default(DEFAULT_APISERVER_PORT).describe(`Secure port of every kube-apiserver. Default: ${DEFAULT_APISERVER_PORT}.`),
        proxyMode: z
            .enum(["iptables", "nftables", "ipvs"])
            .default("iptables")
            .describe(
                "kube-proxy mode, `iptables`, `nftables` (kernel 5.13 and nft 1.0.1 or newer, checked on each node) or `ipvs` (deprecated since 1.35). Default: `iptables`.",
            ),
    })
    .describe("Addressing: `{hostSubnets, podCidr?, serviceCidr?, clusterDns?, clusterDomain?, apiserverPort?, proxyMode?}`.");
export type NetworkSpec = z.output<typeof networkSchema>;

export const flannelSchema = z
    .strictObject({
        mode: z
            .enum(["daemonset", "systemd-kube", "systemd-etcd", "none"])
            .default("daemonset")
            .describe(
                "How flanneld runs: `daemonset` (kube-flannel manifest; the nodes need its images), `systemd-kube` (systemd flanneld with the kube subnet manager) or `systemd-etcd` (systemd flanneld storing subnets in etcd, on the control-plane hosts too); `none` runs no flannel: each node gets a plain bridge on its own block of the pod range, and pods reach other nodes' pods only through routes you add. Default: `daemonset`.",
            ),
        backend: z
            .enum(["vxlan", "host-gw", "udp", "wireguard"])
            .default("vxlan")
            .describe("Backend: `vxlan`, `host-gw` (all nodes in one L2 subnet), `udp` (debugging only) or `wireguard`. Default: `vxlan`."),
        directRouting: z.boolean().default(false).describe("vxlan only: route directly (host-gw style) between nodes of the same subnet. Default: false."),
        ipMasq: z.boolean().default(true).describe("Masquerade pod traffic leaving the pod network (`--ip-masq`). Default: true."),
        mtu: z.number().int().min(576).max(9000).optional().describe("MTU of the flannel interface. Default: derived by flannel from the host interface."),
        subnetLen: z.number().int().min(16).max(30).default(24).describe("Prefix length of each node's pod subnet (`SubnetLen`). Default: 24."),
        interface: interfaceName.optional().describe("Host interface flanneld uses (`--iface`). Default: the interface of the default route."),
        etcdPrefix: z
            .string()
            .regex(/^\/[A-Za-z0-9_./-]*$/, "must be an absolute key path of letters, digits, '_', '.', '-' and '/'")
            .default("/coreos.com/network")
            .describe("`systemd-etcd` mode: etcd key prefix of flannel's network config. Default: `/coreos.com/network`."),
        image: imageReference.default(DEFAULT_FLANNEL_IMAGE).describe(`\`daemonset\` mode: flannel image. Default: \`${DEFAULT_FLANNEL_IMAGE}\`.`),
        cniPluginImage: imageReference
            .default(DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE)
            .describe(`\`daemonset\` mode: flannel CNI plugin image. Default: \`${DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE}\`.`),
    })
    .describe("Pod networking with flannel.");
export type FlannelSpec = z.output<typeof flannelSchema>;

export const loadBalancerSchema = z
    .strictObject({
        vip: hostAddress.describe(
            "Virtual IP keepalived moves between the `lb` hosts; the apiserver endpoint. Inside the lb hosts' subnet, no host's address. Required.",
        ),
        interface: interfaceName.default("eth0").describe("Interface on the lb hosts that carries the VIP. Default: `eth0`."),
        virtualRouterId: z.number().int().min(1).max(255).default(51).describe("VRRP virtual router id (1-255), unique on the L2 segment. Default: 51."),
        port: port
            .default(LB_DEFAULTS.listenPort)
            .describe(`Port nginx listens on at the VIP, forwarding to every apiserver. Default: ${LB_DEFAULTS.listenPort}.`),
    })
    .describe("nginx + keepalived in front of the apiservers: `{vip, interface?, virtualRouterId?, port?}`. Needed when any host has the `lb` role.");
export type LoadBalancerSpec = z.output<typeof loadBalancerSchema>;

export const etcdSchema = z
    .strictObject({
        initialMembers: z
            .array(z.string().regex(dnsLabel, "is not a host name (a DNS label)"))
            .min(1, "needs at least one member")
            .optional()
            .describe(
                "Names of the etcd hosts the running cluster has now. Every other `etcd` host joins it, one at a time (`member add`, then a start with the existing cluster). Set it to the current members when adding etcd hosts to a running cluster; leave it unset for a new cluster. Default: every `etcd` host.",
            ),
        backup: z
            .strictObject({
                enabled: z.boolean().default(true).describe("Take scheduled snapshots on every member. Default: true."),
                schedule: checked(calendarProblem)
                    .default("*-*-* 00/6:00:00")
                    .describe("When, as a systemd OnCalendar expression. Default: `*-*-* 00/6:00:00` (every six hours)."),
                retention: z.number().int().min(1).max(1000).default(8).describe("Snapshots each member keeps. Default: 8."),
            })
            .prefault({})
            .describe("Scheduled `etcdctl snapshot save` on the members: `{enabled?, schedule?, retention?}`; restore: docs/etcd-backup-restore.md."),
    })
    .describe("etcd membership and backups: `{initialMembers?, backup?}`.");
export type EtcdSpec = z.output<typeof etcdSchema>;

/** Thirty years: longer-lived authorities outlast every key algorithm recommendation. */
export const MAX_CA_VALIDITY_HOURS = 262800;
/** Ten years: a leaf certificate living longer is never rotated in practice. */
export const MAX_CERT_VALIDITY_HOURS = 87600;
/** Rotation levers are counters bumped by hand. */
const MAX_ROTATION = 1_000_000;
/** A rotation lever: a counter from 0 (the default) that re-issues what `description` says when bumped. */
const rotationLever = (description: string) => z.number().int().min(0).max(MAX_ROTATION).default(0).describe(description);

const flagMap = (binary: string) =>
    z
        .record(
            z.string().regex(/^[a-z0-9][a-z0-9-]*$/, "is not a flag name (lowercase letters, digits and '-', without the leading dashes)"),
            z.string().regex(/^[^\s"'\\]*$/, "must be one word without whitespace, quotes or backslashes"),
        )
        .default({})
        .describe(
            `Extra ${binary} flags by name without dashes, e.g. \`{max-requests-inflight: "800"}\`; a flag the project sets itself is refused. Default: none.`,
        );

export const controlPlaneSchema = z
    .strictObject({
        extraSans: z
            .array(checked(hostNameProblem))
            .default([])
            .describe("Extra names (DNS names or IP addresses) on every apiserver's serving certificate, e.g. a public DNS name. Default: none."),
        csrSigningHours: z
            .number()
            .int()
            .min(1)
            .max(MAX_CERT_VALIDITY_HOURS)
            .default(DEFAULT_CERT_VALIDITY_HOURS)
            .describe(`Lifetime of the kubelet certificates the controller-manager signs, in hours. Default: ${DEFAULT_CERT_VALIDITY_HOURS} (1 year).`),
        encryptionKeys: z
            .array(z.string().regex(/^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/, "is not a key name (a DNS label such as key1)"))
            .min(1, "needs at least one key")
            .default(["key1"])
            .describe(
                "Names of the secretbox keys encrypting Secrets at rest, newest first; each name gets a random key kept as a Pulumi secret. Rotate by putting a new name first (docs/control-plane.md). Default: `[key1]`.",
            ),
        audit: z
            .strictObject({
                enabled: z.boolean().default(true).describe("Write the apiservers' audit log. Default: true."),
                maxAgeDays: z.number().int().min(1).max(3650).default(30).describe("Days an audit file is kept. Default: 30."),
                maxBackups: z.number().int().min(1).max(1000).default(10).describe("Rotated audit files kept. Default: 10."),
                maxSizeMegabytes: z.number().int().min(1).max(100_000).default(100).describe("Size in MiB at which the audit file rotates. Default: 100."),
            })
            .prefault({})
            .describe(
                "The apiservers' audit log at /var/log/kubernetes/audit/audit.log (request metadata, never bodies): `{enabled?, maxAgeDays?, maxBackups?, maxSizeMegabytes?}`.",
            ),
        bootstrapToken: z
            .strictObject({
                ttlHours: z
                    .number()
                    .int()
                    .min(0)
                    .max(MAX_CERT_VALIDITY_HOURS)
                    .default(24)
                    .describe(
                        "Hours the kubelets' bootstrap token is valid after it is made; 0 never expires. Joined nodes keep working after it expires; new nodes need a new token (`rotation`). Default: 24.",
                    ),
                rotation: rotationLever("Bump to issue a new bootstrap token (the old one is deleted). Default: 0."),
            })
            .prefault({})
            .describe("The token kubelets join with: `{ttlHours?, rotation?}`."),
        registerNodes: z
            .boolean()
            .default(true)
            .describe(
                "Run a kubelet on every control-plane host, registered with the taint `node-role.kubernetes.io/control-plane:NoSchedule` (webhooks and aggregated APIs need the apiservers to reach pods); false keeps the seeds' control plane without kubelets (docs/control-plane.md says what that costs). Default: true.",
            ),
        extraFlags: z
            .strictObject({ apiserver: flagMap("kube-apiserver"), controllerManager: flagMap("kube-controller-manager"), scheduler: flagMap("kube-scheduler") })
            .prefault({})
            .describe("Extra flags per control-plane binary: `{apiserver?, controllerManager?, scheduler?}`."),
    })
    .describe("The control plane: `{extraSans?, csrSigningHours?, encryptionKeys?, audit?, bootstrapToken?, registerNodes?, extraFlags?}`.");
export type ControlPlaneSpec = z.output<typeof controlPlaneSchema>;

/** An image archive imported on every node (no registry is assumed). */
export const nodeImageSchema = z
    .strictObject({
        ref: imageReference.describe("The fully qualified reference the archive carries, e.g. `registry.k8s.io/pause:3.10.2`. Required."),
        file: z
            .string()
            .regex(/^[A-Za-z0-9._-]+$/, "must be a plain file name")
            .describe("The archive's file name under `baseUrl` or `localPath`, e.g. `pause-3.10.2.tar`. Required."),
        baseUrl: sourceFields.baseUrl.describe("Download the archive from `<baseUrl>/<file>` on each node. Give this or `localPath`."),
        localPath: sourceFields.localPath.describe("Upload `<localPath>/<file>` from the machine running Pulumi. Give this or `baseUrl`."),
        sha256: sha256.describe("sha256 of the archive file. Required."),
        digest: z
            .string()
            .regex(/^sha256:[0-9a-f]{64}$/, "is not sha256:<64 hex>")
            .describe("The image's manifest digest, which containerd lists after the import. Required."),
    })
    .refine((i) => (i.baseUrl === undefined) !== (i.localPath === undefined), { message: "give exactly one of baseUrl and localPath", path: ["baseUrl"] })
    .describe("An OCI image archive: `{ref, file, sha256, digest, baseUrl | localPath}`.");
export type NodeImageSpec = z.output<typeof nodeImageSchema>;

export const nodesSchema = z
    .strictObject({
        cgroupV1: z
            .boolean()
            .default(false)
            .describe(
                "The nodes run cgroup v1 (or the hybrid layout): the kubelet gets `failCgroupV1: false`. Each node's preflight says when it is needed. Default: false.",
            ),
        restrictOomScoreAdj: z
            .boolean()
            .default(false)
            .describe(
                "The nodes lack CAP_SYS_RESOURCE (containers, sandboxed VMs): containerd gets `restrict_oom_score_adj = true`. Each node's preflight says when it is needed. Default: false.",
            ),
        conntrackMaxPerCore: z
            .number()
            .int()
            .min(0)
            .optional()
            .describe("kube-proxy's `conntrack.maxPerCore`; 0 leaves `nf_conntrack_max` alone (hosts where it is read-only). Default: kube-proxy's own."),
        sandboxImage: imageReference.optional().describe("The CRI sandbox image, fully qualified. Default: `registry.k8s.io/pause:3.10.2`."),
        maxPods: z
            .number()
            .int()
            .min(1)
            .optional()
            .describe("The kubelets' `maxPods`, at most the pod addresses of a node's `flannel.subnetLen` block. Default: the kubelet's own (110)."),
        images: z
            .array(nodeImageSchema)
            .default([])
            .describe("Image archives imported and pinned on every node before its kubelet starts (the sandbox image, CoreDNS, what pods run). Default: none."),
        upgrade: z
            .strictObject({
                maxUnavailable: z
                    .unknown()
                    .transform((value, ctx): number | string => {
                        const problem = maxUnavailableProblem(value);
                        if (!problem) return value as number | string;
                        ctx.addIssue({ code: "custom", message: problem });
                        return z.NEVER;
                    })
                    .default(1)
                    .describe(
                        'How many nodes are drained at once when the kubelets move to another Kubernetes version (each node cordoned and drained before its kubelet restarts, uncordoned once Ready): a count, or a percentage of the nodes such as "20%" (rounded down, at least 1). Default: 1.',
                    ),
                drainTimeoutSeconds: z
                    .number()
                    .int()
                    .min(1)
                    .default(300)
                    .describe("Seconds a node waits for its turn, for its pods to be evicted, and for its Node to be Ready again. Default: 300."),
            })
            .prefault({})
            .describe("How node upgrades drain: `{maxUnavailable?, drainTimeoutSeconds?}`."),
    })
    .describe("The nodes' runtime and upgrades: `{cgroupV1?, restrictOomScoreAdj?, conntrackMaxPerCore?, sandboxImage?, maxPods?, images?, upgrade?}`.");
export type NodesSpec = z.output<typeof nodesSchema>;

export const pkiSchema = z
    .strictObject({
        keyAlgorithm: z
            .enum(["ECDSA", "RSA"])
            .default("ECDSA")
            .describe(
                "Key algorithm of every CA and certificate: `ECDSA` (P-256) or `RSA` (2048 bits); Ed25519 is not offered because service-account and CSR signing keys must be RSA or ECDSA. Default: `ECDSA`.",
            ),
        caValidityHours: z
            .number()
            .int()
            .min(24)
            .max(MAX_CA_VALIDITY_HOURS)
            .default(DEFAULT_CA_VALIDITY_HOURS)
            .describe(`Validity of the CAs, in hours, at most ${MAX_CA_VALIDITY_HOURS} (30 years). Default: ${DEFAULT_CA_VALIDITY_HOURS} (10 years).`),
        certValidityHours: z
            .number()
            .int()
            .min(1)
            .max(MAX_CERT_VALIDITY_HOURS)
            .default(DEFAULT_CERT_VALIDITY_HOURS)
            .describe(
                `Validity of every leaf certificate, in hours; not longer than the CAs', at most ${MAX_CERT_VALIDITY_HOURS} (10 years). Default: ${DEFAULT_CERT_VALIDITY_HOURS} (1 year).`,
            ),
        rotation: rotationLever("Bump to re-issue every leaf certificate (restarting exactly the services that use them). Default: 0."),
        caRotation: rotationLever("Bump to replace the CAs, and so every certificate and kubeconfig. Default: 0."),
    })
    .describe("Certificates: `{keyAlgorithm?, caValidityHours?, certValidityHours?, rotation?, caRotation?}`.");
export type PkiSpec = z.output<typeof pkiSchema>;

export const clusterSpecSchema = z
    .strictObject({
        name: z.string().regex(dnsLabel, "is not a DNS label").default("kubernetes").describe("Cluster name, used in kubeconfigs. Default: `kubernetes`."),
        hosts: z.array(hostSchema).min(1, "needs at least one host").max(MAX_HOSTS).describe("Every machine of the cluster. Required."),
        ssh: sshSchema.prefault({}),
        arch: archSchema
            .default("amd64")
            .describe(
                "CPU architecture of the hosts, `amd64` or `arm64`, and of the digests in every `binaries` source's `sha256` (`serverTarball.sha512`); a host of another arch sets `hosts[].arch`. Default: `amd64`.",
            ),
        containerRuntime: z
            .enum(["containerd", "docker"])
            .default("containerd")
            .describe("Container runtime of the workers: `containerd`, or `docker` (Kubernetes before 1.24 only). Default: `containerd`."),
        binaries: binariesSchema,
        network: networkSchema,
        flannel: flannelSchema.prefault({}),
        loadBalancer: loadBalancerSchema.optional(),
        etcd: etcdSchema.prefault({}),
        pki: pkiSchema.prefault({}),
        controlPlane: controlPlaneSchema.prefault({}),
        nodes: nodesSchema.prefault({}),
    })
    .describe(
        "The whole cluster: `{name?, hosts, ssh?, arch?, containerRuntime?, binaries, network, flannel?, loadBalancer?, etcd?, pki?, controlPlane?, nodes?}`.",
    );

/** The spec as written in a stack (defaults not yet applied). */
export type ClusterSpecInput = z.input<typeof clusterSpecSchema>;

/** The spec after validation: defaults applied, versions without `v`, digests lowercase, `hosts[].arch` and `network.clusterDns` always set. */
export type ClusterSpec = Omit<z.output<typeof clusterSpecSchema>, "network" | "hosts"> & {
    hosts: HostSpec[];
    network: NetworkSpec & { clusterDns: string };
};
