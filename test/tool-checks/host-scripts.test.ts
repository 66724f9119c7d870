import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
    remoteScript,
    renderActivateScript,
    renderDeactivateScript,
    renderFirewallScript,
    renderHostnameScript,
    renderHostsFileScript,
    renderInstallScript,
    renderKernelScript,
    renderPackagesScript,
    renderRemoveFileScript,
    renderSelinuxScript,
    renderSwapOffScript,
    renderTimeSyncScript,
    renderUninstallScript,
    renderWaitScript,
    renderWriteFileScript,
} from "../../components/host";

const scripts: Record<string, string> = {
    write: renderWriteFileScript("/etc/a b/c.conf", "0600", "etcd", "etcd", "e1-key"),
    activate: renderActivateScript("etcd.service", true, "reload-or-restart", "e1-etcd"),
    activateDisabled: renderActivateScript("etcd-backup.service", false, "restart", "e1-backup"),
    deactivate: renderDeactivateScript("etcd.service", "e1-etcd"),
    removeFile: renderRemoveFileScript("/etc/a b/c.conf", "e1-key"),
    installUrl: renderInstallScript({
        name: "etcd",
        version: "3.5.17",
        checksum: { algorithm: "sha256", digest: "a".repeat(64) },
        archive: "tar.gz",
        binaries: ["etcd", "etcdctl"],
        archivePaths: { etcdctl: "./etcd-v3.5.17-linux-amd64/etcdctl" },
        binDir: "/usr/local/bin",
        source: { url: "http://10.77.0.1:8080/etcd.tar.gz" },
        owner: "e1-etcd",
    }),
    installStaged: renderInstallScript({
        name: "runc",
        version: "1.1.12",
        checksum: { algorithm: "sha512", digest: "b".repeat(128) },
        archive: "binary",
        binaries: ["runc"],
        archivePaths: {},
        binDir: "/usr/local/bin",
        source: { stagedPath: "/var/tmp/k8s-binary-x-runc" },
        owner: "w1-runc",
    }),
    uninstall: renderUninstallScript({ name: "etcd", version: "3.5.17", binaries: ["etcd"], binDir: "/usr/local/bin", owner: "e1-etcd" }),
    wait: renderWaitScript("etcd healthy", "etcdctl endpoint health", 30, 1),
    hostname: renderHostnameScript("master01"),
    hostsFile: renderHostsFileScript(),
    swap: renderSwapOffScript(),
    kernel: renderKernelScript({
        requiredModules: ["br_netfilter"],
        optionalModules: ["ip_vs"],
        sysctlFile: "/etc/sysctl.d/90-k8s-binary.conf",
        sysctlKeys: { "net.ipv4.ip_forward": "1" },
        sysctlFailure: "warn",
    }),
    packages: renderPackagesScript(["conntrack", "ipset"]),
    firewallOpen: renderFirewallScript("open", ["6443/tcp", "2379-2380/tcp", "8472/udp", "vrrp"]),
    firewallDisable: renderFirewallScript("disable", []),
    selinux: renderSelinuxScript(),
    timeSync: renderTimeSyncScript(true),
};

for (const [name, script] of Object.entries(scripts)) {
    test(`rendered script "${name}" parses with bash -n, also as the quoted command line`, () => {
        for (const text of [script, remoteScript({ sudo: false }, script)]) {
            const r = spawnSync("bash", ["-n"], { input: text, encoding: "utf8" });
            assert.equal(r.status, 0, `bash -n failed for ${name}: ${r.stderr}\n${text}`);
        }
    });
}

test("the command line is one bash -c word that runs the script unchanged", () => {
    const r = spawnSync("bash", ["-c", remoteScript({}, `printf '%s|' "it's" "a b"; echo`)], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "it's|a b|\n");
});

test("the wait loop reports the description and the check's last output on timeout", () => {
    const r = spawnSync("bash", ["-c", remoteScript({}, renderWaitScript("demo ready", "echo not-yet; false", 1, 1))], { input: "", encoding: "utf8" });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /timed out after 1s waiting for: demo ready/);
    assert.match(r.stderr, /not-yet/);
});
