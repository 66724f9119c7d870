/** The pieces of a stack for the program (index.ts) that every test deploying to testbed hosts writes the same way. */
import assert from "node:assert/strict";
import { dirname, join } from "node:path";
import { builtEtcdRelease } from "./etcd-release";
import type { Testbed } from "./testbed";
import { familyPath, publishedDigest, versions } from "./toolchain";

/** A stack's `hosts[]` entry for a testbed host: its address and its pinned SSH host key. */
export function testbedHost(testbed: Testbed, name: string, roles: string[]) {
    return { name, address: testbed.host(name).address, roles, hostKey: testbed.host(name).hostKey };
}

/** The program's stack config for `spec`, with the testbed's SSH key as the secret config value. */
export function programConfig(testbed: Testbed, spec: object): Record<string, string> {
    return { "k8s-binary:cluster": JSON.stringify(spec), "k8s-binary:sshPrivateKey": testbed.hosts[0].connection.privateKey };
}

/** Runs `cmd` on a host and returns its trimmed output; a non-zero exit fails the test with its stderr. */
export function checkedExec(testbed: Testbed): (host: string, cmd: string) => Promise<string> {
    return async (host, cmd) => {
        const r = await testbed.exec(host, cmd);
        assert.equal(r.code, 0, `${host}: ${cmd}: ${r.stderr}`);
        return r.stdout.trim();
    };
}

/**
 * `binaries` for a control plane without nodes, read from this machine (`localPath`): the built
 * Kubernetes server tarball and etcd release, pinned by their published digests as a stack pins them.
 */
export function localControlPlaneBinaries() {
    const serverTarball = join(familyPath("kubernetes"), "release", "kubernetes", `v${versions.KUBERNETES}`, "kubernetes-server-linux-amd64.tar.gz");
    const etcd = builtEtcdRelease();
    return {
        kubernetes: {
            version: versions.KUBERNETES,
            localPath: dirname(serverTarball),
            serverTarball: { sha512: publishedDigest(`${serverTarball}.sha512`, "kubernetes-server-linux-amd64.tar.gz") },
        },
        etcd: { version: etcd.version, sha256: etcd.sha256, localPath: etcd.dir },
    };
}
