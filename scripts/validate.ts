/**
 * Validates stack files offline (no Pulumi CLI, secrets left encrypted):
 *   tsx scripts/validate.ts stacks/Pulumi.dev.yaml [more files...]
 * Prints a summary per valid file, every problem of an invalid one; exits 1 when any file has a problem.
 */
import { formatIssue, loadStackFile, SpecError, type ClusterSpec, type Role } from "../components/cluster-spec";

function summary(spec: ClusterSpec): string[] {
    const roles: Role[] = ["etcd", "control-plane", "worker", "lb"];
    const perRole = roles
        .map((role) => {
            const names = spec.hosts.filter((h) => h.roles.includes(role)).map((h) => h.name);
            return `${role}: ${names.length}${names.length ? ` (${names.join(", ")})` : ""}`;
        })
        .join("; ");
    const b = spec.binaries;
    const versions = [
        `kubernetes ${b.kubernetes.version}${b.kubernetesNode ? ` (nodes ${b.kubernetesNode.version})` : ""}`,
        `etcd ${b.etcd.version}`,
        ...(["containerd", "runc", "cniPlugins", "flannel", "flannelCniPlugin", "docker"] as const).filter((k) => b[k]).map((k) => `${k} ${b[k]!.version}`),
    ].join(", ");
    // The cluster's arch, and the hosts of another one by arch: `arch amd64 (arm64: w1, w2)`.
    const others = [...new Set(spec.hosts.map((h) => h.arch))].filter((a) => a !== spec.arch);
    const arch = `${spec.arch}${others
        .map(
            (a) =>
                ` (${a}: ${spec.hosts
                    .filter((h) => h.arch === a)
                    .map((h) => h.name)
                    .join(", ")})`,
        )
        .join("")}`;
    const endpoint = spec.loadBalancer ? `VIP ${spec.loadBalancer.vip}:${spec.loadBalancer.port}` : "no load balancer";
    return [
        `  hosts: ${spec.hosts.length}; ${perRole}`,
        `  versions: ${versions}; arch ${arch}; runtime ${spec.containerRuntime}`,
        `  network: pods ${spec.network.podCidr}, services ${spec.network.serviceCidr}, DNS ${spec.network.clusterDns}; flannel ${spec.flannel.mode}/${spec.flannel.backend}; ${endpoint}`,
    ];
}

function main(files: string[]): number {
    if (files.length === 0) {
        console.error("usage: npm run validate -- stacks/Pulumi.<stack>.yaml [...]");
        return 2;
    }
    let failed = false;
    for (const file of files) {
        try {
            const { spec, warnings } = loadStackFile(file);
            console.log(`OK ${file}`);
            for (const line of summary(spec)) console.log(line);
            for (const w of warnings) console.log(`  warning:${formatIssue(w).slice(3)}`);
        } catch (e) {
            if (!(e instanceof SpecError)) throw e;
            failed = true;
            console.error(`FAIL ${file}`);
            console.error(e.message);
            for (const w of e.warnings) console.error(`  warning:${formatIssue(w).slice(3)}`);
        }
    }
    return failed ? 1 : 0;
}

process.exitCode = main(process.argv.slice(2));
