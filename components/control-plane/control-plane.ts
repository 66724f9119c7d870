import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { argsError, remoteScript, RestartChain, WaitFor } from "../host";
import { CaKeyPair, Certificate, CertificateAuthority, privateKeyArgs, renderKubeconfig } from "../pki";
import type { ControlPlaneArgs } from "./args";
import { APISERVER_KUBELET_CLIENT_USER, FRONT_PROXY_CLIENT_NAME } from "./layout";
import { ControlPlaneMember, type SharedControlPlaneFiles } from "./member";
import { planControlPlane } from "./plan";
import { bootstrapTokenSecretData, kubeletApiRole, tlsBootstrapBindings } from "./rbac";
import { renderAuditPolicy, renderEncryptionConfig } from "./render-config";
import { renderEndpointReadyCheck } from "./render-health";
import { fixedSettings, renderSettings, renderSettingsGuardScript, renderSettingsRecordRemoval } from "./settings-guard";

/** The kubelets' join credential: a bootstrap token. */
export interface BootstrapToken {
    /** Token id (public: it names the Secret). */
    id: string;
    /** Token secret. */
    secret: string;
    /** When it expires (RFC 3339); unset for a token that never expires. */
    expiration?: string;
}

/**
 * The Kubernetes control plane on its hosts: kube-apiserver, kube-controller-manager and
 * kube-scheduler under systemd on every member, with their certificates and kubeconfigs,
 * encryption at rest of Secrets and an audit log; changes roll one host at a time, each waiting
 * for its apiserver's /readyz. Once the apiservers answer through the endpoint, it creates the
 * kubelets' bootstrap token and the TLS bootstrap RBAC in the cluster.
 */
export class ControlPlane extends pulumi.ComponentResource {
    /** https://<endpoint host>:<port>; resolves once the apiservers answer /readyz through it. */
    readonly endpoint: pulumi.Output<string>;
    /** The cluster CA certificate (PEM): what kubeconfigs and kubelets trust. */
    readonly caCertPem: pulumi.Output<string>;
    /** The cluster CA (certificate and secret key): WorkerNode issues kubelet serving certificates from it. */
    readonly ca: CaKeyPair;
    /** An admin kubeconfig (user kubernetes-admin, group system:masters) pointed at the endpoint, secret. */
    readonly adminKubeconfig: pulumi.Output<string>;
    /** The bootstrap token kubelets join with, secret; resolves once its Secret is in the cluster. */
    readonly bootstrapToken: pulumi.Output<BootstrapToken>;
    /** A Kubernetes provider using the admin kubeconfig, for the in-cluster objects of other components. */
    readonly provider: k8s.Provider;
    /** Expiry (RFC 3339) of every certificate the component issued, by name ("apiserver/<host>", "admin", ...). */
    readonly certificateExpiry: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: ControlPlaneArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:ControlPlane", name, {}, opts);
        const { plan, issues, warnings } = planControlPlane(name, args);
        if (issues.length > 0) throw argsError(this, "ControlPlane", name, issues);
        for (const w of warnings) pulumi.log.warn(`ControlPlane ${name}: ${w.path}: ${w.message} (${w.hint})`, this);
        const child = { parent: this };
        const algorithm = args.keyAlgorithm;

        this.ca = args.ca ?? new CertificateAuthority(`${name}-ca`, { commonName: "kubernetes", algorithm }, child);
        const frontProxyCa: CaKeyPair =
            args.frontProxyCa ?? new CertificateAuthority(`${name}-front-proxy-ca`, { commonName: "front-proxy-ca", algorithm }, child);
        const issue = (certName: string, ca: CaKeyPair, commonName: string, organization?: string) =>
            new Certificate(
                `${name}-${certName}`,
                {
                    ca,
                    profile: "client",
                    commonName,
                    organization,
                    algorithm,
                    validityHours: args.certificateValidityHours,
                    rotation: plan.certificateRotation,
                },
                child,
            );
        const kubeletClient = issue("apiserver-kubelet-client", this.ca, APISERVER_KUBELET_CLIENT_USER);
        const etcdClient = issue("apiserver-etcd-client", args.etcd.ca, "kube-apiserver-etcd-client");
        const frontProxyClient = issue("front-proxy-client", frontProxyCa, FRONT_PROXY_CLIENT_NAME);
        const controllerManagerClient = issue("controller-manager", this.ca, "system:kube-controller-manager");
        const schedulerClient = issue("scheduler", this.ca, "system:kube-scheduler");
        const admin = issue("admin", this.ca, "kubernetes-admin", "system:masters");

