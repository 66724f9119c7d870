import { test } from "node:test";
import assert from "node:assert/strict";
import type { ControlPlaneArgs } from "../../../components/control-plane/args";
import { apiserverServingSans, auditPolicyProblem, MANAGED_FLAGS, planControlPlane } from "../../../components/control-plane/plan";
import type { InstalledRelease } from "../../../components/host";
import type { Issue } from "../../../components/host/issues";
import { tarballRelease } from "../../support/releases";

const host = (n: number, address = `10.77.0.1${n}`) => ({ name: `cp${n}`, address, connection: { host: address } });
const handle = (
    paths: Record<string, string> = { "kube-apiserver": "/usr/local/bin/kube-apiserver", "kube-controller-manager": "/x", "kube-scheduler": "/y" },
) => ({ name: "kubernetes-server", version: "1.37.2", installDir: "/opt", paths }) as unknown as InstalledRelease;
const release = tarballRelease("kubernetes-server", ["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kubectl"], { version: "1.37.2" });
const args = (over: Partial<ControlPlaneArgs> = {}): ControlPlaneArgs => ({
    members: [1, 2, 3].map((n) => host(n)),
    version: "1.37.2",
    release: [release],
    endpoint: { host: "10.77.0.100", port: 6443 },
    etcd: { endpoints: ["https://10.77.0.21:2379"], ca: undefined as unknown as ControlPlaneArgs["etcd"]["ca"] },
    ...over,
});
const show = (issues: Issue[]) => issues.map((i) => `${i.path}: ${i.message}`).join("\n");
/** The issues of `over`, as paths; each must have a message and a hint. */
const pathsOf = (over: Partial<ControlPlaneArgs>) => {
    const { issues } = planControlPlane("main", args(over));
    for (const i of issues) assert.ok(i.message.length > 0 && i.hint.length > 0, show([i]));
    return issues.map((i) => i.path);
};
const at = (issues: Issue[], path: string, re: RegExp) =>
    assert.ok(
        issues.some((i) => i.path === path && re.test(i.message) && i.hint.length > 0),
        `${path} ${re} in:\n${show(issues)}`,
    );

test("a sound plan has no issues and applies every default", () => {
    const { plan, issues, warnings } = planControlPlane("main", args());
    assert.deepEqual(issues, []);
    assert.deepEqual(warnings, []);
    assert.deepEqual(plan.members, [
        { name: "cp1", address: "10.77.0.11" },
        { name: "cp2", address: "10.77.0.12" },
        { name: "cp3", address: "10.77.0.13" },
    ]);
    assert.equal(plan.minor, 37);
    assert.equal(plan.apiserverPort, 6443);
    assert.deepEqual(plan.endpoint, { host: "10.77.0.100", port: 6443, url: "https://10.77.0.100:6443" });
    assert.deepEqual([plan.serviceCidr, plan.podCidr, plan.nodeCidrMaskSize, plan.clusterDomain], ["10.96.0.0/12", "10.244.0.0/16", 24, "cluster.local"]);
    assert.equal(plan.kubernetesServiceIp, "10.96.0.1");
    assert.equal(plan.serviceAccountIssuer, "https://kubernetes.default.svc.cluster.local");
    assert.deepEqual(plan.extraSans, { dnsNames: [], ipAddresses: [] });
    assert.equal(plan.csrSigningHours, 8760);
    assert.deepEqual(plan.encryptionKeyNames, ["key1"]);
    assert.deepEqual({ ...plan.audit, policy: undefined }, { enabled: true, policy: undefined, maxAgeDays: 30, maxBackups: 10, maxSizeMegabytes: 100 });
    assert.equal(auditPolicyProblem(plan.audit.policy), undefined, "the default policy passes its own check");
    assert.deepEqual(plan.bootstrapToken, { ttlHours: 24 });
    assert.deepEqual(plan.extraFlags, { apiserver: {}, controllerManager: {}, scheduler: {} });
    assert.equal(plan.readyTimeoutSeconds, 300);
    assert.equal(plan.certificateRotation, undefined);
    assert.equal(plan.clusterName, "main");
});

