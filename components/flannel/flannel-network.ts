import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as ipaddr from "ipaddr.js";
import { argsError, BinaryRelease, gate, type Host, type InstalledRelease, releaseArgsFor, remoteScript, RemoteFile, RestartChain, SystemdUnit } from "../host";
import { pathSlug } from "../host/names";
import { Certificate } from "../pki";
import { SYSTEMD_HEALTHZ_PORT, type FlannelNetworkArgs } from "./args";
import { kubeFlannelObjects } from "./daemonset";
import { FLANNEL_PATHS, FLANNEL_USER, FLANNELD_UNIT } from "./layout";
import { flannelSettings, planFlannel, type FlannelNodePlan, type FlannelPlan } from "./plan";
import { flannelClusterRole, flannelClusterRoleBinding } from "./rbac";
import { renderCniConflist } from "./render-cni";
import { renderEtcdConfigScript } from "./render-etcd-config";
import { renderFlanneldEnv, renderFlanneldKubeconfig, renderFlanneldUnit } from "./render-flanneld";
import { renderNetConf } from "./render-net-conf";
import { renderPreflight } from "./render-preflight";
import { renderSubnetCheckScript } from "./render-subnet-check";
import {
    renderGuardedPreflight,
    renderSettingsReadScript,
    renderSettingsRecord,
    renderSettingsRemoveScript,
    renderSettingsWriteScript,
    settingsChangeIssues,
} from "./settings-guard";

/** The etcd client certificate's user (mode systemd-etcd; etcd checks only that its CA signed it). */
export const FLANNEL_ETCD_USER = "flannel";

/** Bash that exits 0 once flanneld under systemd is healthy and has written its subnet file. */
export function renderFlanneldReadyCheck(): string {
    return `curl -fsS --max-time 5 http://127.0.0.1:${SYSTEMD_HEALTHZ_PORT}/healthz >/dev/null && test -s ${FLANNEL_PATHS.subnetEnv}`;
}

/**
 * The pod network of a cluster with flannel, in one of three modes: the kube-flannel DaemonSet,
 * flanneld under systemd with the kube subnet manager, or flanneld under systemd keeping its
 * config and leases in etcd. On every node given: the applied settings are read back first and a
 * refused change of mode, backend or pod range fails there (see {@link planFlannelChange}), a
 * preflight checks the host fits the backend, flannel's CNI network is written once flannel runs,
 * and a check that the node's subnet agrees with `podCidr` and `subnetLen` gates the settings'
 * new record. Under systemd, a changed file or release restarts flanneld one node at a time.
 */
export class FlannelNetwork extends pulumi.ComponentResource {
    /** The last readiness gates (for dependsOn): every node's subnet check, or the DaemonSet rolled out when no nodes are given. */
    readonly ready: pulumi.Resource[];
    /** Each node's pod subnet as flannel holds it (subnet.env), by node name; resolves once flannel runs there. Empty without nodes. */
    readonly subnets: pulumi.Output<Record<string, string>>;
    /** Expiry (RFC 3339) of flanneld's client certificates (systemd modes), by "kube-client" or "etcd-client". */
    readonly certificateExpiry: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: FlannelNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:FlannelNetwork", name, {}, opts);
        const { plan, issues, warnings } = planFlannel(name, args);
        if (issues.length > 0) throw argsError(this, "FlannelNetwork", name, issues);
        for (const w of warnings) pulumi.log.warn(`FlannelNetwork ${name}: ${w.path}: ${w.message} (${w.hint})`, this);
        const child = { parent: this };
        const hosts = new Map((args.nodes ?? []).map((n) => [n.host.name, n.host]));
        const record = renderSettingsRecord(flannelSettings(plan));

