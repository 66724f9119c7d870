import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { ControlPlaneArgs } from "../../../components/control-plane/args";
import { CP_PATHS } from "../../../components/control-plane/layout";
import { MANAGED_FLAGS, planControlPlane, type ControlPlanePlan } from "../../../components/control-plane/plan";
import { apiserverFlags, renderApiserverEnv } from "../../../components/control-plane/render-apiserver";
import { DEFAULT_AUDIT_POLICY, renderAuditPolicy, renderEncryptionConfig } from "../../../components/control-plane/render-config";
import { controllerManagerFlags, renderControllerManagerEnv } from "../../../components/control-plane/render-controller-manager";
import { renderFlagsEnv } from "../../../components/control-plane/render-env";
import { CONTROLLER_READY_CHECKS, renderApiserverReadyCheck, renderControllerReadyCheck } from "../../../components/control-plane/render-health";
import { renderSchedulerConfig, renderSchedulerEnv, schedulerFlags } from "../../../components/control-plane/render-scheduler";
import { renderApiserverUnit, renderControllerManagerUnit, renderSchedulerUnit } from "../../../components/control-plane/render-units";
import { bootstrapTokenSecretData, kubeletApiRole, tlsBootstrapBindings } from "../../../components/control-plane/rbac";

const host = (n: number) => ({ name: `cp${n}`, address: `10.77.0.1${n}`, connection: { host: `10.77.0.1${n}` } });
const planOf = (over: Partial<ControlPlaneArgs> = {}): ControlPlanePlan => {
    const { plan, issues } = planControlPlane("main", {
        members: [1, 2, 3].map(host),
        version: "1.37.2",
        release: [],
        endpoint: { host: "10.77.0.100", port: 6443 },
        etcd: { endpoints: [], ca: undefined as unknown as ControlPlaneArgs["etcd"]["ca"] },
        ...over,
    });
    assert.deepEqual(
        issues.filter((i) => i.path !== "release"),
        [],
    );
    return plan;
};
const etcd = ["https://10.77.0.21:2379", "https://10.77.0.22:2379"];

test("apiserver flags: the member's address, every etcd endpoint, the plan's blocks and paths", () => {
    const plan = planOf({ apiserverPort: 7443, serviceCidr: "172.20.0.0/16", clusterDomain: "corp.internal" });
    const f = apiserverFlags(plan, plan.members[1], etcd);
    assert.equal(f["advertise-address"], "10.77.0.12");
    assert.equal(f["secure-port"], "7443");
    assert.equal(f["etcd-servers"], "https://10.77.0.21:2379,https://10.77.0.22:2379");
    assert.equal(f["service-cluster-ip-range"], "172.20.0.0/16");
    assert.equal(f["service-account-issuer"], "https://kubernetes.default.svc.corp.internal");
    assert.equal(f["service-account-key-file"], CP_PATHS.serviceAccountPub);
    assert.equal(f["service-account-signing-key-file"], CP_PATHS.serviceAccountKey);
    assert.equal(f["kubelet-certificate-authority"], CP_PATHS.caCert);
    assert.equal(f["requestheader-client-ca-file"], CP_PATHS.frontProxyCaCert);
    assert.equal(f["requestheader-allowed-names"], "front-proxy-client");
    assert.equal(f["authorization-mode"], "Node,RBAC");
    assert.equal(f["enable-admission-plugins"], "NodeRestriction");
    assert.equal(f["audit-log-maxbackup"], "10");
    // Told to stop, it serves on before closing its listener (the rolling restart refuses new connections meanwhile).
    assert.equal(f["shutdown-delay-duration"], "2s");
    for (const gone of ["insecure-port", "insecure-bind-address", "logtostderr", "alsologtostderr", "log-dir", "port", "address"])
        assert.ok(!(gone in f), gone);
    assert.deepEqual(Object.keys(f).sort(), [...MANAGED_FLAGS.apiserver].sort(), "every flag written is a managed one, and all are written with audit on");
    const quiet = apiserverFlags(planOf({ audit: { enabled: false } }), plan.members[0], etcd);
    assert.ok(!Object.keys(quiet).some((k) => k.startsWith("audit-")));
    const extra = apiserverFlags(planOf({ extraFlags: { apiserver: { "max-requests-inflight": "800" } } }), plan.members[0], etcd);
    assert.equal(extra["max-requests-inflight"], "800");
});

