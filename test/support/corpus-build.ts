// Builds the cluster of one stack file on the mock runtime, in a process of its own: a process
// keeps every resource it registers (the recording's and the SDK's objects), and the corpus's
// eleven clusters built in the test's own process peaked at 3.8 GB and took a third more CPU
// than apart (2.1 GB at most), so the stack corpus builds each apart.
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