        // Service-account tokens must verify on every apiserver: one key pair (RSA or ECDSA; Ed25519 is not accepted).
        const serviceAccountKey = new tls.PrivateKey(`${name}-service-account-key`, privateKeyArgs(algorithm === "RSA" ? "RSA" : "ECDSA"), child);

        // One 32-byte secretbox key per name; the first encrypts.
        const encryptionKeys = plan.encryptionKeyNames.map((keyName) => ({
            name: keyName,
            secret: new random.RandomBytes(`${name}-encryption-${keyName}`, { length: 32 }, child).base64,
        }));
        const encryptionConfig = pulumi.secret(
            pulumi
                .all(encryptionKeys.map((k) => k.secret))
                .apply((secrets) => renderEncryptionConfig(encryptionKeys.map((k, i) => ({ name: k.name, secret: secrets[i] })))),
        );

        const kubeconfig = (user: string, server: string, cert: Certificate) =>
            pulumi.secret(
                pulumi
                    .all([this.ca.certPem, cert.certPem, cert.privateKeyPem])
                    .apply(([caPem, certPem, keyPem]) =>
                        renderKubeconfig({ clusterName: plan.clusterName, server, caPem, user, clientCertPem: certPem, clientKeyPem: keyPem }),
                    ),
            );
        const shared: SharedControlPlaneFiles = {
            ca: this.ca,
            frontProxyCaCertPem: frontProxyCa.certPem,
            etcdCaCertPem: args.etcd.ca.certPem,
            kubeletClient,
            etcdClient,
            frontProxyClient,
            serviceAccountKeyPem: pulumi.secret(serviceAccountKey.privateKeyPem),
            serviceAccountPubPem: serviceAccountKey.publicKeyPem,
            encryptionConfig,
            auditPolicy: plan.audit.enabled ? renderAuditPolicy(plan) : undefined,
            controllerManagerClient,
            schedulerClient,
            kubeconfig,
        };

        // Settings a live cluster cannot change are checked on every host before anything of any
        // member changes (certificates included, whose names derive from them).
        const settings = fixedSettings(plan);
        const guards = args.members.map(
            (host) =>
                new command.remote.Command(
                    `${name}-${host.name}-settings`,
                    {
                        connection: host.connection,
                        create: remoteScript(host, renderSettingsGuardScript(settings)),
                        update: remoteScript(host, renderSettingsGuardScript(settings)),
                        delete: remoteScript(host, renderSettingsRecordRemoval()),
                        stdin: renderSettings(settings),
                        logging: "stderr",
                    },
                    { ...child, deleteBeforeReplace: true },
                ),
        );
        const chain = new RestartChain();
        const members = args.members.map(
            (host) =>
                new ControlPlaneMember(
                    `${name}-${host.name}`,
                    {
                        host,
                        plan,
                        etcdEndpoints: args.etcd.endpoints,
                        shared,
                        installed: args.installed?.[host.name],
                        release: args.release,
                        keyAlgorithm: algorithm,
                        certificateValidityHours: args.certificateValidityHours,
                        startAfter: [pulumi.output(args.etcd.endpoints)],
                        guards,
                        chain,
                    },
                    { parent: this, dependsOn: guards },
                ),
        );