test("given values pass through: DNS endpoint, other blocks, domain, SANs split by kind, levers", () => {
    const { plan, issues } = planControlPlane(
        "main",
        args({
            endpoint: { host: "k8s.example.com", port: 443 },
            apiserverPort: 7443,
            serviceCidr: "172.20.0.0/16",
            podCidr: "172.16.0.0/14",
            nodeCidrMaskSize: 26,
            clusterDomain: "corp.internal",
            extraSans: ["api.example.com", "203.0.113.10", "*.k8s.example.com", "fd00::10"],
            certificateRotation: "2026-11",
            bootstrapToken: { ttlHours: 0, rotation: "r2" },
            encryption: { keyNames: ["key2", "key1"] },
            extraFlags: { apiserver: { "--max-requests-inflight": "800" }, scheduler: { v: "2" } },
        }),
    );
    assert.deepEqual(issues, [], show(issues));
    assert.equal(plan.endpoint.url, "https://k8s.example.com:443");
    assert.equal(plan.kubernetesServiceIp, "172.20.0.1");
    assert.equal(plan.serviceAccountIssuer, "https://kubernetes.default.svc.corp.internal");
    assert.deepEqual(plan.extraSans, { dnsNames: ["api.example.com", "*.k8s.example.com"], ipAddresses: ["203.0.113.10", "fd00::10"] });
    assert.deepEqual(plan.bootstrapToken, { ttlHours: 0, rotation: "r2" });
    assert.equal(plan.certificateRotation, "2026-11");
    assert.deepEqual(plan.encryptionKeyNames, ["key2", "key1"]);
    assert.deepEqual(plan.extraFlags.apiserver, { "max-requests-inflight": "800" }, "leading dashes are dropped");
});

test("the serving certificate names every way the apiserver is reached", () => {
    const { plan } = planControlPlane("main", args({ extraSans: ["api.example.com", "203.0.113.10"], clusterDomain: "corp.internal" }));
    const sans = apiserverServingSans(plan, plan.members[1]);
    assert.deepEqual(sans.dnsNames, [
        "kubernetes",
        "kubernetes.default",
        "kubernetes.default.svc",
        "kubernetes.default.svc.corp.internal",
        "cp2",
        "localhost",
        "api.example.com",
    ]);
    assert.deepEqual(sans.ipAddresses, ["10.96.0.1", "10.77.0.12", "127.0.0.1", "10.77.0.100", "203.0.113.10"]);
    const dns = planControlPlane("main", args({ endpoint: { host: "vip.example.com", port: 6443 } })).plan;
    const byName = apiserverServingSans(dns, dns.members[0]);
    assert.ok(byName.dnsNames.includes("vip.example.com"));
    assert.ok(!byName.ipAddresses.includes("vip.example.com"));
});

test("members: non-empty, DNS names, unique names and addresses, reachable addresses", () => {
    assert.deepEqual(pathsOf({ members: [] }), ["members"]);
    const { issues } = planControlPlane(
        "main",
        args({
            members: [host(1), { ...host(2), name: "CP_2" }, host(1, "10.77.0.12"), host(4, "127.0.0.1"), host(5, "10.77.0.11"), host(6, "root@10.0.0.6")],
        }),
    );
    at(issues, "members[1].name", /"CP_2" is not a lower-case DNS label/);
    at(issues, "members[2].name", /"cp1" is listed more than once/);
    at(issues, "members[3].address", /loopback/);
    at(issues, "members[2].address", /10\.77\.0\.12 is used by more than one member/);
    at(issues, "members[4].address", /10\.77\.0\.11 is used by more than one member/);
    at(issues, "members[5].address", /holds a user/);
    assert.equal(issues.length, 6, show(issues));
    assert.deepEqual(pathsOf({ members: [host(1, "10.96.0.5")] }), ["members[0].address"], "a host inside the service block");
    assert.deepEqual(pathsOf({ members: [host(1, "10.244.3.5")] }), ["members[0].address"], "a host inside the pod block");
});

test("version: X.Y.Z; minors before 1.25 refused, minors after the newest checked one warned about", () => {
    assert.deepEqual(pathsOf({ version: "1.36.3" }), []);
    assert.deepEqual(pathsOf({ version: "1.25.0" }), []);
    assert.equal(planControlPlane("main", args({ version: "1.36.3" })).plan.minor, 36);
    for (const bad of ["v1.37.2", "1.37", "latest", "1.37.2-rc.1"]) assert.deepEqual(pathsOf({ version: bad }), ["version"], bad);
    for (const old of ["1.24.17", "1.20.0", "2.37.0"]) {
        const { issues } = planControlPlane("main", args({ version: old }));
        assert.deepEqual(
            issues.map((i) => i.path),
            ["version"],
            old,
        );
        assert.match(issues[0].message, /older than 1\.25/);
    }
    const { issues, warnings } = planControlPlane("main", args({ version: "1.38.0" }));
    assert.deepEqual(issues, []);
    assert.deepEqual(
        warnings.map((w) => w.path),
        ["version"],
    );
    assert.match(warnings[0].message, /newer than 1\.37/);
    assert.equal(planControlPlane("main", args({ version: "1.33.5" })).warnings.length, 0);
});

