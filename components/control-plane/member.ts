import * as pulumi from "@pulumi/pulumi";
import { BinaryRelease, gate, Host, InstalledRelease, releaseArgsFor, RemoteFile, RestartChain, SystemdUnit } from "../host";
import { pathSlug } from "../host/names";
import { CaKeyPair, Certificate, KeyAlgorithm } from "../pki";
import { CONTROLLER_MANAGER_PORT, SCHEDULER_PORT } from "./needs";
import { APISERVER_UNIT, CONTROLLER_MANAGER_UNIT, CP_PATHS, SCHEDULER_UNIT, type ControlPlaneMember as MemberEndpoint } from "./layout";
import { apiserverServingSans, type ControlPlanePlan } from "./plan";
import { apiserverFlags, renderApiserverEnv } from "./render-apiserver";
import { controllerManagerFlags, renderControllerManagerEnv } from "./render-controller-manager";
import { renderSchedulerConfig, renderSchedulerEnv, schedulerFlags } from "./render-scheduler";
import { renderApiserverUnit, renderControllerManagerUnit, renderSchedulerUnit } from "./render-units";
import { renderApiserverBackInRotationCheck, renderApiserverReadyCheck, renderControllerReadyCheck } from "./render-health";

/** What every member holds alike: the authorities, the shared keys and certificates, the rendered shared files. */
export interface SharedControlPlaneFiles {
    /** The cluster CA (its key is the controller-manager's signing key). */
    ca: CaKeyPair;
    /** The front-proxy CA certificate (PEM). */
    frontProxyCaCertPem: pulumi.Input<string>;
    /** The etcd CA certificate (PEM). */
    etcdCaCertPem: pulumi.Input<string>;
    /** The apiservers' client certificates: towards kubelets, towards etcd, and as the front proxy. */
    kubeletClient: Certificate;
    etcdClient: Certificate;
    frontProxyClient: Certificate;
    /** The service-account signing key pair (PEM). */
    serviceAccountKeyPem: pulumi.Input<string>;
    serviceAccountPubPem: pulumi.Input<string>;
    /** The encryption configuration (secret: it holds the keys). */
    encryptionConfig: pulumi.Input<string>;
    /** The audit policy (YAML), when auditing is on. */
    auditPolicy?: string;
    /** Client certificates of the controller-manager and the scheduler: each member's kubeconfig points them at its own apiserver. */
    controllerManagerClient: Certificate;
    schedulerClient: Certificate;
    /** Renders a kubeconfig for a client certificate and a server (pure, applied to resolved values). */
    kubeconfig: (user: string, server: string, cert: Certificate) => pulumi.Output<string>;
}

/** Arguments of {@link ControlPlaneMember}. */
export interface ControlPlaneMemberArgs {
    /** The member's host. */
    host: Host;
    /** The control plane's checked plan. */
    plan: ControlPlanePlan;
    /** Client URLs of every etcd member. */
    etcdEndpoints: pulumi.Input<string[]>;
    /** The files every member holds alike. */
    shared: SharedControlPlaneFiles;
    /** The releases holding kube-apiserver, kube-controller-manager and kube-scheduler, already installed; or the needs to install. */
    installed?: InstalledRelease[];
    /** Releases to install when none are handed over (standalone use). */
    release?: import("../host/needs").ReleaseNeed[];
    /** Key algorithm of the serving key. */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of the serving certificate, in hours. */
    certificateValidityHours?: number;
    /** Steps the services start after (etcd healthy). */
    startAfter: pulumi.Input<unknown>[];
    /** Every host's settings guard: no certificate or file of the member changes before they pass. */
    guards: pulumi.Resource[];
    /** The control plane's rolling chain: the member adds its three restarts, apiserver first. */
    chain: RestartChain;
}

/** The binaries a member runs. */
const BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

/**
 * One control-plane host: its apiserver serving certificate, every file the three services read,
 * their units, and its links of the control plane's rolling restart (the apiserver, ready on
 * /readyz, then the controller-manager and the scheduler, healthy on /healthz).
 */
