// One release used by two resources on one host (a host holding several roles): BinaryRelease's
// install and uninstall scripts on a real host, with the toolchain's etcd release from a mirror.
import assert from "node:assert/strict";
import { test } from "node:test";
import { renderInstallScript, renderUninstallScript, type InstallPlan } from "../../components/host/binary-release";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { builtEtcdRelease } from "../support/etcd-release";

test("a release shared by two resources on one host", { timeout: 5 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const release = builtEtcdRelease();
    const testbed: Testbed = await startTestbed({ hosts: ["s1"] });
    t.after(() => testbed.stop());
    const baseUrl = await testbed.serveDirectory(release.dir);
    const dest = `/opt/k8s-binary/etcd/${release.version}`;
    const plan = (owner: string, over: Partial<InstallPlan> = {}): InstallPlan => ({
        name: "etcd",
        version: release.version,
        archive: "tar.gz",
        binaries: ["etcd", "etcdctl"],
        archivePaths: {},
        binDir: "/usr/local/bin",
        checksum: { algorithm: "sha256", digest: release.sha256 },
        source: { url: `${baseUrl}/${release.file}` },
        owner,
        ...over,
    });
    // The URL of a file the mirror does not have: a step that fetched anything would fail.
    const nothingToFetch = { source: { url: `${baseUrl}/no-such-file.tar.gz` } };
    const run = async (script: string) => testbed.exec("s1", `set -euo pipefail\n${script}`, { timeoutMs: 60_000 });
    const ok = async (script: string): Promise<string> => {
        const r = await run(script);
        assert.equal(r.code, 0, r.stderr);
        return r.stdout.trim();
    };
    const owners = () => ok(`ls -A ${dest}/.owners | xargs`);

    await t.test("the second user finds the release installed and fetches nothing", async () => {
        assert.equal(await ok(`test -e ${dest} && echo present || echo absent`), "absent", "a fresh host");
        await ok(renderInstallScript(plan("s1-etcd")));
        await ok(renderInstallScript(plan("s1-etcd-backup", nothingToFetch)));
        assert.equal(await owners(), "s1-etcd s1-etcd-backup");
        assert.match(await ok("etcdctl version"), new RegExp(`etcdctl version: ${release.version}`));
    });

    await t.test("a binary missing from the directory is put back, and both users stay", async () => {
        await ok(`rm ${dest}/etcdctl`);
        const refetchNeeded = await run(renderInstallScript(plan("s1-etcd", nothingToFetch)));
        assert.notEqual(refetchNeeded.code, 0, "a checksum file alone does not count as installed");
        await ok(renderInstallScript(plan("s1-etcd")));
        assert.match(await ok("etcdctl version"), new RegExp(`etcdctl version: ${release.version}`));
        assert.equal(await owners(), "s1-etcd s1-etcd-backup");
    });

    await t.test("the same name and version with another digest is refused while others use it", async () => {
        const other = await run(renderInstallScript(plan("s1-other", { checksum: { algorithm: "sha256", digest: "0".repeat(64) } })));
        assert.notEqual(other.code, 0);
        assert.match(
            other.stderr,
            new RegExp(`${dest} holds etcd ${release.version} with digest ${release.sha256} for s1-etcd s1-etcd-backup; .*cannot share it`),
        );
        assert.equal(await ok(`cat ${dest}/.checksum`), release.sha256);
        assert.equal(await owners(), "s1-etcd s1-etcd-backup");
    });

    await t.test("the first user leaving keeps the release for the other; the last one removes it", async () => {
        const first = await ok(renderUninstallScript(plan("s1-etcd")));
        assert.equal(first, `${dest} stays: s1-etcd-backup still use it`);
        assert.match(await ok("etcd --version"), new RegExp(`etcd Version: ${release.version}`), "links and binaries intact");
        await ok(renderUninstallScript(plan("s1-etcd-backup")));
        assert.equal(await ok(`test -e ${dest} && echo present || echo absent`), "absent");
        assert.equal(await ok("ls -A /usr/local/bin | grep -cxE 'etcd|etcdctl' || true"), "0", "no link left");
        // Leaving again (a retried delete) is harmless.
        await ok(renderUninstallScript(plan("s1-etcd-backup")));
    });
});
