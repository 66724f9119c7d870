import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { BinaryRelease, gate, Host, InstalledRelease, releaseArgsFor, remoteScript, RemoteFile, RestartChain, SystemdUnit } from "../host";
import { pathSlug } from "../host/names";
import { CaKeyPair, Certificate, KeyAlgorithm } from "../pki";
import type { EtcdReleaseArgs } from "./args";
import { BACKUP_SERVICE, BACKUP_TIMER, ETCD_PATHS, ETCD_UNIT, memberUrl, type MemberEndpoint } from "./layout";
import { etcdReleaseNeed } from "./needs";
import type { EtcdPlan } from "./plan";
import { renderBackupScript, renderBackupService, renderBackupTimer } from "./render-backup";
import { renderBootstrapEnv, renderEtcdctlEnv, renderInitialCluster, renderMemberEnv } from "./render-env";
import { renderClusterHealthyCheck } from "./render-health";
import { parseJoinOutput, renderJoinScript, renderLeaveScript, renderRestoreScript } from "./render-scripts";
import { renderEtcdUnit } from "./render-unit";

/** Arguments of {@link EtcdMember}: its cluster's plan and shared parts, handed down by EtcdCluster. */
export interface EtcdMemberArgs {
    /** The member's host (its name is the member name). */
    host: Host;
    /** The cluster's checked plan. */
    plan: EtcdPlan;
    /** The authority signing the member's certificates. */
    ca: CaKeyPair;
    /** The cluster's client certificate: every member holds it for etcdctl (scripts, backups, operators). */
    client: Certificate;
    /** Key algorithm of the member's server and peer keys. Default: the PKI's (ECDSA P-256). */
    keyAlgorithm?: KeyAlgorithm;
    /** Lifetime of the member's certificates, in hours. Default: the PKI's. */
    certificateValidityHours?: number;
    /** The release to install when none is handed over. */
    release: EtcdReleaseArgs;
    /** The release already installed on the host. Default: the member installs `release` itself. */
    installed?: InstalledRelease;
    /** The cluster's rolling chain: the member joins after its last link and adds its own restart. */
    chain: RestartChain;
}

/**
 * One etcd member on one host: its release, certificates, files and unit, how it starts the first
 * time (new cluster, restored snapshot, or joining the running one), its link of the cluster's
 * rolling restart, leaving the cluster on removal, and its backup timer.
 */
export class EtcdMember extends pulumi.ComponentResource {
    /** Expiry (RFC 3339) of the member's certificates, by "server" and "peer". */
    readonly certificateExpiry: Record<"server" | "peer", pulumi.Output<string>>;