test("controller-manager and scheduler flags", () => {
    const plan = planOf({
        podCidr: "10.200.0.0/16",
        nodeCidrMaskSize: 25,
        csrSigningHours: 720,
        extraFlags: { controllerManager: { v: "2" }, scheduler: { v: "3" } },
    });
    const cm = controllerManagerFlags(plan, plan.members[0]);
    assert.equal(cm["cluster-cidr"], "10.200.0.0/16");
    assert.equal(cm["node-cidr-mask-size"], "25");
    assert.equal(cm["cluster-signing-duration"], "720h");
    assert.equal(cm.controllers, "*,bootstrapsigner,tokencleaner");
    assert.equal(cm["bind-address"], "127.0.0.1");
    assert.equal(cm["cluster-name"], "main");
    assert.equal(cm.kubeconfig, CP_PATHS.controllerManagerKubeconfig);
    assert.equal(cm["authorization-kubeconfig"], CP_PATHS.controllerManagerKubeconfig);
    assert.equal(cm.v, "2");
    const { v: _cmv, ...cmManaged } = cm;
    assert.deepEqual(Object.keys(cmManaged).sort(), [...MANAGED_FLAGS.controllerManager].sort());
    const s = schedulerFlags(plan);
    assert.deepEqual(s, {
        config: CP_PATHS.schedulerConfig,
        "authentication-kubeconfig": CP_PATHS.schedulerKubeconfig,
        "authorization-kubeconfig": CP_PATHS.schedulerKubeconfig,
        "bind-address": "127.0.0.1",
        v: "3",
    });
    assert.deepEqual(parse(renderSchedulerConfig(plan)), {
        apiVersion: "kubescheduler.config.k8s.io/v1",
        kind: "KubeSchedulerConfiguration",
        clientConnection: { kubeconfig: CP_PATHS.schedulerKubeconfig },
        leaderElection: { leaderElect: true },
    });
});

