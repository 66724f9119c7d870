import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import {
    argsError,
    BinaryRelease,
    gate,
    ImageArchive,
    type InstalledRelease,
    releaseArgsFor,
    remoteScript,
    RemoteFile,
    RestartChain,
    SystemdUnit,
} from "../host";
import { pathSlug } from "../host/names";
import { Certificate } from "../pki";
import type { WorkerNodeArgs } from "./args";
import { CONTAINERD_UNIT, KUBE_PROXY_UNIT, KUBE_PROXY_USER, KUBELET_UNIT, NODE_PATHS } from "./layout";
import { KUBE_PROXY_HEALTH_PORT } from "./needs";
import { NODE_BINARIES, planWorkerNode } from "./plan";
import { renderBridgeConflist } from "./render-cni";
import { renderContainerdConfig, renderContainerdUnit } from "./render-containerd";
import { renderKubeProxyConfig, renderKubeProxyKubeconfig, renderKubeProxyUnit } from "./render-kube-proxy";
import { kubeletServingSans, renderBootstrapKubeconfig, renderKubeletConfig, renderKubeletEnv, renderKubeletUnit } from "./render-kubelet";
import { renderPreflight } from "./render-preflight";
import { renderNodeRemovalScript } from "./render-removal";
import { renderUpgradeDrainScript, renderUpgradeUncordonScript } from "./render-upgrade";

/** The kubelet's health endpoint (healthzBindAddress and healthzPort, the kubelet's defaults). */
export const KUBELET_HEALTHZ_URL = "http://127.0.0.1:10248/healthz";

/** Bash that exits 0 once containerd answers on its socket. */
export function renderContainerdReadyCheck(ctrPath = "ctr"): string {
    return `${ctrPath} --address ${NODE_PATHS.containerdSocket} version >/dev/null`;
}

/** Bash that exits 0 once the kubelet is healthy (which it is only after its client certificate was issued). */
export function renderKubeletReadyCheck(): string {
    return `curl -fsS --max-time 5 ${KUBELET_HEALTHZ_URL} >/dev/null`;
}

/** Bash that exits 0 once kube-proxy is alive. */
export function renderKubeProxyReadyCheck(): string {
    return `curl -fsS --max-time 5 http://127.0.0.1:${KUBE_PROXY_HEALTH_PORT}/livez >/dev/null`;
}

/**
 * One Kubernetes node: containerd, the kubelet and kube-proxy under systemd on a host. A preflight
 * checks the host fits the options before anything on it changes. The kubelet joins with the
 * bootstrap token (its client certificate comes from TLS bootstrapping, approved automatically)
 * and serves with a certificate issued here from the cluster CA, so the apiservers verify it
 * from the first start. The images listed are imported before the kubelet starts. A changed file
 * restarts only the services that read it (containerd, then the kubelet, then kube-proxy, each
 * waiting for the previous to be healthy again).
 */
export class WorkerNode extends pulumi.ComponentResource {
    /** The Node's name; resolves once the kubelet is healthy (it has its client certificate). */
    readonly nodeName: pulumi.Output<string>;
    /** Expiry (RFC 3339) of the kubelet's serving certificate. */
    readonly servingCertificateExpiry: pulumi.Output<string>;
    /** Expiry (RFC 3339) of kube-proxy's client certificate. */
    readonly kubeProxyCertificateExpiry: pulumi.Output<string>;
    /** The last readiness gate: kube-proxy alive after the kubelet (for dependsOn). */
    readonly ready: pulumi.Resource;

