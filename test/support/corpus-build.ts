// Builds the cluster of one stack file on the mock runtime, in a process of its own: the SDK's
// mock runtime slows down with every resource a process has registered (one cluster takes
// seconds alone, eleven in one process minutes), so the stack corpus builds each apart.
// Usage: node --import tsx test/support/corpus-build.ts <stack file>; prints {"registrations": N}.
import { recordingMocks, settled } from "./recording-mocks";

const registrations = recordingMocks();

import * as path from "node:path";
import { clusterHosts, KubernetesCluster } from "../../components";
import { programLoad } from "./stack-config";

async function main(file: string) {
    process.env.SSH_AUTH_SOCK = "/run/k8s-binary-corpus/agent.sock";
    const { spec, credentials } = programLoad(file);
    new KubernetesCluster(`corpus-${path.basename(file, ".yaml")}`, { spec, hosts: clusterHosts(spec, credentials) });
    await settled();
    process.stdout.write(JSON.stringify({ registrations: registrations.length }));
}

main(process.argv[2]).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
