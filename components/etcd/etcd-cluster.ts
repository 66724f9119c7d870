import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { BinaryRelease, fingerprint, Host, remoteFileName, remoteScript, RemoteFile, SystemdUnit, WaitFor } from "../host";
import { CaKeyPair, Certificate, CertificateAuthority } from "../pki";
import {
    BACKUP_SERVICE, BACKUP_TIMER, memberUrl, ETCD_PATHS, ETCD_UNIT, MemberEndpoint,
    parseJoinOutput, renderBackupScript, renderBackupService, renderBackupTimer, renderBootstrapEnv,
    renderClusterHealthyCheck, renderEtcdctlEnv, renderEtcdUnit, renderInitialCluster, renderJoinScript,
    renderLeaveScript, renderMemberEnv, renderMembersHealthyCheck, renderRestartScript, renderRestoreScript,
} from "./render";
import { EtcdPlan, minorVersion, splitSans, validateEtcdPlan } from "./validate";

/** Where the etcd binaries come from. */
export interface EtcdReleaseArgs {
    /** etcd version installed on every member. Default: "3.5.17". */
    version?: string;
    /**
     * URL of the release tarball, fetched on each member. Default: the GitHub release of `version`
     * for linux-amd64 (https://github.com/etcd-io/etcd/releases/download/v<version>/etcd-v<version>-linux-amd64.tar.gz).
     */
    url?: string;
    /** Path of the tarball on the machine running Pulumi (air-gapped installs), uploaded to each member instead of `url`. Default: unset. */
    localPath?: string;
    /** sha256 (hex) of the tarball, from the release's SHA256SUMS: checked on each host before anything is unpacked. Mandatory. */
    sha256: string;
}

/** Scheduled snapshots on every member. */
export interface EtcdBackupArgs {
    /** Install the backup timer. Default: true. */
    enabled?: boolean;
    /** When to take a snapshot, as a systemd OnCalendar expression. Default: "*-*-* 00/6:00:00" (every six hours). */
    schedule?: string;
    /** How many snapshots each member keeps; older ones are deleted after a successful backup. Default: 8. */
    retention?: number;
    /** Directory of the snapshots on each member (mode 0700). Default: "/var/backups/etcd". */
    directory?: string;
}

/** Restoring a snapshot into a new cluster (see docs/etcd-backup-restore.md). */
export interface EtcdRestoreArgs {
    /**
     * Path of the snapshot file on the host of every initial member (copy it there first). Members
     * whose data dir is empty restore it before their first start; members holding data are left alone.
     */
    snapshotPath: string;
}

/** Arguments of {@link EtcdCluster}. */
export interface EtcdClusterArgs {
    /** The member hosts, each with its SSH connection. Host names become member names and certificate SANs. An odd count is expected. */
    members: Host[];
    /**
     * Names of the members that start the cluster together (initial-cluster-state=new) or that
     * already run it. Every other member joins the running cluster, one at a time, through
     * `etcdctl member add`. Default: all members (a new cluster). To grow a running cluster, list
     * the members it has now and add the new hosts to `members` only.
     */
    initialMembers?: string[];
    /** The etcd certificate authority (certificate and key PEM). Default: a new ECDSA P-256 authority created by the component. */
    ca?: CaKeyPair;
    /** The etcd release to install. */
    release: EtcdReleaseArgs;
    /** The members' data directory (mode 0700). Default: "/var/lib/etcd". */
    dataDir?: string;
    /** Port of the client API (TLS, client certificates required). Default: 2379. */
    clientPort?: number;
    /** Port of the peer API (TLS, client certificates required). Default: 2380. */
    peerPort?: number;
    /** Extra etcd flags by name without dashes, e.g. { "auto-compaction-retention": "8" }; written as ETCD_* variables. Default: none. */
    extraFlags?: Record<string, string>;
    /** initial-cluster-token of a new cluster. Default: the component's name. */
    clusterToken?: string;
    /** CIDR of the hosts' network: a member outside it is an error. Default: unchecked. */
    network?: string;
    /** Extra SANs (DNS names or IPs) on every member's server certificate, e.g. a load-balanced name. Default: none. */
    extraServerSans?: string[];
    /** Per-member rotation lever: change a member's value to re-issue its server and peer certificates (restarts that member only). Default: none. */
    certificateRotation?: Record<string, string>;
    /** Rotation lever of the client certificate: change it to re-issue the certificate (no member restarts). Default: unset. */
    clientCertificateRotation?: string;
    /** Lifetime of the member and client certificates, in hours. Default: 8760 (one year). */
    certificateValidityHours?: number;
    /** Scheduled snapshot backups on every member. Default: enabled with the defaults of {@link EtcdBackupArgs}. */
    backup?: EtcdBackupArgs;
    /** Build the cluster from a snapshot (disaster recovery). Default: unset (start empty). */
    restore?: EtcdRestoreArgs;
    /** How long a health wait (after a start, a restart or a join) may take, in seconds. Default: 180. */
    healthTimeoutSeconds?: number;
}