test("releases: exactly one of installed and release, installed keyed by members, every binary there", () => {
    const all = { cp1: [handle()], cp2: [handle()], cp3: [handle()] };
    assert.deepEqual(pathsOf({ release: undefined, installed: all }), []);
    assert.deepEqual(pathsOf({ release: undefined }), ["release"]);
    assert.deepEqual(pathsOf({ installed: all }), ["installed"]);
    const { issues } = planControlPlane(
        "main",
        args({ release: undefined, installed: { cp1: [handle()], cp2: [handle({ "kube-apiserver": "/a" })], cp9: [handle()] } }),
    );
    at(issues, "installed.cp9", /"cp9" is not in members/);
    at(issues, "installed.cp2", /has no kube-controller-manager/);
    at(issues, "installed.cp2", /has no kube-scheduler/);
    at(issues, "installed", /no release for member cp3/);
    assert.equal(issues.length, 4, show(issues));
    assert.deepEqual(pathsOf({ release: [{ ...release, binaries: ["kube-apiserver", "kube-scheduler"] }] }), ["release"]);
});

test("endpoint and ports", () => {
    assert.deepEqual(pathsOf({ endpoint: { host: "k8s.example.com", port: 6443 } }), []);
    for (const bad of ["not a host", "10.77.0.100:6443", "admin@10.77.0.100", "-x.example.com", "127.0.0.1", "0.0.0.0"]) {
        assert.deepEqual(pathsOf({ endpoint: { host: bad, port: 6443 } }), ["endpoint.host"], bad);
    }
    for (const port of [0, 65536, 1.5]) assert.deepEqual(pathsOf({ endpoint: { host: "10.77.0.100", port } }), ["endpoint.port"], `${port}`);
    for (const port of [0, 70000, 10257, 10259]) assert.deepEqual(pathsOf({ apiserverPort: port }), ["apiserverPort"], `${port}`);
});

test("networks: IPv4 CIDRs in network form, usable sizes, no overlap, node blocks that fit", () => {
    for (const bad of ["10.96.0.0", "10.96.0.0/33", "fd00::/108", "10.96.0.1/12", "bogus"])
        assert.deepEqual(pathsOf({ serviceCidr: bad }), ["serviceCidr"], bad);
    assert.deepEqual(pathsOf({ serviceCidr: "11.0.0.0/8" }), ["serviceCidr"], "wider than /12");
    assert.deepEqual(pathsOf({ serviceCidr: "224.0.0.0/16" }), ["serviceCidr"], "multicast");
    for (const bad of ["10.244.0.0/33", "10.244.1.0/16", "x"]) assert.deepEqual(pathsOf({ podCidr: bad }), ["podCidr"], bad);
    const overlap = planControlPlane("main", args({ podCidr: "10.96.0.0/16" })).issues;
    at(overlap, "podCidr", /10\.96\.0\.0\/16 overlaps serviceCidr 10\.96\.0\.0\/12/);
    assert.deepEqual(pathsOf({ podCidr: "10.96.0.0/11" }), ["podCidr"], "a block containing the service block overlaps too");
    for (const bad of [16, 12, 31, 24.5]) assert.deepEqual(pathsOf({ nodeCidrMaskSize: bad }), ["nodeCidrMaskSize"], `${bad}`);
    assert.deepEqual(pathsOf({ podCidr: "100.64.0.0/10", nodeCidrMaskSize: 27 }), ["nodeCidrMaskSize"], "more than 2^16 node blocks");
    assert.deepEqual(pathsOf({ podCidr: "100.64.0.0/10", nodeCidrMaskSize: 26 }), []);
    for (const bad of ["Cluster.Local", "cluster_local", "", "1.2.3.4", "a..b"]) assert.deepEqual(pathsOf({ clusterDomain: bad }), ["clusterDomain"], bad);
});

test("extra SANs: each a DNS name or an IP address", () => {
    const { issues } = planControlPlane("main", args({ extraSans: ["ok.example.com", "has space", "10.0.0.1:443", "a_b.example.com"] }));
    assert.deepEqual(
        issues.map((i) => i.path),
        ["extraSans[1]", "extraSans[2]", "extraSans[3]"],
    );
});

test("encryption keys: non-empty, named [a-z0-9-]{1,63}, unique", () => {
    assert.deepEqual(pathsOf({ encryption: { keyNames: [] } }), ["encryption.keyNames"]);
    assert.deepEqual(pathsOf({ encryption: { keyNames: ["key1", "Key2", "key1", "k".repeat(64), ""] } }), [
        "encryption.keyNames[1]",
        "encryption.keyNames[2]",
        "encryption.keyNames[3]",
        "encryption.keyNames[4]",
    ]);
});