        // The endpoint answers once the load balancer reaches a ready apiserver.
        const first = args.members[0];
        const reachable = new WaitFor(
            `${name}-endpoint-ready`,
            {
                host: first,
                description: `the apiservers answer /readyz through ${plan.endpoint.url}`,
                check: renderEndpointReadyCheck(plan.endpoint.url),
                timeoutSeconds: plan.readyTimeoutSeconds,
                after: members.map((m) => m.ready),
            },
            child,
        );
        this.endpoint = reachable.whenReady(plan.endpoint.url);
        this.caCertPem = this.ca.certPem as pulumi.Output<string>;
        this.adminKubeconfig = reachable.whenReady(kubeconfig("kubernetes-admin", plan.endpoint.url, admin));
        this.provider = new k8s.Provider(`${name}-k8s`, { kubeconfig: this.adminKubeconfig }, child);

        const inCluster = { parent: this, provider: this.provider };
        const role = kubeletApiRole();
        const kubeletApi = new k8s.rbac.v1.ClusterRole(`${name}-kubelet-api`, { metadata: { name: role.name }, rules: role.rules }, inCluster);
        new k8s.rbac.v1.ClusterRoleBinding(
            `${name}-kubelet-api`,
            {
                metadata: { name: role.name },
                roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: kubeletApi.metadata.name },
                subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: "User", name: APISERVER_KUBELET_CLIENT_USER }],
            },
            inCluster,
        );
        const bindings = tlsBootstrapBindings().map(
            (b) =>
                new k8s.rbac.v1.ClusterRoleBinding(
                    `${name}-${b.name}`,
                    {
                        metadata: { name: b.name },
                        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: b.roleName },
                        subjects: [{ apiGroup: "rbac.authorization.k8s.io", kind: b.subject.kind, name: b.subject.name }],
                    },
                    inCluster,
                ),
        );

        // The token: a rotation replaces id and secret (and so the Secret, deleting the old one).
        const keepers = { rotation: plan.bootstrapToken.rotation ?? "" };
        const charset = { upper: false, special: false, lower: true, numeric: true };
        const tokenId = new random.RandomString(`${name}-bootstrap-token-id`, { length: 6, ...charset, keepers }, child).result;
        const tokenSecret = new random.RandomPassword(`${name}-bootstrap-token-secret`, { length: 16, ...charset, keepers }, child).result;
        // The expiry is fixed when the token is made (a local clock reading, taken once per token).
        const expiration =
            plan.bootstrapToken.ttlHours > 0
                ? new command.local.Command(
                      `${name}-bootstrap-token-expiry`,
                      { create: `date -u -d '+${plan.bootstrapToken.ttlHours} hours' +%Y-%m-%dT%H:%M:%SZ`, triggers: [tokenId, plan.bootstrapToken.ttlHours] },
                      child,
                  ).stdout
                : undefined;
        const tokenObject = new k8s.core.v1.Secret(
            `${name}-bootstrap-token`,
            {
                metadata: { name: pulumi.interpolate`bootstrap-token-${tokenId}`, namespace: "kube-system" },
                type: "bootstrap.kubernetes.io/token",
                stringData: pulumi
                    .all([tokenId, tokenSecret, expiration])
                    .apply(([id, secret, expires]) => bootstrapTokenSecretData(id, secret, expires?.trim() || undefined)),
            },
            { ...inCluster, dependsOn: bindings },
        );
        this.bootstrapToken = pulumi.secret(
            pulumi
                .all([tokenObject.metadata.name, tokenId, tokenSecret, expiration])
                .apply(([, id, secret, expires]): BootstrapToken => ({ id, secret, ...(expires?.trim() ? { expiration: expires.trim() } : {}) })),
        );

        this.certificateExpiry = pulumi
            .all({
                ...Object.fromEntries(members.map((m, i) => [`apiserver/${args.members[i].name}`, m.servingCertificateExpiry])),
                "apiserver-kubelet-client": kubeletClient.validityEndTime,
                "apiserver-etcd-client": etcdClient.validityEndTime,
                "front-proxy-client": frontProxyClient.validityEndTime,
                "controller-manager": controllerManagerClient.validityEndTime,
                scheduler: schedulerClient.validityEndTime,
                admin: admin.validityEndTime,
            })
            .apply((all) => all as Record<string, string>);
        this.registerOutputs({ endpoint: this.endpoint, caCertPem: this.caCertPem, certificateExpiry: this.certificateExpiry });
    }
}