const DEFAULT_VERSION = "3.5.17";

/**
 * An etcd cluster with TLS on the client and peer sides, one member per host, installed from a
 * release tarball and run by systemd. Its outputs resolve only once every member is healthy.
 * Changes roll one member at a time; new members join the running cluster; removed members leave
 * it before their service stops; every member takes scheduled snapshots.
 */
export class EtcdCluster extends pulumi.ComponentResource {
    /** Client URLs of the members (https://address:clientPort), in member order; resolves once the cluster is healthy. */
    readonly clientEndpoints: pulumi.Output<string[]>;
    /** The CA certificate clients verify the members with (PEM). */
    readonly caCertPem: pulumi.Output<string>;
    /**
     * The client certificate for etcdctl and the apiservers (PEM), secret like its key: the pair
     * is a credential to the whole cluster's data, and the two travel together.
     */
    readonly clientCertPem: pulumi.Output<string>;
    /** The client certificate's private key (PEM), secret. */
    readonly clientKeyPem: pulumi.Output<string>;
    /** Member names in member order. */
    readonly memberNames: string[];
    /** Expiry (RFC 3339) of every certificate the component issued, by "<member>/server", "<member>/peer" and "client". */
    readonly certificateExpiry: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        const plan = etcdPlanOf(args);
        const { errors, warnings } = validateEtcdPlan(plan);
        if (errors.length > 0) {
            throw new Error(`EtcdCluster ${name}: invalid arguments:\n  - ${errors.join("\n  - ")}`);
        }
        super("k8s-binary:index:EtcdCluster", name, {}, opts);
        for (const w of warnings) pulumi.log.warn(`EtcdCluster ${name}: ${w}`, this);

        const hosts = new Map(args.members.map((h) => [h.name, h]));
        const token = args.clusterToken ?? name;
        const cluster = { clientPort: plan.clientPort, peerPort: plan.peerPort, dataDir: plan.dataDir, extraFlags: plan.extraFlags };
        const initial = plan.members.filter((m) => plan.initialMembers.includes(m.name));
        const joiners = plan.members.filter((m) => !plan.initialMembers.includes(m.name));
        const initialCluster = renderInitialCluster(initial, plan.peerPort);
        const healthTimeout = args.healthTimeoutSeconds ?? 180;

        const ca: CaKeyPair = args.ca ?? new CertificateAuthority(`${name}-ca`, { commonName: `${name}-etcd-ca` }, { parent: this });
        const client = new Certificate(`${name}-client`, {
            ca, profile: "client", commonName: `${name}-etcd-client`,
            validityHours: args.certificateValidityHours, rotation: args.clientCertificateRotation,
        }, { parent: this });
        const extraSans = splitSans(args.extraServerSans ?? []);
        // etcdutl (offline snapshot restore and status) ships from 3.5 on.
        const [major, minor] = minorVersion(plan.version);
        const binaries = major > 3 || (major === 3 && minor >= 5) ? ["etcd", "etcdctl", "etcdutl"] : ["etcd", "etcdctl"];
        const url = args.release.localPath === undefined
            ? args.release.url ?? `https://github.com/etcd-io/etcd/releases/download/v${plan.version}/etcd-v${plan.version}-linux-amd64.tar.gz`
            : undefined;
        const expiry: Record<string, pulumi.Output<string>> = { client: client.validityEndTime };