test("audit: positive numbers, a policy that is an audit.k8s.io/v1 Policy with rules", () => {
    assert.deepEqual(pathsOf({ audit: { maxAgeDays: 0, maxBackups: -1, maxSizeMegabytes: 1.5 } }), [
        "audit.maxAgeDays",
        "audit.maxBackups",
        "audit.maxSizeMegabytes",
    ]);
    const good = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None\n";
    const { plan } = planControlPlane("main", args({ audit: { policy: good, enabled: false } }));
    assert.equal(plan.audit.policy, good);
    assert.equal(plan.audit.enabled, false);
    const bad: [string, RegExp][] = [
        ["", /is empty/],
        ["kind: [", /is not YAML/],
        ["- a\n- b\n", /not a YAML mapping/],
        ["apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules: [{level: None}]\n", /not a Policy of audit\.k8s\.io\/v1/],
        ["apiVersion: audit.k8s.io/v1\nkind: Pod\nrules: [{level: None}]\n", /not a Policy/],
        ["apiVersion: audit.k8s.io/v1\nkind: Policy\n", /has no rules/],
        ["apiVersion: audit.k8s.io/v1\nkind: Policy\nrules: []\n", /has no rules/],
    ];
    for (const [policy, re] of bad) {
        const { issues } = planControlPlane("main", args({ audit: { policy } }));
        assert.deepEqual(
            issues.map((i) => i.path),
            ["audit.policy"],
            policy,
        );
        assert.match(issues[0].message, re);
    }
});

test("lifetimes and timeouts", () => {
    for (const bad of [-1, 1.5, NaN]) assert.deepEqual(pathsOf({ bootstrapToken: { ttlHours: bad } }), ["bootstrapToken.ttlHours"], `${bad}`);
    assert.deepEqual(pathsOf({ bootstrapToken: { rotation: "a\nb" } }), ["bootstrapToken.rotation"]);
    for (const bad of [0, -5, 2.5]) assert.deepEqual(pathsOf({ csrSigningHours: bad }), ["csrSigningHours"], `${bad}`);
    for (const bad of [0, 1.5]) assert.deepEqual(pathsOf({ certificateValidityHours: bad }), ["certificateValidityHours"], `${bad}`);
    assert.deepEqual(pathsOf({ certificateRotation: "a\nb" }), ["certificateRotation"]);
    for (const bad of [0, -1, NaN]) assert.deepEqual(pathsOf({ readyTimeoutSeconds: bad }), ["readyTimeoutSeconds"], `${bad}`);
});

test("extra flags: names, one-word values, never a managed flag; the path names binary and flag", () => {
    const { issues } = planControlPlane(
        "main",
        args({
            extraFlags: {
                apiserver: { "etcd-servers": "https://x:2379", "Bad Flag": "1", v: "a b", "event-ttl": "1h\n--x=1", "feature-gates": 'A="1"' },
                controllerManager: { "--cluster-signing-duration": "1h", "node-monitor-grace-period": "$HOME" },
                scheduler: { config: "/tmp/x.yaml", profiling: "fa\\lse" },
            },
        }),
    );
    at(issues, "extraFlags.apiserver.etcd-servers", /"etcd-servers" is set by the component/);
    at(issues, "extraFlags.apiserver.Bad Flag", /not a flag name/);
    at(issues, "extraFlags.apiserver.v", /whitespace/);
    at(issues, "extraFlags.apiserver.event-ttl", /line break/);
    at(issues, "extraFlags.apiserver.feature-gates", /quote/);
    at(issues, "extraFlags.controllerManager.--cluster-signing-duration", /"cluster-signing-duration" is set by the component/);
    at(issues, "extraFlags.controllerManager.node-monitor-grace-period", /\$/);
    at(issues, "extraFlags.scheduler.config", /set by the component/);
    at(issues, "extraFlags.scheduler.profiling", /backslash/);
    assert.equal(issues.length, 9, show(issues));
    for (const binary of ["apiserver", "controllerManager", "scheduler"] as const) {
        for (const flag of MANAGED_FLAGS[binary]) {
            assert.deepEqual(pathsOf({ extraFlags: { [binary]: { [flag]: "x" } } }), [`extraFlags.${binary}.${flag}`], `${binary} ${flag}`);
        }
    }
});

test("a component name that is no DNS name is a warning, and the cluster name stays kubernetes", () => {
    const { plan, issues, warnings } = planControlPlane("My Cluster", args());
    assert.deepEqual(issues, []);
    assert.deepEqual(
        warnings.map((w) => w.path),
        ["(name)"],
    );
    assert.equal(plan.clusterName, "kubernetes");
});