test("env files: one double-quoted line of --name=value words, sorted by name, independent of insertion order", () => {
    const env = renderFlagsEnv("KUBE_X_ARGS", { zeta: "1", alpha: "a,b", "mid-flag": "https://h:1/p?q=1" });
    const lines = env.split("\n").filter((l) => l && !l.startsWith("#"));
    assert.deepEqual(lines, ['KUBE_X_ARGS="--alpha=a,b --mid-flag=https://h:1/p?q=1 --zeta=1"']);
    assert.equal(env, renderFlagsEnv("KUBE_X_ARGS", { "mid-flag": "https://h:1/p?q=1", alpha: "a,b", zeta: "1" }));
    assert.ok(env.endsWith("\n"));
    const plan = planOf();
    assert.match(
        renderApiserverEnv(apiserverFlags(plan, plan.members[0], etcd)),
        /^KUBE_APISERVER_ARGS="--advertise-address=10\.77\.0\.11 --allow-privileged=true /m,
    );
    assert.match(renderControllerManagerEnv(controllerManagerFlags(plan, plan.members[0])), /^KUBE_CONTROLLER_MANAGER_ARGS="--allocate-node-cidrs=true /m);
    assert.match(renderSchedulerEnv(schedulerFlags(plan)), /^KUBE_SCHEDULER_ARGS="--authentication-kubeconfig=/m);
    assert.match(
        renderApiserverEnv(apiserverFlags(plan, plan.members[0], etcd)),
        / --controllers=|--etcd-servers=https:\/\/10\.77\.0\.21:2379,https:\/\/10\.77\.0\.22:2379 /,
    );
});

test("env files refuse words the unit's splitting would break, naming the flag and never the value", () => {
    for (const value of ["sec ret", 'sec"ret', "sec'ret", "sec\\ret", "$SECRET", "sec`ret`", "sec\nret", "sec\tret"]) {
        assert.throws(
            () => renderFlagsEnv("KUBE_X_ARGS", { flag: value }),
            (e: Error) => /--flag/.test(e.message) && !e.message.includes(value),
            JSON.stringify(value),
        );
    }
    assert.throws(() => renderFlagsEnv("KUBE_X_ARGS", { "Bad Name": "1" }), /not a flag name/);
    assert.throws(() => renderFlagsEnv("kube args", { a: "1" }), /not an environment variable name/);
});

test("units: one per binary, the text depends only on the binary path", () => {
    const a = renderApiserverUnit("/usr/local/bin/kube-apiserver");
    assert.match(a, /^Type=notify$/m);
    assert.match(a, /^EnvironmentFile=\/etc\/kubernetes\/kube-apiserver\.env$/m);
    assert.match(a, /^ExecStart=\/usr\/local\/bin\/kube-apiserver \$KUBE_APISERVER_ARGS$/m);
    assert.match(a, /^Restart=on-failure$/m);
    assert.match(a, /^LimitNOFILE=65536$/m);
    assert.match(a, /^After=network-online\.target$/m);
    const cm = renderControllerManagerUnit("/usr/local/bin/kube-controller-manager");
    assert.match(cm, /^Type=simple$/m);
    assert.match(cm, /^EnvironmentFile=\/etc\/kubernetes\/kube-controller-manager\.env$/m);
    assert.match(cm, /^ExecStart=\/usr\/local\/bin\/kube-controller-manager \$KUBE_CONTROLLER_MANAGER_ARGS$/m);
    const s = renderSchedulerUnit("/opt/bin/kube-scheduler");
    assert.match(s, /^ExecStart=\/opt\/bin\/kube-scheduler \$KUBE_SCHEDULER_ARGS$/m);
    assert.match(s, /^EnvironmentFile=\/etc\/kubernetes\/kube-scheduler\.env$/m);
    assert.equal(renderApiserverUnit("/x"), renderApiserverUnit("/x"));
});

test("encryption config: secretbox keys in order, identity last; malformed keys refused without their secret", () => {
    const k1 = Buffer.alloc(32, 1).toString("base64");
    const k2 = Buffer.alloc(32, 2).toString("base64");
    const doc = parse(
        renderEncryptionConfig([
            { name: "key2", secret: k2 },
            { name: "key1", secret: k1 },
        ]),
    );
    assert.equal(doc.apiVersion, "apiserver.config.k8s.io/v1");
    assert.equal(doc.kind, "EncryptionConfiguration");
    assert.deepEqual(doc.resources, [
        {
            resources: ["secrets"],
            providers: [
                {
                    secretbox: {
                        keys: [
                            { name: "key2", secret: k2 },
                            { name: "key1", secret: k1 },
                        ],
                    },
                },
                { identity: {} },
            ],
        },
    ]);
    assert.throws(() => renderEncryptionConfig([]), /at least one key/);
    const short = Buffer.alloc(16, 3).toString("base64");
    assert.throws(
        () => renderEncryptionConfig([{ name: "key1", secret: short }]),
        (e: Error) => /key1 is not the base64 of 32 bytes/.test(e.message) && !e.message.includes(short),
    );
    assert.throws(() => renderEncryptionConfig([{ name: "Key 1", secret: k1 }]), /not an encryption key name/);
});

test("audit policy: metadata of everything without RequestReceived by default, the Args' policy otherwise", () => {
    const def = parse(DEFAULT_AUDIT_POLICY);
    assert.deepEqual(def, { apiVersion: "audit.k8s.io/v1", kind: "Policy", omitStages: ["RequestReceived"], rules: [{ level: "Metadata" }] });
    assert.equal(renderAuditPolicy(planOf()), DEFAULT_AUDIT_POLICY);
    const own = "apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n  - level: None";
    assert.equal(renderAuditPolicy(planOf({ audit: { policy: own } })), `${own}\n`);
});

test("health checks: local, anonymous, failing on HTTP errors", () => {
    assert.equal(renderApiserverReadyCheck(6443), "curl -fsSk --max-time 5 https://127.0.0.1:6443/readyz");
    assert.equal(renderControllerReadyCheck(10257), "curl -fsSk --max-time 5 https://127.0.0.1:10257/healthz");
    assert.match(CONTROLLER_READY_CHECKS.controllerManager, /:10257\/healthz$/);
    assert.match(CONTROLLER_READY_CHECKS.scheduler, /:10259\/healthz$/);
    for (const c of [renderApiserverReadyCheck(6443), ...Object.values(CONTROLLER_READY_CHECKS)]) assert.doesNotMatch(c, /--cert|--key|Authorization|token/i);
});

test("RBAC data: TLS bootstrap bindings and the apiserver's kubelet API role", () => {
    assert.deepEqual(
        tlsBootstrapBindings().map((b) => [b.roleName, b.subject.kind, b.subject.name]),
        [
            ["system:node-bootstrapper", "Group", "system:bootstrappers"],
            ["system:certificates.k8s.io:certificatesigningrequests:nodeclient", "Group", "system:bootstrappers"],
            ["system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", "Group", "system:nodes"],
        ],
    );
    assert.equal(new Set(tlsBootstrapBindings().map((b) => b.name)).size, 3);
    const role = kubeletApiRole();
    assert.equal(role.name, "system:kube-apiserver-to-kubelet");
    assert.deepEqual(role.rules, [{ apiGroups: [""], resources: ["nodes/proxy", "nodes/stats", "nodes/log", "nodes/spec", "nodes/metrics"], verbs: ["*"] }]);
    assert.deepEqual(role.binding, { name: role.name, roleName: role.name, subject: { kind: "User", name: "kube-apiserver-kubelet-client" } });
});

test("bootstrap token Secret data", () => {
    assert.deepEqual(bootstrapTokenSecretData("abc123", "0123456789abcdef", "2026-12-31T00:00:00Z"), {
        "token-id": "abc123",
        "token-secret": "0123456789abcdef",
        "usage-bootstrap-authentication": "true",
        "usage-bootstrap-signing": "true",
        "auth-extra-groups": "system:bootstrappers:k8s-binary:default-node-token",
        expiration: "2026-12-31T00:00:00Z",
    });
    assert.ok(!("expiration" in bootstrapTokenSecretData("abc123", "0123456789abcdef")));
    assert.throws(() => bootstrapTokenSecretData("ABC123", "0123456789abcdef"), /token id/);
    assert.throws(
        () => bootstrapTokenSecretData("abc123", "0123456789ABCDEF"),
        (e: Error) => !e.message.includes("0123456789ABCDEF"),
    );
    assert.throws(() => bootstrapTokenSecretData("abc123", "0123456789abcdef", "tomorrow"), /RFC 3339/);
});
