// The keeper: the long-lived process that owns the sandbox's hosts (testbed hosts die with the
// process that started them) and serves them the toolchain's releases. `up` starts it detached;
// `down` ends it with SIGTERM, which tears every host down.
//   node --import tsx scripts/sandbox/keeper.ts <sandbox dir> <host>...
import { copyFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { startTestbed } from "../../test/support/testbed";
import { processStartTime } from "../../test/support/testbed/proc";
import { makeMirror } from "../../test/support/toolchain";
import { sandboxPaths } from "./paths";
import type { KeeperRecord } from "./keeper-control";

/** Ends the keeper when its owner dies, if it has one: a test's sandbox never outlives the test. */
function watchOwner(): void {
    const owner = Number(process.env.K8S_BINARY_SANDBOX_OWNER);
    if (!owner) return;
    const startTime = processStartTime(owner);
    setInterval(() => {
        if (processStartTime(owner) !== startTime) process.kill(process.pid, "SIGTERM");
    }, 1000);
}

async function main(dir: string, names: string[]): Promise<void> {
    const paths = sandboxPaths(dir);
    rmSync(paths.mirror, { recursive: true, force: true });
    makeMirror(paths.mirror);
    const testbed = await startTestbed({ hosts: names });
    // The testbed's own handlers (installed first) tear the hosts down; then the record goes.
    for (const signal of ["SIGTERM", "SIGINT", "SIGHUP"] as const) {
        process.on(signal, () => {
            rmSync(paths.keeper, { force: true });
            rmSync(paths.mirror, { recursive: true, force: true });
            console.log(`${new Date().toISOString()} ${signal}: hosts removed`);
            process.exit(0);
        });
    }
    const mirrorUrl = await testbed.serveDirectory(paths.mirror);
    copyFileSync(testbed.privateKeyPath, paths.privateKey);
    copyFileSync(testbed.knownHostsPath, paths.knownHosts);
    const record: KeeperRecord = {
        pid: process.pid,
        startTime: processStartTime(process.pid)!,
        instance: testbed.instance,
        hosts: testbed.hosts.map(({ name, address, hostKey }) => ({ name, address, hostKey })),
        subnet: testbed.subnet,
        podCidr: testbed.podCidr,
        serviceCidr: testbed.serviceCidr,
        vip: testbed.address(100),
        privateKeyPath: paths.privateKey,
        knownHostsPath: paths.knownHosts,
        mirrorUrl,
    };
    writeFileSync(`${paths.keeper}.tmp`, `${JSON.stringify(record, null, 2)}\n`);
    renameSync(`${paths.keeper}.tmp`, paths.keeper);
    console.log(`${new Date().toISOString()} hosts up: ${record.hosts.map((h) => `${h.name} ${h.address}`).join(", ")}; mirror ${mirrorUrl}`);
    watchOwner();
    setInterval(() => undefined, 1 << 30);
}

const [dir, ...names] = process.argv.slice(2);
main(dir, names).catch((error: unknown) => {
    console.error(`${new Date().toISOString()} the keeper failed:`, error);
    process.exit(1);
});
