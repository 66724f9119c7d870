// Synthetic cluster specs of any size: the releases, checksums and settings of an example stack,
// with a generated host list. The addresses are made up and never contacted: the mock runtime
// runs no command.
import * as fs from "fs";
import * as path from "path";
import YAML from "yaml";
import { parseClusterSpec, type ClusterSpec } from "../../components/cluster-spec";

/** The example stack whose releases and settings the synthetic specs reuse. */
export const TEMPLATE_STACK = path.resolve(__dirname, "../../stacks/Pulumi.seed001.yaml");

/** How many hosts of each kind; every host holds exactly one role. */
export interface ClusterSize {
    etcd: number;
    controlPlanes: number;
    lbs: number;
    workers: number;
}

/** The spec's subnet: 10.200.0.0/16 holds up to 64 k hosts and overlaps neither the pod nor the service block. */
const SUBNET = "10.200.0.0/16";
const address = (i: number) => `10.200.${Math.floor(i / 250)}.${(i % 250) + 2}`;
const VIP = "10.200.255.100";

/** The raw `k8s-binary:cluster` value for a cluster of that size (SSH key from the secret config key). */
export function syntheticCluster(size: ClusterSize): Record<string, unknown> {
    const doc = YAML.parse(fs.readFileSync(TEMPLATE_STACK, "utf8")) as { config: { "k8s-binary:cluster": Record<string, Record<string, unknown>> } };
    const template = doc.config["k8s-binary:cluster"];
    const kinds: [string, string, number][] = [
        ["etcd", "etcd", size.etcd],
        ["cp", "control-plane", size.controlPlanes],
        ["lb", "lb", size.lbs],
        ["w", "worker", size.workers],
    ];
    const hosts: { name: string; address: string; roles: string[] }[] = [];
    for (const [prefix, role, count] of kinds)
        for (let i = 1; i <= count; i++) hosts.push({ name: `${prefix}${String(i).padStart(3, "0")}`, address: address(hosts.length), roles: [role] });
    const ssh = { ...template.ssh };
    delete ssh.privateKeyPath;
    return {
        ...template,
        name: "bench",
        hosts,
        ssh,
        network: { ...template.network, hostSubnets: [SUBNET] },
        ...(size.lbs > 0 ? { loadBalancer: { ...template.loadBalancer, vip: VIP, interface: "eth0" } } : { loadBalancer: undefined }),
    };
}

/** The same spec validated as the program validates it (throws a SpecError listing every problem). */
export function validatedSyntheticCluster(size: ClusterSize): ClusterSpec {
    return parseClusterSpec(syntheticCluster(size), { privateKeySecret: true, source: "synthetic benchmark spec" }).spec;
}
