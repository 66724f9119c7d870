// One check, two callers: the value checks in components/host/value-checks.ts are what the spec
// refuses at `npm run validate` and what the components refuse on their own Args, word for word,
// so nothing passes validate to be refused only during `pulumi up`.
import { test } from "node:test";
import assert from "node:assert/strict";
import { calendarProblem, hostAddressProblem, hostPathProblem, interfaceNameProblem, looksLikeKeyMaterial } from "../../../components/host/value-checks";
import { planEtcd, type EtcdClusterArgs } from "../../../components/etcd";
import type { NginxKeepalivedLBArgs } from "../../../components/lb/args";
import { planLB } from "../../../components/lb/plan";
import { parseClusterSpec, SpecError } from "../../../components/cluster-spec";
import { baseSpec, type RawSpec } from "./fixtures/base";

function specProblem(mutate: (raw: RawSpec) => void, path: string): string {
    const raw = baseSpec();
    mutate(raw);
    try {
        parseClusterSpec(raw);
    } catch (e) {
        assert.ok(e instanceof SpecError);
        const issue = e.issues.find((i) => i.path === path);
        assert.ok(issue, `no problem at ${path}:\n${e.message}`);
        return issue.message;
    }
    assert.fail("the spec was accepted");
}

const etcdIssues = (over: Partial<EtcdClusterArgs>): string[] =>
    planEtcd("etcd", {
        members: [{ name: "e1", address: "10.0.0.11", connection: { host: "10.0.0.11" } }],
        release: { version: "3.5.21", sha256: "a".repeat(64) },
        ...over,
    }).issues.map((i) => i.message);

const lbArgs = (over: Partial<NginxKeepalivedLBArgs>): NginxKeepalivedLBArgs => ({
    hosts: ["10.0.0.13", "10.0.0.14"].map((address, i) => ({ host: { name: `lb${i + 1}`, address, connection: { host: address } } })),
    vip: "10.0.0.100",
    interface: "eth0",
    virtualRouterId: 51,
    backends: ["10.0.0.11:6443"],
    ...over,
});

test("a loopback host address: the same words from validate and from EtcdCluster", () => {
    const words = hostAddressProblem("127.0.0.1")!;
    assert.ok(specProblem((r) => (r.hosts[0].address = "127.0.0.1"), "hosts[0].address").includes(words));
    assert.ok(etcdIssues({ members: [{ name: "e1", address: "127.0.0.1", connection: { host: "127.0.0.1" } }] }).some((e) => e.includes(words)));
});

test("an interface name with shell characters: the same words from validate and from NginxKeepalivedLB", () => {
    const words = interfaceNameProblem("eth0;reboot")!;
    assert.ok(specProblem((r) => (r.loadBalancer.interface = "eth0;reboot"), "loadBalancer.interface").includes(words));
    assert.ok(planLB(lbArgs({ interface: "eth0;reboot" })).issues.some((i) => i.path === "interface" && i.message.includes(words)));
});

test("a backup schedule holding a newline: the same words from validate and from EtcdCluster", () => {
    const schedule = "daily\nExecStartPre=/bin/true";
    const words = calendarProblem(schedule)!;
    assert.ok(specProblem((r) => (r.etcd = { backup: { schedule } }), "etcd.backup.schedule").includes(words));
    assert.ok(etcdIssues({ backup: { schedule } }).some((e) => e.includes(words)));
});

test("a VIP on a multicast address is refused by both, and host paths keep to plain characters", () => {
    const words = hostAddressProblem("239.1.1.1")!;
    assert.ok(specProblem((r) => (r.loadBalancer.vip = "239.1.1.1"), "loadBalancer.vip").includes(words));
    assert.ok(planLB(lbArgs({ vip: "239.1.1.1" })).issues.some((i) => i.path === "vip" && i.message.includes(words)));
    assert.equal(hostPathProblem("/var/backups/etcd"), undefined);
    for (const bad of ["/var/backups/$(id)", "/var/back ups", "/var/../etc", "relative/dir", "/var/backups\n"]) assert.ok(hostPathProblem(bad), bad);
});

test("key material is told from long paths: base64 runs are caught, a cache path with a hex key is not", () => {
    const key = Buffer.from(Array.from({ length: 66 }, (_, i) => (i * 97 + 13) % 256)).toString("base64");
    assert.ok(looksLikeKeyMaterial(key), "88 characters of base64");
    assert.ok(looksLikeKeyMaterial(`/srv/${key}`), "base64 inside a path");
    assert.ok(looksLikeKeyMaterial("-----BEGIN OPENSSH PRIVATE KEY-----"));
    const cache = "/root/.cache/k8s-binary/toolchain/kubernetes/1033a4eaea3220e7/release/kubernetes/v1.37.2";
    assert.equal(looksLikeKeyMaterial(cache), false);
    assert.equal(looksLikeKeyMaterial("/home/Operator/Releases2026/kubernetes/server/bin/linux/amd64/kube-apiserver"), false);
});
