// An EtcdCluster on bench hosts, used the way another Pulumi project would use it: everything
// comes from the `etcd:*` config the integration test sets per run.
import * as pulumi from "@pulumi/pulumi";
import type { Host } from "../../../components/host";
import { EtcdCluster, type EtcdBackupArgs, type EtcdReleaseArgs, type EtcdRestoreArgs } from "../../../components/etcd";

export default async () => {
    const config = new pulumi.Config("etcd");
    const cluster = new EtcdCluster(config.get("name") ?? "etcd", {
        members: config.requireObject<Host[]>("hosts"),
        initialMembers: config.getObject<string[]>("initialMembers"),
        release: config.requireObject<EtcdReleaseArgs>("release"),
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
        certificateExpiry: cluster.certificateExpiry,
    };
};