        // Members start in parallel (a new cluster needs a quorum up at once); restarts and joins
        // then run along this chain, initial members first, each after the previous one is healthy.
        let previousWait: WaitFor | undefined;
        for (const member of [...initial, ...joiners]) {
            const host = hosts.get(member.name)!;
            const prefix = `${name}-${member.name}`;
            const rotation = plan.certificateRotation[member.name];
            const file = (path: string, content: pulumi.Input<string>, mode?: string) =>
                new RemoteFile(`${name}-${remoteFileName(host, path)}`, { host, path, content, mode }, { parent: this });

            const release = new BinaryRelease(`${prefix}-etcd`, {
                host, name: "etcd", version: plan.version, url, localPath: args.release.localPath,
                sha256: plan.sha256, archive: "tar.gz", binaries,
            }, { parent: this });
            // etcd's gRPC gateway dials the member itself with the server certificate, so that
            // certificate needs client auth too (as kubeadm issues it): profile "peer".
            const server = new Certificate(`${prefix}-server`, {
                ca, profile: "peer", commonName: member.name,
                dnsNames: [member.name, "localhost", ...extraSans.dnsNames],
                ipAddresses: [member.address, "127.0.0.1", ...extraSans.ipAddresses],
                validityHours: args.certificateValidityHours, rotation,
            }, { parent: this });
            const peer = new Certificate(`${prefix}-peer`, {
                ca, profile: "peer", commonName: member.name,
                dnsNames: [member.name], ipAddresses: [member.address],
                validityHours: args.certificateValidityHours, rotation,
            }, { parent: this });
            expiry[`${member.name}/server`] = server.validityEndTime;
            expiry[`${member.name}/peer`] = peer.validityEndTime;

            const p = ETCD_PATHS;
            const caFile = file(p.caCert, ca.certPem);
            const tlsFiles = [
                caFile,
                file(p.serverCert, server.certPem), file(p.serverKey, server.privateKeyPem, "0600"),
                file(p.peerCert, peer.certPem), file(p.peerKey, peer.privateKeyPem, "0600"),
            ];
            const clientFiles = [caFile, file(p.clientCert, client.certPem), file(p.clientKey, client.privateKeyPem, "0600"), file(p.etcdctlEnv, renderEtcdctlEnv())];
            const memberEnv = file(p.memberEnv, renderMemberEnv(member, cluster));

            // How this member starts the first time: restored from a snapshot, as part of the
            // new cluster, or by joining the running one.
            const firstStart: pulumi.Resource[] = [];
            let bootstrap: pulumi.Input<string>;
            if (plan.initialMembers.includes(member.name)) {
                bootstrap = renderBootstrapEnv({ initialCluster, state: "new", token });
                if (plan.restoreSnapshotPath !== undefined) {
                    firstStart.push(new command.remote.Command(`${prefix}-restore`, {
                        connection: host.connection,
                        create: remoteScript(host, renderRestoreScript({
                            member, snapshotPath: plan.restoreSnapshotPath, dataDir: plan.dataDir,
                            peerPort: plan.peerPort, initialCluster, token,
                        })),
                        logging: "stderr",
                    }, { parent: this, dependsOn: [release.command, ...clientFiles.map((f) => f.command)] }));
                }
            } else {
                const through = [...initial, ...joiners.slice(0, joiners.indexOf(member))].map((m) => memberUrl(m.address, plan.clientPort));
                const join = new command.remote.Command(`${prefix}-join`, {
                    connection: host.connection,
                    create: remoteScript(host, renderJoinScript(member, plan.peerPort, plan.dataDir, through)),
                    logging: "stderr",
                }, {
                    parent: this,
                    dependsOn: [release.command, ...clientFiles.map((f) => f.command), ...(previousWait ? [previousWait] : [])],
                    // A member joins once; later member lists must not re-run (or re-add) it.
                    ignoreChanges: ["create"],
                });
                firstStart.push(join);
                bootstrap = join.stdout.apply((out) =>
                    renderBootstrapEnv({ initialCluster: parseJoinOutput(out, member.name), state: "existing", token }));
            }
            const bootstrapEnv = file(p.bootstrapEnv, bootstrap);

            // The unit's text never varies, so SystemdUnit never restarts etcd by itself: the
            // restart step below does, in chain order. Its content waits for everything the first
            // start needs.
            const ready = [release.checksum, memberEnv.contentHash, bootstrapEnv.contentHash,
                ...tlsFiles.map((f) => f.contentHash), ...clientFiles.map((f) => f.contentHash), ...firstStart.map((r) => r.urn)];
            const unit = new SystemdUnit(`${prefix}-etcd`, {
                host, name: ETCD_UNIT, content: gate(ready, renderEtcdUnit()),
            }, { parent: this });

            const restartFingerprint = fingerprint([release.checksum, memberEnv.contentHash, ...tlsFiles.map((f) => f.contentHash)]);
            const restart = new command.remote.Command(`${prefix}-restart`, {
                connection: host.connection,
                // Nothing on create (SystemdUnit starts the member); a changed fingerprint is an
                // in-place update, which restarts it.
                update: remoteScript(host, renderRestartScript()),
                stdin: restartFingerprint,
                logging: "stderr",
            }, { parent: this, dependsOn: [unit, ...(previousWait ? [previousWait] : [])] });

            const wait = new WaitFor(`${prefix}-healthy`, {
                host,
                description: `etcd cluster healthy (after ${member.name})`,
                check: gate([restart.urn], renderClusterHealthyCheck(plan.clientPort)),
                triggers: [restartFingerprint],
                timeoutSeconds: healthTimeout,
            }, { parent: this });

            // Delete-only step that depends on the unit, so on removal it runs first: the member
            // leaves the cluster while its service still runs, then SystemdUnit stops it.
            const others = plan.members.filter((m) => m.name !== member.name).map((m) => memberUrl(m.address, plan.clientPort));
            new command.remote.Command(`${prefix}-leave`, {
                connection: host.connection,
                delete: remoteScript(host, renderLeaveScript(member, cluster, others)),
                logging: "stderr",
            }, {
                parent: this,
                dependsOn: [unit],
                // The script finds the current members itself; the list only backs it up, so
                // adding or removing other hosts does not touch this member's step.
                ignoreChanges: ["delete"],
            });

            if (plan.backup) {
                const script = file(p.backupScript, renderBackupScript(member.name, plan.clientPort, plan.backup), "0755");
                const service = new SystemdUnit(`${prefix}-backup-service`, {
                    host, name: BACKUP_SERVICE, content: gate([script.contentHash], renderBackupService()), enable: false,
                }, { parent: this });
                new SystemdUnit(`${prefix}-backup-timer`, {
                    host, name: BACKUP_TIMER, content: gate([service.activation.urn, unit.activation.urn], renderBackupTimer(plan.backup.schedule)),
                }, { parent: this });
            }
            previousWait = wait;
        }