export class ControlPlaneMember extends pulumi.ComponentResource {
    /** Expiry (RFC 3339) of the member's serving certificate. */
    readonly servingCertificateExpiry: pulumi.Output<string>;
    /** The last link of this member's restarts: the apiserver and both controllers are up. */
    readonly ready: pulumi.Resource;

    /** `name` is `<control plane>-<host>`, the prefix of every child's name. */
    constructor(name: string, args: ControlPlaneMemberArgs, opts: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:ControlPlaneMember", name, {}, opts);
        const { host, plan, shared } = args;
        const member: MemberEndpoint = { name: host.name, address: host.address };
        const child = { parent: this };
        const p = CP_PATHS;
        // The engine applies the member's dependsOn to none of its children: each file's content
        // waits for the guards itself (keeping its secrecy), each certificate through its dependsOn.
        const guarded = (content: pulumi.Input<string>) => pulumi.all([pulumi.all(args.guards.map((g) => g.urn)), content]).apply(([, c]) => c);
        const file = (path: string, content: pulumi.Input<string>, mode?: string) =>
            new RemoteFile(`${name}-${pathSlug(path)}`, { host, path, content: guarded(content), mode }, child);

        const releases: InstalledRelease[] =
            args.installed ?? (args.release ?? []).map((r) => new BinaryRelease(`${name}-${r.name}-${r.version}`, releaseArgsFor(host, r), child));
        const binPath = (binary: string) => {
            const found = releases.find((r) => r.paths[binary] !== undefined);
            if (!found) throw new pulumi.ResourceError(`no release handed to ${host.name} holds ${binary}`, this);
            return found.paths[binary];
        };
        const paths = Object.fromEntries(BINARIES.map((b) => [b, binPath(b)])) as Record<(typeof BINARIES)[number], string>;

        const sans = apiserverServingSans(plan, member);
        const serving = new Certificate(
            `${name}-apiserver`,
            {
                ca: shared.ca,
                profile: "server",
                commonName: "kube-apiserver",
                dnsNames: sans.dnsNames,
                ipAddresses: sans.ipAddresses,
                algorithm: args.keyAlgorithm,
                validityHours: args.certificateValidityHours,
                rotation: plan.certificateRotation,
            },
            { ...child, dependsOn: args.guards },
        );
        this.servingCertificateExpiry = serving.validityEndTime;

        // Written in the order the services need them; each list's hashes restart its service in turn.
        const caFile = file(p.caCert, shared.ca.certPem);
        const serviceAccountKey = file(p.serviceAccountKey, shared.serviceAccountKeyPem, "0600");
        const apiserverFiles = [
            caFile,
            file(p.apiserverCert, serving.certPem),
            file(p.apiserverKey, serving.privateKeyPem, "0600"),
            file(p.kubeletClientCert, shared.kubeletClient.certPem),
            file(p.kubeletClientKey, shared.kubeletClient.privateKeyPem, "0600"),
            file(p.etcdCaCert, shared.etcdCaCertPem),
            file(p.etcdClientCert, shared.etcdClient.certPem),
            file(p.etcdClientKey, shared.etcdClient.privateKeyPem, "0600"),
            file(p.frontProxyCaCert, shared.frontProxyCaCertPem),
            file(p.frontProxyClientCert, shared.frontProxyClient.certPem),
            file(p.frontProxyClientKey, shared.frontProxyClient.privateKeyPem, "0600"),
            file(p.serviceAccountPub, shared.serviceAccountPubPem),
            serviceAccountKey,
            file(p.encryptionConfig, shared.encryptionConfig, "0600"),
            ...(shared.auditPolicy !== undefined ? [file(p.auditPolicy, shared.auditPolicy)] : []),
            file(
                p.apiserverEnv,
                pulumi.output(args.etcdEndpoints).apply((endpoints) => renderApiserverEnv(apiserverFlags(plan, member, endpoints))),
            ),
        ];
        // The controllers talk to their own host's apiserver: when it restarts, the other host's hold the leases.
        const localServer = `https://${member.address}:${plan.apiserverPort}`;
        const controllerManagerFiles = [
            caFile,
            file(p.caKey, shared.ca.privateKeyPem, "0600"),
            serviceAccountKey,
            file(p.controllerManagerKubeconfig, shared.kubeconfig("system:kube-controller-manager", localServer, shared.controllerManagerClient), "0600"),
            file(p.controllerManagerEnv, renderControllerManagerEnv(controllerManagerFlags(plan, member))),
        ];
        const schedulerFiles = [
            file(p.schedulerKubeconfig, shared.kubeconfig("system:kube-scheduler", localServer, shared.schedulerClient), "0600"),
            file(p.schedulerConfig, renderSchedulerConfig(plan)),
            file(p.schedulerEnv, renderSchedulerEnv(schedulerFlags(plan))),
        ];

        const releaseReady = releases.flatMap((r) => [r.checksum, r.command.urn]);
        const hashes = (files: RemoteFile[]) => files.map((f) => f.contentHash);
        const service = (unit: string, text: string, files: RemoteFile[], after: pulumi.Input<unknown>[] = []) =>
            new SystemdUnit(
                `${name}-${unit.replace(/\.service$/, "")}`,
                { host, name: unit, content: gate([...args.startAfter, ...releaseReady, ...hashes(files), ...after], text) },
                child,
            );

        // The apiserver first; the controllers start once it answers (they would only crash-loop before).
        const apiserver = service(APISERVER_UNIT, renderApiserverUnit(paths["kube-apiserver"]), apiserverFiles);
        const behindLoadBalancer = plan.endpoint.host !== member.address;
        const apiserverLink = args.chain.add(
            `${name}-apiserver`,
            {
                host,
                unit: APISERVER_UNIT,
                restartOn: [...releases.map((r) => r.checksum), ...hashes(apiserverFiles)],
                ready: {
                    description: `kube-apiserver ready on ${host.name}`,
                    // Behind a load balancer, ready means back in its rotation too.
                    check: behindLoadBalancer
                        ? renderApiserverBackInRotationCheck(plan.apiserverPort, plan.endpoint)
                        : renderApiserverReadyCheck(plan.apiserverPort),
                    timeoutSeconds: plan.readyTimeoutSeconds,
                },
                after: [apiserver],
                // The load balancer then sends new connections to the other apiservers while this one stops and starts.
                refuseConnectionsOn: behindLoadBalancer ? plan.apiserverPort : undefined,
            },
            child,
        );
        const controllerManager = service(CONTROLLER_MANAGER_UNIT, renderControllerManagerUnit(paths["kube-controller-manager"]), controllerManagerFiles, [
            apiserverLink.ready.command.urn,
        ]);
        args.chain.add(
            `${name}-controller-manager`,
            {
                host,
                unit: CONTROLLER_MANAGER_UNIT,
                restartOn: [...releases.map((r) => r.checksum), ...hashes(controllerManagerFiles)],
                ready: { description: `kube-controller-manager healthy on ${host.name}`, check: renderControllerReadyCheck(CONTROLLER_MANAGER_PORT) },
                after: [controllerManager],
            },
            child,
        );
        const scheduler = service(SCHEDULER_UNIT, renderSchedulerUnit(paths["kube-scheduler"]), schedulerFiles, [apiserverLink.ready.command.urn]);
        const schedulerLink = args.chain.add(
            `${name}-scheduler`,
            {
                host,
                unit: SCHEDULER_UNIT,
                restartOn: [...releases.map((r) => r.checksum), ...hashes(schedulerFiles)],
                ready: { description: `kube-scheduler healthy on ${host.name}`, check: renderControllerReadyCheck(SCHEDULER_PORT) },
                after: [scheduler],
            },
            child,
        );
        this.ready = schedulerLink.ready;
        this.registerOutputs({ servingCertificateExpiry: this.servingCertificateExpiry });
    }
}