        // Every node reads back the settings it was deployed with; a refused change fails before anything changes.
        // The engine applies a component's dependsOn to none of its children: these steps wait for them themselves.
        const checked = new Map(
            plan.nodes.map((node) => {
                const host = hosts.get(node.name)!;
                const read = new command.remote.Command(
                    `${name}-${node.name}-settings-read`,
                    { connection: host.connection, create: remoteScript(host, renderSettingsReadScript()), stdin: record, logging: "stderr" },
                    { ...child, dependsOn: opts?.dependsOn },
                );
                // A refused change fails this step on the host, with what and how, before anything else changes.
                const script = read.stdout.apply((recorded) =>
                    remoteScript(host, renderGuardedPreflight(name, node.name, settingsChangeIssues(recorded ?? "", plan), renderPreflight(plan, node))),
                );
                const preflight = new command.remote.Command(
                    `${name}-${node.name}-preflight`,
                    { connection: host.connection, create: script, update: script, stdin: record, logging: "stderr" },
                    { ...child, dependsOn: [read] },
                );
                return [node.name, preflight] as const;
            }),
        );
        const preflights = [...checked.values()];
        const afterChecks = [...preflights, ...dependsOnList(opts?.dependsOn)];

        // In-cluster objects: the same resource names in both kube modes, so a mode change updates them in place.
        let rbacReady: pulumi.Resource[] = [];
        let daemonSet: k8s.apps.v1.DaemonSet | undefined;
        if (plan.mode !== "systemd-etcd") {
            const inCluster = { ...child, ...inClusterOpts(args), dependsOn: afterChecks };
            const role = new k8s.rbac.v1.ClusterRole(`${name}-cluster-role`, flannelClusterRole(plan.mode), inCluster);
            const binding = new k8s.rbac.v1.ClusterRoleBinding(`${name}-cluster-role-binding`, flannelClusterRoleBinding(plan.mode), {
                ...inCluster,
                dependsOn: [...afterChecks, role],
            });
            rbacReady = [role, binding];
        }
        if (plan.mode === "daemonset")
            daemonSet = this.deployDaemonSet(name, plan, { ...inClusterOpts(args), ...child, dependsOn: [...afterChecks, ...rbacReady] });

        // Mode systemd: flanneld's credentials, and (etcd) the network config it reads.
        const certificate = (certName: string, ca: NonNullable<FlannelNetworkArgs["ca"]>, commonName: string) =>
            new Certificate(
                `${name}-${certName}`,
                {
                    ca,
                    profile: "client",
                    commonName,
                    algorithm: args.keyAlgorithm,
                    validityHours: args.certificateValidityHours,
                    rotation: args.certificateRotation,
                },
                child,
            );
        const kubeClient = plan.mode === "systemd-kube" ? certificate("kube-client", args.ca!, FLANNEL_USER) : undefined;
        const etcdClient = plan.mode === "systemd-etcd" ? certificate("etcd-client", args.etcd!.ca, FLANNEL_ETCD_USER) : undefined;
        let etcdConfig: command.remote.Command | undefined;
        if (plan.mode === "systemd-etcd") {
            const configHost = args.etcd!.configHost;
            etcdConfig = new command.remote.Command(
                `${name}-etcd-config`,
                {
                    connection: configHost.connection,
                    create: remoteScript(configHost, renderEtcdConfigScript(plan)),
                    update: remoteScript(configHost, renderEtcdConfigScript(plan)),
                    logging: "stderr",
                },
                { ...child, dependsOn: afterChecks },
            );
        }
        const expiry: Record<string, pulumi.Output<string>> = {};
        if (kubeClient) expiry["kube-client"] = kubeClient.validityEndTime;
        if (etcdClient) expiry["etcd-client"] = etcdClient.validityEndTime;
        this.certificateExpiry = pulumi.all(expiry);

