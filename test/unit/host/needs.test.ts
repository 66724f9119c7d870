// The per-host plan's merge: components sharing a host get one install per release, one opening
// per port, and every conflict between their declarations is named with both owners.
import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { firewallEntry, mergeHostNeeds, type NeedsDeclaration, type ReleaseNeed } from "../../../components/host";

const etcd = (binaries: string[], digest = "a".repeat(64)): ReleaseNeed => ({
    name: "etcd",
    version: "3.6.16",
    url: "http://mirror/etcd.tgz",
    checksum: { algorithm: "sha256", digest },
    archive: "tar.gz",
    binaries,
});
const decl = (owner: string, needs: NeedsDeclaration["needs"], path = owner): NeedsDeclaration => ({ owner, path, needs });

describe("mergeHostNeeds", () => {
    it("installs a release shared by two components once, with the binaries of both", () => {
        const m = mergeHostNeeds("h1", [decl("etcd", { releases: [etcd(["etcd", "etcdctl"])] }), decl("backup", { releases: [etcd(["etcdutl", "etcdctl"])] })]);
        assert.deepEqual(m.issues, []);
        assert.equal(m.needs.releases.length, 1);
        assert.deepEqual(m.needs.releases[0].binaries, ["etcd", "etcdctl", "etcdutl"]);
        assert.deepEqual(m.owners["etcd@3.6.16"], ["etcd", "backup"]);
    });

    it("refuses one release name and version with two digests, naming both owners", () => {
        const m = mergeHostNeeds("h1", [decl("etcd", { releases: [etcd(["etcd"])] }), decl("other", { releases: [etcd(["etcd"], "b".repeat(64))] })]);
        assert.equal(m.issues.length, 1);
        assert.match(m.issues[0].message, /etcd 3\.6\.16 on h1 has digest b+ for other but a+ for etcd/);
    });

    it("refuses two listeners on one port, and a port inside another's range, at the configurable setting", () => {
        const m = mergeHostNeeds("h1", [
            decl("etcd", { ports: [{ protocol: "tcp", port: 2379, what: "etcd clients" }] }),
            decl("worker", { ports: [{ protocol: "tcp", port: 30000, toPort: 32767, what: "NodePorts" }] }),
            decl("lb", {
                ports: [
                    { protocol: "tcp", port: 2379, what: "apiserver load balancer", path: "loadBalancer.port" },
                    { protocol: "vrrp", what: "keepalived" },
                ],
            }),
            decl("lb2", {
                ports: [
                    { protocol: "tcp", port: 30443, what: "second balancer", path: "other.port" },
                    { protocol: "vrrp", what: "keepalived" },
                ],
            }),
        ]);
        assert.deepEqual(
            m.issues.map((i) => [i.path, i.message]),
            [
                ["loadBalancer.port", "2379/tcp for apiserver load balancer (lb) is also the etcd clients port on h1 (etcd)"],
                ["other.port", "30443/tcp for second balancer (lb2) is also the NodePorts port on h1 (worker)"],
            ],
        );
        assert.deepEqual(m.needs.ports.map(firewallEntry), ["2379/tcp", "30000-32767/tcp", "30443/tcp", "vrrp"]);
    });

    it("lets one protocol's port differ from another's, and a declaration repeat itself", () => {
        const m = mergeHostNeeds("h1", [
            decl("a", {
                ports: [
                    { protocol: "tcp", port: 8472, what: "x" },
                    { protocol: "tcp", port: 8472, what: "x" },
                ],
            }),
            decl("b", { ports: [{ protocol: "udp", port: 8472, what: "vxlan" }] }),
        ]);
        assert.deepEqual(m.issues, []);
        assert.deepEqual(m.needs.ports.map(firewallEntry), ["8472/tcp", "8472/udp"]);
    });

    it("unites packages and modules, and refuses one sysctl key with two values", () => {
        const m = mergeHostNeeds("h1", [
            decl("host", { packages: ["curl"], requiredModules: ["overlay"], sysctl: { "net.ipv4.ip_forward": "1" } }),
            decl("worker", { packages: ["socat", "curl"], optionalModules: ["overlay", "ip_vs"], sysctl: { "net.ipv4.ip_forward": "0" } }),
        ]);
        assert.deepEqual(m.needs.packages, ["curl", "socat"]);
        assert.deepEqual([m.needs.requiredModules, m.needs.optionalModules], [["overlay"], ["ip_vs"]], "a required module is not optional too");
        assert.deepEqual(
            m.issues.map((i) => i.message),
            ["sysctl net.ipv4.ip_forward on h1 is 0 for worker but 1 for host"],
        );
    });
});
