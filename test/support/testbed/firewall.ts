import { bridgeName, firewallTable, gatewayAddress } from "./layout";
import { runOk, runSync } from "./proc";

/*
 * The hosts' only way onto the machine is the bridge, so one nft table per instance decides what
 * they reach there: replies to connections the machine opened (the tests' SSH), the mirror ports
 * the testbed itself serves on the gateway, and nothing else (the machine's own services listen on
 * 0.0.0.0 too). TCP is reset rather than dropped so a blocked connection fails at once instead
 * of timing out. Traffic between hosts is bridged, never routed, and stays untouched; anything
 * the machine would route off the bridge is dropped, whatever its forwarding setting.
 */

const MIRROR_PORTS = "mirror_ports";

function ruleset(instance: number): string {
    const bridge = `"${bridgeName(instance)}"`;
    return `table inet ${firewallTable(instance)} {
    set ${MIRROR_PORTS} { type inet_service; }
    chain input {
        type filter hook input priority filter; policy accept;
        iifname ${bridge} ct state established,related accept
        iifname ${bridge} ip daddr ${gatewayAddress(instance)} tcp dport @${MIRROR_PORTS} accept
        iifname ${bridge} meta l4proto tcp reject with tcp reset
        iifname ${bridge} drop
    }
    chain forward {
        type filter hook forward priority filter; policy accept;
        iifname ${bridge} oifname != ${bridge} drop
    }
}
`;
}

/** Creates the instance's table; in place before any host boots. */
export async function createFirewall(instance: number): Promise<void> {
    try {
        await runOk("nft", ["-f", "-"], { input: ruleset(instance) });
    } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        throw new Error("the testbed needs nft (run scripts/testbed-prereqs.sh)", { cause: error });
    }
}

/** Lets the hosts reach a port the testbed serves on the gateway. */
export async function allowMirrorPort(instance: number, port: number): Promise<void> {
    await runOk("nft", ["add", "element", "inet", firewallTable(instance), MIRROR_PORTS, `{ ${port} }`]);
}

/** True while the instance's table exists. */
export function hasFirewall(instance: number): boolean {
    return runSync("nft", ["list", "table", "inet", firewallTable(instance)]).code === 0;
}

/** Deletes the instance's table, found by name (also for a dead run's instance). */
export function removeFirewallSync(instance: number): void {
    if (hasFirewall(instance)) runSync("nft", ["delete", "table", "inet", firewallTable(instance)]);
}