        // Each node: flanneld (systemd), then the conflist, the subnet check and the new record.
        const chain = new RestartChain();
        const subnets: Record<string, pulumi.Output<string>> = {};
        const ready: pulumi.Resource[] = [];
        for (const node of plan.nodes) {
            const host = hosts.get(node.name)!;
            const preflight = checked.get(node.name)!;
            let running: pulumi.Resource[];
            if (plan.mode === "daemonset") running = [daemonSet!];
            else {
                const installed = this.releasesOn(name, host, node, args, preflight);
                running = [
                    this.runFlanneld(name, plan, node, host, installed, {
                        preflight,
                        chain,
                        caPem: plan.mode === "systemd-kube" ? args.ca!.certPem : args.etcd!.ca.certPem,
                        kubeClient,
                        etcdClient,
                        after: [...rbacReady, ...(etcdConfig ? [etcdConfig] : [])],
                    }),
                ];
            }
            const afterRunning = <T>(content: T) =>
                gate(
                    running.map((r) => r.urn),
                    content,
                );
            const conflist = new RemoteFile(
                `${name}-${node.name}-${pathSlug(FLANNEL_PATHS.conflist)}`,
                { host, path: FLANNEL_PATHS.conflist, content: afterRunning(renderCniConflist()) },
                child,
            );
            const subnetCheck = new command.remote.Command(
                `${name}-${node.name}-subnet`,
                {
                    connection: host.connection,
                    create: remoteScript(host, renderSubnetCheckScript(plan)),
                    update: remoteScript(host, renderSubnetCheckScript(plan)),
                    stdin: record,
                    logging: "stderr",
                },
                { ...child, dependsOn: [...running, conflist] },
            );
            new command.remote.Command(
                `${name}-${node.name}-settings-record`,
                {
                    connection: host.connection,
                    create: remoteScript(host, renderSettingsWriteScript()),
                    update: remoteScript(host, renderSettingsWriteScript()),
                    delete: remoteScript(host, renderSettingsRemoveScript()),
                    stdin: record,
                    logging: "stderr",
                },
                { ...child, dependsOn: [subnetCheck] },
            );
            subnets[node.name] = subnetCheck.stdout.apply(subnetOf);
            ready.push(subnetCheck);
        }
        this.ready = ready.length > 0 ? ready : daemonSet ? [daemonSet] : [];
        this.subnets = pulumi.all(subnets);
        this.registerOutputs({ subnets: this.subnets, certificateExpiry: this.certificateExpiry });
    }

    /** The kube-flannel objects; the DaemonSet's creation waits for every node's flannel pod to be ready. */
    private deployDaemonSet(name: string, plan: FlannelPlan, opts: pulumi.CustomResourceOptions): k8s.apps.v1.DaemonSet {
        const o = kubeFlannelObjects(plan);
        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, o.namespace, opts);
        const inNamespace = { ...opts, dependsOn: [...dependsOnList(opts.dependsOn), namespace] };
        const serviceAccount = new k8s.core.v1.ServiceAccount(`${name}-service-account`, o.serviceAccount, inNamespace);
        const configMap = new k8s.core.v1.ConfigMap(`${name}-config`, o.configMap, inNamespace);
        return new k8s.apps.v1.DaemonSet(`${name}-daemonset`, o.daemonSet, {
            ...inNamespace,
            dependsOn: [...inNamespace.dependsOn, serviceAccount, configMap],
            customTimeouts: { create: "5m", update: "5m" },
        });
    }

    /** The releases flanneld and the CNI plugin come from on a node: the installed ones, or installed here. */
    private releasesOn(name: string, host: Host, node: FlannelNodePlan, args: FlannelNetworkArgs, preflight: pulumi.Resource): InstalledRelease[] {
        return (
            args.installed?.[node.name] ??
            (args.release ?? []).map(
                (r) => new BinaryRelease(`${name}-${node.name}-${r.name}-${r.version}`, releaseArgsFor(host, r), { parent: this, dependsOn: [preflight] }),
            )
        );
    }

    /** flanneld under systemd on one node: its files, the unit, and its link in the rolling restart chain. Returns the link's readiness gate. */
    private runFlanneld(
        name: string,
        plan: FlannelPlan,
        node: FlannelNodePlan,
        host: Host,
        installed: InstalledRelease[],
        with_: {
            preflight: pulumi.Resource;
            chain: RestartChain;
            /** The CA flanneld trusts: the cluster's (systemd-kube) or etcd's (systemd-etcd). */
            caPem: pulumi.Input<string>;
            kubeClient?: Certificate;
            etcdClient?: Certificate;
            after: pulumi.Resource[];
        },
    ): pulumi.Resource {
        const child = { parent: this };
        const prefix = `${name}-${node.name}`;
        const file = (path: string, content: pulumi.Input<string>, mode?: string) =>
            new RemoteFile(`${prefix}-${pathSlug(path)}`, { host, path, content: pulumi.all([with_.preflight.urn, content]).apply(([, c]) => c), mode }, child);
        const flanneldRelease = installed.find((r) => r.paths.flanneld !== undefined);
        if (!flanneldRelease) throw new pulumi.ResourceError(`no release handed to ${node.name} holds flanneld`, this);
        const files = [file(FLANNEL_PATHS.env, renderFlanneldEnv(plan, node))];
        if (plan.mode === "systemd-kube") {
            const c = with_.kubeClient!;
            files.push(
                file(FLANNEL_PATHS.netConf, renderNetConf(plan)),
                file(
                    FLANNEL_PATHS.kubeconfig,
                    pulumi.secret(
                        pulumi.all([with_.caPem, c.certPem, c.privateKeyPem]).apply(([ca, cert, key]) => renderFlanneldKubeconfig(plan, ca, cert, key)),
                    ),
                    "0600",
                ),
            );
        } else {
            const c = with_.etcdClient!;
            files.push(
                file(FLANNEL_PATHS.etcdCaCert, with_.caPem),
                file(FLANNEL_PATHS.etcdClientCert, c.certPem),
                file(FLANNEL_PATHS.etcdClientKey, c.privateKeyPem, "0600"),
            );
        }
        const hashes = files.map((f) => f.contentHash);
        const unit = new SystemdUnit(
            `${prefix}-flanneld`,
            {
                host,
                name: FLANNELD_UNIT,
                content: gate(
                    [flanneldRelease.checksum, flanneldRelease.command.urn, ...hashes, ...with_.after.map((r) => r.urn)],
                    renderFlanneldUnit(flanneldRelease.paths.flanneld),
                ),
            },
            child,
        );
        const link = with_.chain.add(
            `${prefix}-flanneld`,
            {
                host,
                unit: FLANNELD_UNIT,
                restartOn: [flanneldRelease.checksum, ...hashes],
                ready: { description: `flanneld is healthy and wrote ${FLANNEL_PATHS.subnetEnv} on ${node.name}`, check: renderFlanneldReadyCheck() },
                after: [unit],
            },
            child,
        );
        return link.ready;
    }
}

/** The node's subnet (10.244.1.0/24) from subnet.env's FLANNEL_SUBNET (the bridge's address, 10.244.1.1/24); empty when the check printed nothing (a preview). */
function subnetOf(printed: string): string {
    const text = printed.trim();
    if (!ipaddr.IPv4.isValidCIDR(text)) return text;
    const [, len] = ipaddr.IPv4.parseCIDR(text);
    return `${ipaddr.IPv4.networkAddressFromCIDR(text).toString()}/${len}`;
}

/** The explicit provider of the in-cluster objects, when the Args give one (else they inherit the component's). */
function inClusterOpts(args: FlannelNetworkArgs): pulumi.CustomResourceOptions {
    return args.provider ? { provider: args.provider } : {};
}

/** A dependsOn option as a list (the Input forms are not awaited here: components pass resources). */
function dependsOnList(d: pulumi.ResourceOptions["dependsOn"]): pulumi.Resource[] {
    if (d === undefined) return [];
    return (Array.isArray(d) ? d : [d]) as pulumi.Resource[];
}
