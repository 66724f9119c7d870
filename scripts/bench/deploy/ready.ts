// "Ready" as the deploy benchmark times it: every node Ready, and CoreDNS answering a query for
// the kubernetes Service's name with its address.
import { spawnSync } from "node:child_process";
import { nthAddress, parseCidr } from "../../../components/cluster-spec/net";
import type { Testbed } from "../../../test/support/testbed";
import { tool } from "../../../test/support/toolchain";
import { waitUntil } from "../../../test/support/wait-until";

/**
 * A one-shot DNS query (the hosts have no dig): exits 0 when the server at argv[2] answers
 * argv[1]'s A record with the address argv[3].
 */
export const DNS_PROBE = `import socket, struct, sys
name, server, want = sys.argv[1:4]
query = struct.pack(">HHHHHH", 0x6b62, 0x0100, 1, 0, 0, 0) + b"".join(bytes([len(p)]) + p.encode() for p in name.split(".")) + b"\\0" + struct.pack(">HH", 1, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(1)
s.sendto(query, (server, 53))
reply = s.recv(512)
answers = struct.unpack(">H", reply[6:8])[0]
sys.exit(0 if reply[3] & 15 == 0 and answers > 0 and socket.inet_aton(want) in reply[12:] else 1)
`;

/** kubectl with a kubeconfig; undefined on failure (the caller polls). */
export function kubectl(kubeconfigFile: string, ...args: string[]): string | undefined {
    const r = spawnSync(tool("kubernetes", "kubectl"), ["--kubeconfig", kubeconfigFile, "--request-timeout=5s", ...args], {
        encoding: "utf8",
        timeout: 15_000,
    });
    return r.status === 0 ? r.stdout.trim() : undefined;
}

/** The cluster DNS address (the spec's default, the range's tenth) and the kubernetes Service's (its first) of a service range. */
export function serviceAddresses(serviceCidr: string): { dns: string; kubernetes: string } {
    const range = parseCidr(serviceCidr);
    return { dns: nthAddress(range, 10), kubernetes: nthAddress(range, 1) };
}

/** Waits until the nodes named are exactly the Ready ones and CoreDNS answers from `probeHost`. */
export async function waitClusterReady(testbed: Testbed, kubeconfigFile: string, nodes: string[], probeHost: string, timeoutMs = 600_000): Promise<void> {
    const { dns, kubernetes } = serviceAddresses(testbed.serviceCidr);
    const want = [...nodes].sort().join(",");
    await waitUntil(
        async () => {
            const names = (
                kubectl(
                    kubeconfigFile,
                    "get",
                    "nodes",
                    "-o",
                    'jsonpath={range .items[*]}{.metadata.name}={.status.conditions[?(@.type=="Ready")].status},{end}',
                ) ?? ""
            )
                .split(",")
                .filter((e) => e.endsWith("=True"))
                .map((e) => e.slice(0, -5))
                .sort()
                .join(",");
            if (names !== want) return false;
            const probe = await testbed.exec(probeHost, `python3 - kubernetes.default.svc.cluster.local ${dns} ${kubernetes}`, {
                input: DNS_PROBE,
                timeoutMs: 5000,
            });
            return probe.code === 0;
        },
        timeoutMs,
        `nodes ${want} Ready and CoreDNS answering`,
        250,
    );
}
