import * as pulumi from "@pulumi/pulumi";
import { argsError, RestartChain, WaitFor } from "../host";
import { CaKeyPair, Certificate, CertificateAuthority } from "../pki";
import type { EtcdClientBundle, EtcdClusterArgs } from "./args";
import { EtcdMember } from "./etcd-member";
import { memberUrl } from "./layout";
import { planEtcd } from "./plan";
import { renderMembersHealthyCheck } from "./render-health";

/**
 * An etcd cluster with TLS on the client and peer sides, one {@link EtcdMember} per host, run by
 * systemd. Its outputs resolve only once every member is healthy. Changes roll one member at a
 * time; new members join the running cluster; removed members leave it before their service
 * stops; every member takes scheduled snapshots.
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
    /** Endpoints, CA and client certificate and key in one secret value, for the apiservers; resolves once the cluster is healthy. */
    readonly clientBundle: pulumi.Output<EtcdClientBundle>;
    /** Member names in member order. */
    readonly memberNames: string[];
    /** Expiry (RFC 3339) of every certificate the component issued, by "<member>/server", "<member>/peer" and "client". */
    readonly certificateExpiry: pulumi.Output<Record<string, string>>;

    constructor(name: string, args: EtcdClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:EtcdCluster", name, {}, opts);
        const { plan, issues, warnings } = planEtcd(name, args);
        if (issues.length > 0) throw argsError(this, "EtcdCluster", name, issues);
        for (const w of warnings) pulumi.log.warn(`EtcdCluster ${name}: ${w.path}: ${w.message} (${w.hint})`, this);

        const ca: CaKeyPair =
            args.ca ?? new CertificateAuthority(`${name}-ca`, { commonName: `${name}-etcd-ca`, algorithm: args.keyAlgorithm }, { parent: this });
        const client = new Certificate(
            `${name}-client`,
            {
                ca,
                profile: "client",
                commonName: `${name}-etcd-client`,
                algorithm: args.keyAlgorithm,
                validityHours: args.certificateValidityHours,
                rotation: args.clientCertificateRotation,
            },
            { parent: this },
        );

        // Members start in parallel (a new cluster needs a quorum up at once); restarts and joins
        // then roll along the chain in plan order, initial members first.
        const hosts = new Map(args.members.map((h) => [h.name, h]));
        const chain = new RestartChain();
        const members = plan.order.map(
            (m) =>
                new EtcdMember(
                    `${name}-${m.name}`,
                    {
                        host: hosts.get(m.name)!,
                        plan,
                        ca,
                        client,
                        keyAlgorithm: args.keyAlgorithm,
                        certificateValidityHours: args.certificateValidityHours,
                        release: args.release,
                        installed: args.installed?.[m.name],
                        chain,
                    },
                    { parent: this },
                ),
        );

        const last = plan.order.at(-1)!;
        const healthy = new WaitFor(
            `${name}-healthy`,
            {
                host: hosts.get(last.name)!,
                description: `all ${plan.members.length} etcd members started and healthy`,
                check: renderMembersHealthyCheck(plan.clientPort, plan.members),
                timeoutSeconds: plan.healthTimeoutSeconds,
                after: [chain.last!.command],
            },
            { parent: this },
        );

        this.memberNames = plan.members.map((m) => m.name);
        this.clientEndpoints = healthy.whenReady(plan.members.map((m) => memberUrl(m.address, plan.clientPort)));
        this.caCertPem = healthy.whenReady(ca.certPem);
        this.clientCertPem = pulumi.secret(healthy.whenReady(client.certPem));
        this.clientKeyPem = pulumi.secret(healthy.whenReady(client.privateKeyPem));
        this.clientBundle = pulumi.secret(
            pulumi
                .all([this.clientEndpoints, this.caCertPem, this.clientCertPem, this.clientKeyPem])
                .apply(([endpoints, caCertPem, clientCertPem, clientKeyPem]): EtcdClientBundle => ({ endpoints, caCertPem, clientCertPem, clientKeyPem })),
        );
        const expiry: Record<string, pulumi.Output<string>> = { client: client.validityEndTime };
        for (const [i, m] of plan.order.entries()) {
            expiry[`${m.name}/server`] = members[i].certificateExpiry.server;
            expiry[`${m.name}/peer`] = members[i].certificateExpiry.peer;
        }
        this.certificateExpiry = pulumi.all(expiry);
        this.registerOutputs({
            clientEndpoints: this.clientEndpoints,
            caCertPem: this.caCertPem,
            clientCertPem: this.clientCertPem,
            clientKeyPem: this.clientKeyPem,
            clientBundle: this.clientBundle,
            memberNames: this.memberNames,
            certificateExpiry: this.certificateExpiry,
        });
    }
}
