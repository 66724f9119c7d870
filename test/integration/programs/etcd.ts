// An EtcdCluster on testbed hosts, used the way another Pulumi project would use it: everything
// comes from the `etcd:*` config the integration test sets per run.
import * as pulumi from "@pulumi/pulumi";
import { BinaryRelease, releaseArgsFor, type Host } from "../../../components/host";
import { EtcdCluster, etcdReleaseNeed, type EtcdBackupArgs, type EtcdReleaseArgs, type EtcdRestoreArgs } from "../../../components/etcd";

export default async () => {
    const config = new pulumi.Config("etcd");
    const members = config.requireObject<Host[]>("hosts");
    const release = config.requireObject<EtcdReleaseArgs>("release");
    // `etcd:sharedInstall`: the program installs the release itself and hands the installs over,
    // as a cluster sharing one install per host does.
    const installed = config.getBoolean("sharedInstall")
        ? Object.fromEntries(members.map((h) => [h.name, new BinaryRelease(`shared-${h.name}-etcd`, releaseArgsFor(h, etcdReleaseNeed(release)))]))
        : undefined;
    const cluster = new EtcdCluster(config.get("name") ?? "etcd", {
        members,
        initialMembers: config.getObject<string[]>("initialMembers"),
        release,
        installed,
        network: config.get("network"),
        certificateRotation: config.getObject<Record<string, string>>("certificateRotation"),
        extraFlags: config.getObject<Record<string, string>>("extraFlags"),
        backup: config.getObject<EtcdBackupArgs>("backup"),
        restore: config.getObject<EtcdRestoreArgs>("restore"),
        healthTimeoutSeconds: 90,
    });
    return {
        clientEndpoints: cluster.clientEndpoints,
        caCertPem: cluster.caCertPem,
        clientCertPem: cluster.clientCertPem,
        clientKeyPem: cluster.clientKeyPem,
        clientBundle: cluster.clientBundle,
        certificateExpiry: cluster.certificateExpiry,
    };
};