    constructor(name: string, args: WorkerNodeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:WorkerNode", name, {}, opts);
        const { plan, issues, warnings } = planWorkerNode(name, args);
        if (issues.length > 0) throw argsError(this, "WorkerNode", name, issues);
        for (const w of warnings) pulumi.log.warn(`WorkerNode ${name}: ${w.path}: ${w.message} (${w.hint})`, this);
        const { host } = args;
        const child = { parent: this };
        // The engine applies a component's dependsOn to none of its children: the preflight waits for them itself.
        const preflight = new command.remote.Command(
            `${name}-preflight`,
            {
                connection: host.connection,
                create: remoteScript(host, renderPreflight(plan)),
                update: remoteScript(host, renderPreflight(plan)),
                logging: "stderr",
            },
            { ...child, dependsOn: opts?.dependsOn },
        );
        const afterPreflight = <T>(content: pulumi.Input<T>) => pulumi.all([preflight.stdout, content]).apply(([, c]) => c);
        const file = (path: string, content: pulumi.Input<string>, mode?: string) =>
            new RemoteFile(`${name}-${pathSlug(path)}`, { host, path, content: afterPreflight(content), mode }, child);

        const releases: InstalledRelease[] =
            args.installed ??
            (args.release ?? []).map((r) => new BinaryRelease(`${name}-${r.name}-${r.version}`, releaseArgsFor(host, r), { ...child, dependsOn: [preflight] }));
        const binPath = (binary: string) => {
            const found = releases.find((r) => r.paths[binary] !== undefined);
            if (!found) throw new pulumi.ResourceError(`no release handed to ${host.name} holds ${binary}`, this);
            return found.paths[binary];
        };
        const paths = Object.fromEntries(NODE_BINARIES.map((b) => [b, binPath(b)])) as Record<(typeof NODE_BINARIES)[number], string>;
        const ctr = releases.find((r) => r.paths.ctr !== undefined)?.paths.ctr ?? "ctr";
        const releaseOf = (binary: string) => releases.filter((r) => r.paths[binary] !== undefined);
        const releaseReady = (binaries: string[]) => binaries.flatMap(releaseOf).flatMap((r) => [r.checksum, r.command.urn]);

        const certificate = (certName: string, extra: { profile: "server" | "client"; commonName: string; dnsNames?: string[]; ipAddresses?: string[] }) =>
            new Certificate(
                `${name}-${certName}`,
                {
                    ca: args.ca,
                    ...extra,
                    algorithm: args.keyAlgorithm,
                    validityHours: args.certificateValidityHours,
                    rotation: args.certificateRotation,
                },
                child,
            );
        const sans = kubeletServingSans(plan);
        const serving = certificate("kubelet-serving", { profile: "server", commonName: `system:node:${plan.name}`, ...sans });
        const proxyClient = certificate("kube-proxy", { profile: "client", commonName: KUBE_PROXY_USER });
        this.servingCertificateExpiry = serving.validityEndTime;
        this.kubeProxyCertificateExpiry = proxyClient.validityEndTime;

        const p = NODE_PATHS;
        const containerdFiles = [file(p.containerdConfig, renderContainerdConfig(plan, paths.runc))];
        const cniFiles = plan.podSubnet !== undefined ? [file(p.bridgeConflist, renderBridgeConflist(plan))] : [];
        const kubeletFiles = [
            file(p.kubeletCaCert, args.ca.certPem),
            file(p.kubeletServingCert, serving.certPem),
            file(p.kubeletServingKey, serving.privateKeyPem, "0600"),
            file(
                p.bootstrapKubeconfig,
                pulumi.secret(pulumi.all([args.ca.certPem, args.bootstrapToken]).apply(([ca, token]) => renderBootstrapKubeconfig(plan, ca, token))),
                "0600",
            ),
            file(p.kubeletConfig, renderKubeletConfig(plan)),
            file(p.kubeletEnv, renderKubeletEnv(plan)),
        ];
        const kubeProxyFiles = [
            file(
                p.kubeProxyKubeconfig,
                pulumi.secret(
                    pulumi
                        .all([args.ca.certPem, proxyClient.certPem, proxyClient.privateKeyPem])
                        .apply(([ca, cert, key]) => renderKubeProxyKubeconfig(plan, ca, cert, key)),
                ),
                "0600",
            ),
            file(p.kubeProxyConfig, renderKubeProxyConfig(plan)),
        ];

        const hashes = (files: RemoteFile[]) => files.map((f) => f.contentHash);
        const service = (unit: string, text: string, after: pulumi.Input<unknown>[]) =>
            new SystemdUnit(`${name}-${unit.replace(/\.service$/, "")}`, { host, name: unit, content: gate(after, text) }, child);
        const chain = new RestartChain();

        const containerdBinaries = ["containerd", "containerd-shim-runc-v2", "runc"];
        const containerd = service(CONTAINERD_UNIT, renderContainerdUnit(paths.containerd), [...releaseReady(containerdBinaries), ...hashes(containerdFiles)]);
        const containerdLink = chain.add(
            `${name}-containerd`,
            {
                host,
                unit: CONTAINERD_UNIT,
                restartOn: [...releaseOf("containerd").map((r) => r.checksum), ...releaseOf("runc").map((r) => r.checksum), ...hashes(containerdFiles)],
                ready: { description: `containerd answers on ${host.name}`, check: renderContainerdReadyCheck(ctr) },
                after: [containerd],
            },
            child,
        );

        // Images need containerd; the kubelet starts once they are in (the sandbox image above all).
        const images = (args.images ?? []).map(
            (image) =>
                new ImageArchive(
                    `${name}-image-${image.ref.replace(/^.*\//, "").replace(/[^A-Za-z0-9._-]+/g, "-")}`,
                    { host, ref: image.ref, url: image.url, localPath: image.localPath, sha256: image.sha256, digest: image.digest },
                    { ...child, dependsOn: [containerdLink.ready] },
                ),
        );

        // Before the kubelet restarts on another version, the node is drained (nothing on create:
        // the scripts name the version, so an upgrade is an update; they check the Node themselves).
        const kubectlRelease = releaseOf("kubectl").map((r) => r.command);
        const upgradeCommand = (step: string, script: string, dependsOn: pulumi.Resource[]) =>
            new command.remote.Command(
                `${name}-upgrade-${step}`,
                { connection: host.connection, update: remoteScript(host, script), stdin: pulumi.secret(args.upgrade!.kubeconfig), logging: "stdoutAndStderr" },
                { ...child, dependsOn },
            );
        const drain = args.upgrade
            ? upgradeCommand("drain", renderUpgradeDrainScript(plan, binPath("kubectl")), [
                  preflight,
                  ...kubectlRelease,
                  ...releaseOf("kubelet").map((r) => r.command),
              ])
            : undefined;

        const kubelet = service(KUBELET_UNIT, renderKubeletUnit(paths.kubelet), [
            containerdLink.ready.command.urn,
            ...releaseReady(["kubelet"]),
            ...hashes([...cniFiles, ...kubeletFiles]),
            ...images.map((i) => i.digest),
        ]);
        const kubeletLink = chain.add(
            `${name}-kubelet`,
            {
                host,
                unit: KUBELET_UNIT,
                restartOn: [...releaseOf("kubelet").map((r) => r.checksum), ...hashes(kubeletFiles)],
                ready: { description: `the kubelet is healthy on ${host.name}`, check: renderKubeletReadyCheck(), timeoutSeconds: 300 },
                after: [kubelet, ...(drain ? [drain] : [])],
            },
            child,
        );
        const kubeProxy = service(KUBE_PROXY_UNIT, renderKubeProxyUnit(paths["kube-proxy"]), [...releaseReady(["kube-proxy"]), ...hashes(kubeProxyFiles)]);
        const kubeProxyLink = chain.add(
            `${name}-kube-proxy`,
            {
                host,
                unit: KUBE_PROXY_UNIT,
                restartOn: [...releaseOf("kube-proxy").map((r) => r.checksum), ...hashes(kubeProxyFiles)],
                ready: { description: `kube-proxy is alive on ${host.name}`, check: renderKubeProxyReadyCheck() },
                after: [kubeProxy],
            },
            child,
        );
        if (args.removal) {
            // Nothing at create; deleted first of all (it depends on the running services and kubectl), it drains the node.
            new command.remote.Command(
                `${name}-removal`,
                {
                    connection: host.connection,
                    delete: remoteScript(host, renderNodeRemovalScript(plan, binPath("kubectl"), ctr)),
                    stdin: pulumi.secret(args.removal.kubeconfig),
                    logging: "stdoutAndStderr",
                },
                { ...child, dependsOn: [kubeletLink.ready, kubeProxyLink.ready, ...kubectlRelease] },
            );
        }
        // Once the kubelet and kube-proxy are back, the node takes pods again and gives its slot back.
        if (args.upgrade) upgradeCommand("uncordon", renderUpgradeUncordonScript(plan, binPath("kubectl")), [kubeProxyLink.ready]);
        this.ready = kubeProxyLink.ready;
        this.nodeName = kubeletLink.ready.whenReady(plan.name);
        this.registerOutputs({ nodeName: this.nodeName, servingCertificateExpiry: this.servingCertificateExpiry });
    }
}