    /** `name` is `<cluster>-<member>`, the prefix of every child's name. `opts.parent` is the cluster. */
    constructor(name: string, args: EtcdMemberArgs, opts: pulumi.ComponentResourceOptions & { parent: pulumi.Resource }) {
        super("k8s-binary:index:EtcdMember", name, {}, opts);
        const { host, plan, ca, client } = args;
        const member: MemberEndpoint = { name: host.name, address: host.address };
        // The children were the cluster's own before members had a component: the alias keeps
        // their URNs, so an existing cluster is adopted, not replaced (which would remove members).
        const child = { parent: this, aliases: [{ parent: opts.parent }] };
        const file = (path: string, content: pulumi.Input<string>, mode?: string) =>
            new RemoteFile(`${name}-${pathSlug(path)}`, { host, path, content, mode }, child);

        const release: InstalledRelease = args.installed ?? new BinaryRelease(`${name}-etcd`, releaseArgsFor(host, etcdReleaseNeed(args.release)), child);

        // etcd's gRPC gateway dials the member itself with the server certificate, so that
        // certificate needs client auth too (as kubeadm issues it): profile "peer".
        const issued = {
            ca,
            profile: "peer" as const,
            commonName: member.name,
            algorithm: args.keyAlgorithm,
            validityHours: args.certificateValidityHours,
            rotation: plan.certificateRotation[member.name],
        };
        const server = new Certificate(
            `${name}-server`,
            {
                ...issued,
                dnsNames: [member.name, "localhost", ...plan.extraSans.dnsNames],
                ipAddresses: [member.address, "127.0.0.1", ...plan.extraSans.ipAddresses],
            },
            child,
        );
        const peer = new Certificate(`${name}-peer`, { ...issued, dnsNames: [member.name], ipAddresses: [member.address] }, child);
        this.certificateExpiry = { server: server.validityEndTime, peer: peer.validityEndTime };

        const p = ETCD_PATHS;
        const caFile = file(p.caCert, ca.certPem);
        const tlsFiles = [
            caFile,
            file(p.serverCert, server.certPem),
            file(p.serverKey, server.privateKeyPem, "0600"),
            file(p.peerCert, peer.certPem),
            file(p.peerKey, peer.privateKeyPem, "0600"),
        ];
        const clientFiles = [
            caFile,
            file(p.clientCert, client.certPem),
            file(p.clientKey, client.privateKeyPem, "0600"),
            file(p.etcdctlEnv, renderEtcdctlEnv()),
        ];
        const memberEnv = file(p.memberEnv, renderMemberEnv(member, plan));
        // The steps below run etcdctl or etcdutl: after the release and etcdctl's files.
        const tools = [release.command, ...clientFiles.map((f) => f.command)];

        // How this member starts the first time: restored from a snapshot, as part of the new
        // cluster, or by joining the running one.
        const firstStart: pulumi.Resource[] = [];
        let bootstrap: pulumi.Input<string>;
        const initialCluster = renderInitialCluster(
            plan.order.filter((m) => plan.initialMembers.includes(m.name)),
            plan.peerPort,
        );
        if (plan.initialMembers.includes(member.name)) {
            bootstrap = renderBootstrapEnv({ initialCluster, state: "new", token: plan.token });
            if (plan.restoreSnapshotPath !== undefined) {
                firstStart.push(
                    new command.remote.Command(
                        `${name}-restore`,
                        {
                            connection: host.connection,
                            create: remoteScript(
                                host,
                                renderRestoreScript({
                                    member,
                                    snapshotPath: plan.restoreSnapshotPath,
                                    dataDir: plan.dataDir,
                                    peerPort: plan.peerPort,
                                    initialCluster,
                                    token: plan.token,
                                }),
                            ),
                            logging: "stderr",
                        },
                        { ...child, dependsOn: tools },
                    ),
                );
            }
        } else {
            // Joined through the members running before it in chain order.
            const through = plan.order
                .slice(
                    0,
                    plan.order.findIndex((m) => m.name === member.name),
                )
                .map((m) => memberUrl(m.address, plan.clientPort));
            const previous = args.chain.last;
            const join = new command.remote.Command(
                `${name}-join`,
                {
                    connection: host.connection,
                    create: remoteScript(host, renderJoinScript(member, plan.peerPort, plan.dataDir, through)),
                    logging: "stderr",
                },
                {
                    ...child,
                    dependsOn: [...tools, ...(previous ? [previous] : [])],
                    // A member joins once; later member lists must not re-run (or re-add) it.
                    ignoreChanges: ["create"],
                },
            );
            firstStart.push(join);
            bootstrap = join.stdout.apply((out) =>
                renderBootstrapEnv({ initialCluster: parseJoinOutput(out, member.name), state: "existing", token: plan.token }),
            );
        }
        const bootstrapEnv = file(p.bootstrapEnv, bootstrap);

        // The unit's text changes only with the binary's path, so SystemdUnit restarts etcd on
        // nothing else: the chain link below does, in turn. The content waits for everything
        // the first start needs.
        const startsAfter = [
            release.checksum,
            release.command.urn,
            memberEnv.contentHash,
            bootstrapEnv.contentHash,
            ...tlsFiles.map((f) => f.contentHash),
            ...clientFiles.map((f) => f.contentHash),
            ...firstStart.map((r) => r.urn),
        ];
        const unit = new SystemdUnit(
            `${name}-etcd`,
            {
                host,
                name: ETCD_UNIT,
                content: gate(startsAfter, renderEtcdUnit(release.paths.etcd)),
            },
            child,
        );

        args.chain.add(
            name,
            {
                host,
                unit: ETCD_UNIT,
                restartOn: [release.checksum, memberEnv.contentHash, ...tlsFiles.map((f) => f.contentHash)],
                ready: {
                    description: `etcd cluster healthy (after ${member.name})`,
                    check: renderClusterHealthyCheck(plan.clientPort),
                    timeoutSeconds: plan.healthTimeoutSeconds,
                },
                after: [unit],
            },
            child,
        );

        // Delete-only step that depends on the unit, so on removal it runs first: the member
        // leaves the cluster while its service still runs, then SystemdUnit stops it.
        const others = plan.members.filter((m) => m.name !== member.name).map((m) => memberUrl(m.address, plan.clientPort));
        new command.remote.Command(
            `${name}-leave`,
            {
                connection: host.connection,
                delete: remoteScript(host, renderLeaveScript(member, plan, others)),
                logging: "stderr",
            },
            {
                ...child,
                dependsOn: [unit],
                // The script finds the current members itself; the list only backs it up, so
                // adding or removing other hosts does not touch this member's step.
                ignoreChanges: ["delete"],
            },
        );

        if (plan.backup) {
            const script = file(p.backupScript, renderBackupScript(member.name, plan.clientPort, plan.backup), "0755");
            const service = new SystemdUnit(
                `${name}-backup-service`,
                {
                    host,
                    name: BACKUP_SERVICE,
                    content: gate([script.contentHash], renderBackupService()),
                    enable: false,
                },
                child,
            );
            new SystemdUnit(
                `${name}-backup-timer`,
                {
                    host,
                    name: BACKUP_TIMER,
                    content: gate([service.activation.urn, unit.activation.urn], renderBackupTimer(plan.backup.schedule)),
                },
                child,
            );
        }
        this.registerOutputs({ certificateExpiry: this.certificateExpiry });
    }
}