        const last = [...initial, ...joiners].at(-1)!;
        const healthy = new WaitFor(`${name}-healthy`, {
            host: hosts.get(last.name)!,
            description: `all ${plan.members.length} etcd members started and healthy`,
            check: gate([previousWait!.command.urn], renderMembersHealthyCheck(plan.clientPort, plan.members)),
            timeoutSeconds: healthTimeout,
        }, { parent: this });

        const afterHealthy = <T>(value: pulumi.Input<T>): pulumi.Output<T> =>
            pulumi.all([healthy.command.urn, value]).apply(([, v]) => v as T);
        this.memberNames = plan.members.map((m) => m.name);
        this.clientEndpoints = afterHealthy(plan.members.map((m) => memberUrl(m.address, plan.clientPort)));
        this.caCertPem = afterHealthy(ca.certPem);
        this.clientCertPem = pulumi.secret(afterHealthy(client.certPem));
        this.clientKeyPem = pulumi.secret(afterHealthy(client.privateKeyPem));
        this.certificateExpiry = pulumi.all(expiry);
        this.registerOutputs({
            clientEndpoints: this.clientEndpoints,
            caCertPem: this.caCertPem,
            clientCertPem: this.clientCertPem,
            clientKeyPem: this.clientKeyPem,
            memberNames: this.memberNames,
            certificateExpiry: this.certificateExpiry,
        });
    }
}

/**
 * `value`, once every one of `after` is known: makes a resource wait for others without changing
 * what it receives. `value` derives from none of them, so it does not inherit their secrecy (a
 * key's hash among `after` must not hide a unit file from the preview).
 */
function gate<T>(after: pulumi.Input<unknown>[], value: T): pulumi.Output<T> {
    return pulumi.unsecret(pulumi.all(after).apply(() => value));
}

/** The plain, defaulted view of the arguments the checks and renderers use. */
export function etcdPlanOf(args: EtcdClusterArgs): EtcdPlan {
    const backup = args.backup?.enabled === false ? undefined : {
        schedule: args.backup?.schedule ?? "*-*-* 00/6:00:00",
        retention: args.backup?.retention ?? 8,
        directory: args.backup?.directory ?? "/var/backups/etcd",
    };
    const extraFlags = Object.fromEntries(Object.entries(args.extraFlags ?? {}).map(([k, v]) => [k.replace(/^--?/, ""), v]));
    return {
        members: args.members.map((h): MemberEndpoint => ({ name: h.name, address: h.address })),
        initialMembers: args.initialMembers ?? args.members.map((h) => h.name),
        clientPort: args.clientPort ?? 2379,
        peerPort: args.peerPort ?? 2380,
        dataDir: args.dataDir ?? "/var/lib/etcd",
        extraFlags,
        network: args.network,
        version: args.release.version ?? DEFAULT_VERSION,
        sha256: args.release.sha256,
        backup,
        restoreSnapshotPath: args.restore?.snapshotPath,
        certificateRotation: args.certificateRotation ?? {},
    };
}
