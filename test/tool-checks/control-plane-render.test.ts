import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ControlPlaneArgs } from "../../components/control-plane/args";
import { APISERVER_UNIT, CONTROLLER_MANAGER_UNIT, CP_PATHS, SCHEDULER_UNIT } from "../../components/control-plane/layout";
import { planControlPlane, type ControlPlanePlan } from "../../components/control-plane/plan";
import { apiserverFlags, renderApiserverEnv } from "../../components/control-plane/render-apiserver";
import { renderAuditPolicy, renderEncryptionConfig } from "../../components/control-plane/render-config";
import { controllerManagerFlags, renderControllerManagerEnv } from "../../components/control-plane/render-controller-manager";
import { renderApiserverReadyCheck, renderControllerReadyCheck } from "../../components/control-plane/render-health";
import { renderSchedulerConfig, renderSchedulerEnv, schedulerFlags } from "../../components/control-plane/render-scheduler";
import { renderApiserverUnit, renderControllerManagerUnit, renderSchedulerUnit } from "../../components/control-plane/render-units";
import { bootstrapTokenSecretData, bootstrapTokenSecretName, tlsBootstrapBindings } from "../../components/control-plane/rbac";
import { verifyUnit } from "../support/systemd-verify";
import { familyPath } from "../support/toolchain";

// The rendered flags, configuration files and units against the toolchain's real Kubernetes
// 1.37.2 binaries, then one real kube-apiserver started from the rendered files against a real
// etcd, on 127.0.0.1 and random ports only. The renderers write fixed paths under /etc/kubernetes
// and /var/log/kubernetes; here every such path is relocated into a temporary directory, and
// nothing else in the rendered text is changed (a bind address on loopback is added as an extra flag).

const KUBE_BIN = join(familyPath("kubernetes"), "bin");
const ETCD_BIN = join(familyPath("etcd"), "bin");
const work = mkdtempSync(join(tmpdir(), "k8s-binary-cp-render-"));
const relocate = (text: string) =>
    text
        .split("/etc/kubernetes/")
        .join(`${join(work, "etc")}/`)
        .split("/var/log/kubernetes/")
        .join(`${join(work, "log")}/`);
const base = 20000 + Math.floor(Math.random() * 20000);
const ports = { etcdClient: base, etcdPeer: base + 1, apiserver: base + 2, controllerManager: base + 3, scheduler: base + 4 };
const children: ChildProcess[] = [];

const host = (n: number) => ({ name: `cp${n}`, address: `10.77.0.1${n}`, connection: { host: `10.77.0.1${n}` } });
function planOf(over: Partial<ControlPlaneArgs> = {}): ControlPlanePlan {
    const { plan, issues } = planControlPlane("render-check", {
        members: [1, 2, 3].map(host),
        version: "1.37.2",
        release: [
            {
                name: "kubernetes-server",
                version: "1.37.2",
                url: "https://dl.k8s.io/x.tar.gz",
                checksum: { algorithm: "sha512", digest: "a".repeat(128) },
                archive: "tar.gz",
                binaries: ["kube-apiserver", "kube-controller-manager", "kube-scheduler"],
            },
        ],
        endpoint: { host: "10.77.0.100", port: 6443 },
        etcd: { endpoints: [], ca: undefined as unknown as ControlPlaneArgs["etcd"]["ca"] },
        ...over,
    });
    assert.deepEqual(issues, []);
    return plan;
}

/** The argument words systemd passes for `ExecStart=<bin> $VAR`: the EnvironmentFile's double-quoted value, split at whitespace. */
function argsFromEnv(env: string, variable: string): string[] {
    const line = env.split("\n").find((l) => l.startsWith(`${variable}=`));
    assert.ok(line, `${variable} in:\n${env}`);
    const m = /^[A-Z_]+="([^"\\$`]*)"$/.exec(line);
    assert.ok(m, `a plain double-quoted value: ${line}`);
    return m[1].split(/\s+/).filter((w) => w.length > 0);
}

function run(bin: string, args: string[], timeout = 30_000): { code: number; out: string } {
    const r = spawnSync(bin, args, { encoding: "utf8", timeout });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function sh(script: string): { code: number; out: string } {
    const r = spawnSync("/bin/bash", ["-c", `set -euo pipefail\n${script}`], {
        encoding: "utf8",
        env: { ...process.env, PATH: `${KUBE_BIN}:${ETCD_BIN}:/usr/bin:/bin` },
        timeout: 60_000,
    });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** Polls `check` until it holds; fails at the deadline, or at once when `of` (a started process) has exited. */
async function until(what: string, check: () => boolean, seconds: number, of?: { proc: ChildProcess; log: () => string }): Promise<void> {
    const deadline = Date.now() + seconds * 1000;
    const log = of?.log;
    while (!check()) {
        if (of && (of.proc.exitCode !== null || of.proc.signalCode !== null)) throw new Error(`${what}: the process exited\n${of.log().slice(-4000)}`);
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}${log ? `\n${log().slice(-4000)}` : ""}`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

function start(bin: string, args: string[]): { proc: ChildProcess; log: () => string } {
    let log = "";
    const proc = spawn(bin, args, { stdio: ["ignore", "pipe", "pipe"] });
    proc.stdout!.on("data", (d) => (log += d));
    proc.stderr!.on("data", (d) => (log += d));
    children.push(proc);
    return { proc, log: () => log };
}

function kubeconfig(path: string, server: string, ca: string, cert: string, key: string): void {
    writeFileSync(
        path,
        `apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "${server}", certificate-authority: "${ca}"}}]
users: [{name: u, user: {client-certificate: "${cert}", client-key: "${key}"}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`,
    );
}

after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
});

describe("control-plane renderers against the real 1.37.2 binaries", { timeout: 150_000 }, () => {
    const plan = planOf({ extraFlags: { apiserver: { "max-requests-inflight": "800" }, controllerManager: { "node-monitor-grace-period": "50s" } } });
    const member = plan.members[0];
    const etcd = ["https://10.77.0.21:2379", "https://10.77.0.22:2379", "https://10.77.0.23:2379"];

    test("kube-apiserver accepts every rendered flag, as systemd passes them, and refuses a misspelled one", () => {
        const args = argsFromEnv(renderApiserverEnv(apiserverFlags(plan, member, etcd)), "KUBE_APISERVER_ARGS");
        assert.ok(args.length >= 35, args.join(" "));
        const ok = run(join(KUBE_BIN, "kube-apiserver"), [...args, "--help"]);
        assert.equal(ok.code, 0, ok.out.slice(0, 2000));
        const bad = run(join(KUBE_BIN, "kube-apiserver"), [...args, "--secure-prot=6443", "--help"]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.out, /unknown flag: --secure-prot/);
        const badValue = run(join(KUBE_BIN, "kube-apiserver"), [...args.filter((a) => !a.startsWith("--secure-port=")), "--secure-port=six", "--help"]);
        assert.notEqual(badValue.code, 0, "a bad value is refused before the help is printed");
        for (const gone of ["--insecure-port=0", "--logtostderr=true"]) {
            assert.notEqual(run(join(KUBE_BIN, "kube-apiserver"), [gone, "--help"]).code, 0, `${gone} is gone from 1.37`);
        }
    });

    test("kube-controller-manager accepts every rendered flag, and refuses a misspelled one", () => {
        const args = argsFromEnv(renderControllerManagerEnv(controllerManagerFlags(plan, member)), "KUBE_CONTROLLER_MANAGER_ARGS");
        const ok = run(join(KUBE_BIN, "kube-controller-manager"), [...args, "--help"]);
        assert.equal(ok.code, 0, ok.out.slice(0, 2000));
        const bad = run(join(KUBE_BIN, "kube-controller-manager"), [...args, "--cluster-sigining-duration=1h", "--help"]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.out, /unknown flag/);
    });

    test("kube-scheduler accepts every rendered flag, and loads the rendered configuration strictly", () => {
        const args = argsFromEnv(renderSchedulerEnv(schedulerFlags(plan)), "KUBE_SCHEDULER_ARGS");
        const ok = run(join(KUBE_BIN, "kube-scheduler"), [...args, "--help"]);
        assert.equal(ok.code, 0, ok.out.slice(0, 2000));
        assert.notEqual(run(join(KUBE_BIN, "kube-scheduler"), [...args, "--bind-adress=127.0.0.1", "--help"]).code, 0);

        // --write-config-to loads, defaults and validates the configuration (strict decoding), writes it and exits.
        const dir = join(work, "scheduler");
        mkdirSync(join(dir, "etc"), { recursive: true });
        const local = (text: string) => text.split("/etc/kubernetes/").join(`${join(dir, "etc")}/`);
        kubeconfig(local(CP_PATHS.schedulerKubeconfig), "https://127.0.0.1:1", "/dev/null", "/dev/null", "/dev/null");
        writeFileSync(local(CP_PATHS.schedulerConfig), local(renderSchedulerConfig(plan)));
        const localArgs = args.map(local);
        const out = join(dir, "written.yaml");
        const r = run(join(KUBE_BIN, "kube-scheduler"), [...localArgs, `--write-config-to=${out}`]);
        assert.equal(r.code, 0, r.out);
        assert.match(readFileSync(out, "utf8"), /leaderElect: true/);
        assert.match(readFileSync(out, "utf8"), new RegExp(`kubeconfig: ${join(dir, "etc", "scheduler.conf")}`));
        writeFileSync(local(CP_PATHS.schedulerConfig), local(renderSchedulerConfig(plan)).replace("leaderElect:", "leaderElekt:"));
        const broken = run(join(KUBE_BIN, "kube-scheduler"), [...localArgs, `--write-config-to=${out}.2`]);
        assert.notEqual(broken.code, 0, "the check notices a broken configuration");
        assert.match(broken.out, /unknown field/);
    });

    test("the three units verify clean", () => {
        for (const [name, text] of [
            [APISERVER_UNIT, renderApiserverUnit("/usr/local/bin/kube-apiserver")],
            [CONTROLLER_MANAGER_UNIT, renderControllerManagerUnit("/usr/local/bin/kube-controller-manager")],
            [SCHEDULER_UNIT, renderSchedulerUnit("/usr/local/bin/kube-scheduler")],
        ]) {
            const v = verifyUnit(name, text);
            assert.equal(v.code, 0, `${name}: ${v.problems.join("\n")}`);
            assert.deepEqual(v.problems, [], name);
        }
    });
});

describe("a real kube-apiserver from the rendered files, against a real etcd, on loopback", { timeout: 150_000 }, () => {
    const etc = join(work, "etc");
    const pki = join(etc, "pki");
    const etcdUrl = `https://127.0.0.1:${ports.etcdClient}`;
    const admin = join(work, "admin.conf");
    let apiserver: ReturnType<typeof start>;
    const plan = planOf({ apiserverPort: ports.apiserver, extraFlags: { apiserver: { "bind-address": "127.0.0.1" } } });
    const etcdctl = `etcdctl --endpoints=${etcdUrl} --cacert=${pki}/etcd/ca.crt --cert=${pki}/apiserver-etcd-client.crt --key=${pki}/apiserver-etcd-client.key --dial-timeout=3s --command-timeout=10s`;

    before(async () => {
        mkdirSync(join(pki, "etcd"), { recursive: true });
        // One authority plays the cluster, etcd and front-proxy CAs; every certificate it issues is ECDSA P-256.
        const ec = "-newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes";
        const issue = (name: string, subj: string, eku: string, sans = "") =>
            `openssl req ${ec} -subj '${subj}' -keyout ${name}.key -out ${name}.csr 2>/dev/null
printf 'extendedKeyUsage=${eku}\\nkeyUsage=critical,digitalSignature,keyEncipherment\\n${sans ? `subjectAltName=${sans}` : ""}\\n' > ${name}.ext
openssl x509 -req -in ${name}.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ${name}.ext -out ${name}.crt 2>/dev/null`;
        const made = sh(`cd ${pki}
openssl req -x509 ${ec} -days 1 -subj /CN=render-check-ca -keyout ca.key -out ca.crt 2>/dev/null
cp ca.crt etcd/ca.crt; cp ca.crt front-proxy-ca.crt
${issue("apiserver", "/CN=kube-apiserver", "serverAuth", "DNS:localhost,IP:127.0.0.1")}
${issue("apiserver-kubelet-client", "/CN=kube-apiserver-kubelet-client", "clientAuth")}
${issue("apiserver-etcd-client", "/CN=kube-apiserver-etcd-client", "clientAuth")}
${issue("front-proxy-client", "/CN=front-proxy-client", "clientAuth")}
${issue("etcd-server", "/CN=etcd", "serverAuth", "IP:127.0.0.1")}
${issue("admin", "/O=system:masters/CN=render-check-admin", "clientAuth")}
${issue("controller-manager", "/CN=system:kube-controller-manager", "clientAuth")}
${issue("scheduler", "/CN=system:kube-scheduler", "clientAuth")}
openssl ecparam -name prime256v1 -genkey -noout -out sa.key
openssl ec -in sa.key -pubout -out sa.pub 2>/dev/null`);
        assert.equal(made.code, 0, made.out);
        kubeconfig(admin, `https://127.0.0.1:${ports.apiserver}`, `${pki}/ca.crt`, `${pki}/admin.crt`, `${pki}/admin.key`);

        const peer = `http://127.0.0.1:${ports.etcdPeer}`;
        const e = start(join(ETCD_BIN, "etcd"), [
            "--name=render-check",
            `--data-dir=${join(work, "etcd-data")}`,
            `--listen-client-urls=${etcdUrl}`,
            `--advertise-client-urls=${etcdUrl}`,
            `--listen-peer-urls=${peer}`,
            `--initial-advertise-peer-urls=${peer}`,
            `--initial-cluster=render-check=${peer}`,
            `--cert-file=${pki}/etcd-server.crt`,
            `--key-file=${pki}/etcd-server.key`,
            `--trusted-ca-file=${pki}/etcd/ca.crt`,
            "--client-cert-auth",
        ]);
        await until("etcd to answer", () => sh(`${etcdctl} endpoint health`).code === 0, 30, e);

        const keys = [{ name: "key1", secret: randomBytes(32).toString("base64") }];
        writeFileSync(relocate(CP_PATHS.encryptionConfig), renderEncryptionConfig(keys), { mode: 0o600 });
        writeFileSync(relocate(CP_PATHS.auditPolicy), renderAuditPolicy(plan));
        // The advertised address is a plan member's (the endpoint reconciler refuses loopback ones); nothing connects to it.
        const env = relocate(renderApiserverEnv(apiserverFlags(plan, plan.members[0], [etcdUrl])));
        apiserver = start(join(KUBE_BIN, "kube-apiserver"), argsFromEnv(env, "KUBE_APISERVER_ARGS"));
        await until("kube-apiserver /readyz through the rendered check", () => sh(renderApiserverReadyCheck(ports.apiserver)).code === 0, 90, apiserver);
    });

    test("a Secret is stored encrypted with secretbox and key1, and read back in the clear", () => {
        const create = sh(`kubectl --kubeconfig=${admin} create secret generic render-check --from-literal=password=hunter2-render-check`);
        assert.equal(create.code, 0, create.out);
        const raw = sh(`${etcdctl} get /registry/secrets/default/render-check --print-value-only`);
        assert.equal(raw.code, 0, raw.out);
        assert.ok(raw.out.startsWith("k8s:enc:secretbox:v1:key1:"), raw.out.slice(0, 80));
        assert.ok(!raw.out.includes("hunter2-render-check"), "the value is not stored in the clear");
        const read = sh(`kubectl --kubeconfig=${admin} get secret render-check -o jsonpath='{.data.password}' | base64 -d`);
        assert.equal(read.out, "hunter2-render-check");
    });

    test("the audit log records the Secret's creation, without its data", async () => {
        const log = relocate(CP_PATHS.auditLog);
        const created = () =>
            existsSync(log) &&
            readFileSync(log, "utf8")
                .split("\n")
                .filter((l) => l.trim() !== "")
                .map((l) => JSON.parse(l))
                .some((e) => e.verb === "create" && e.objectRef?.resource === "secrets" && e.objectRef?.name === "render-check" && e.level === "Metadata");
        await until("the audit entry of the Secret", created, 20, apiserver);
        const text = readFileSync(log, "utf8");
        assert.doesNotMatch(text, /hunter2-render-check|aHVudGVyMi1yZW5kZXItY2hlY2s/, "Secret data never reaches the audit log");
        assert.doesNotMatch(text, /"stage":"RequestReceived"/);
    });

    test("kube-controller-manager and kube-scheduler start from their rendered files and answer their health checks", async () => {
        // Their own identities (the default RBAC bindings name them); the ports move off 10257/10259 through extra flags.
        const server = `https://127.0.0.1:${ports.apiserver}`;
        kubeconfig(relocate(CP_PATHS.controllerManagerKubeconfig), server, `${pki}/ca.crt`, `${pki}/controller-manager.crt`, `${pki}/controller-manager.key`);
        kubeconfig(relocate(CP_PATHS.schedulerKubeconfig), server, `${pki}/ca.crt`, `${pki}/scheduler.crt`, `${pki}/scheduler.key`);
        const moved = planOf({
            extraFlags: { controllerManager: { "secure-port": String(ports.controllerManager) }, scheduler: { "secure-port": String(ports.scheduler) } },
        });
        writeFileSync(relocate(CP_PATHS.schedulerConfig), relocate(renderSchedulerConfig(moved)));
        const cm = start(
            join(KUBE_BIN, "kube-controller-manager"),
            argsFromEnv(relocate(renderControllerManagerEnv(controllerManagerFlags(moved, moved.members[0]))), "KUBE_CONTROLLER_MANAGER_ARGS"),
        );
        const sched = start(join(KUBE_BIN, "kube-scheduler"), argsFromEnv(relocate(renderSchedulerEnv(schedulerFlags(moved))), "KUBE_SCHEDULER_ARGS"));
        await until("kube-controller-manager /healthz", () => sh(renderControllerReadyCheck(ports.controllerManager)).code === 0, 60, cm);
        await until("kube-scheduler /healthz", () => sh(renderControllerReadyCheck(ports.scheduler)).code === 0, 60, sched);
        // Both take their leases (leader election on), so the kubeconfigs authenticate and RBAC lets them work.
        const held = () =>
            ["kube-controller-manager", "kube-scheduler"].every((lease) =>
                /\S/.test(sh(`kubectl --kubeconfig=${admin} -n kube-system get lease ${lease} -o jsonpath='{.spec.holderIdentity}'`).out),
            );
        await until("both leases held", held, 60, cm);
        // The bootstrap-token controllers run: the signer signs kube-public/cluster-info with the token.
        const data = bootstrapTokenSecretData("rcheck", "0123456789abcdef");
        const literals = Object.entries(data)
            .map(([k, v]) => `--from-literal=${k}=${v}`)
            .join(" ");
        const k = `kubectl --kubeconfig=${admin}`;
        const made = sh(`${k} -n kube-system create secret generic ${bootstrapTokenSecretName("rcheck")} --type=bootstrap.kubernetes.io/token ${literals}
${k} -n kube-public create configmap cluster-info --from-literal=kubeconfig=placeholder`);
        assert.equal(made.code, 0, made.out);
        await until(
            "the bootstrapsigner to sign cluster-info",
            () => /jws-kubeconfig-rcheck/.test(sh(`${k} -n kube-public get configmap cluster-info -o jsonpath='{.data}'`).out),
            60,
            cm,
        );
        // The token authenticates (--enable-bootstrap-token-auth) and, once the TLS bootstrap bindings exist, may create CSRs.
        const token = `kubectl --server=${server} --certificate-authority=${pki}/ca.crt --token=rcheck.0123456789abcdef`;
        assert.match(sh(`${token} auth whoami -o jsonpath='{.status.userInfo.groups}'`).out, /system:bootstrappers:k8s-binary:default-node-token/);
        for (const b of tlsBootstrapBindings()) {
            const r = sh(`${k} create clusterrolebinding ${b.name} --clusterrole=${b.roleName} --${b.subject.kind.toLowerCase()}=${b.subject.name}`);
            assert.equal(r.code, 0, r.out);
        }
        await until(
            "the token to be allowed to create CSRs",
            () => sh(`${token} auth can-i --quiet create certificatesigningrequests.certificates.k8s.io`).code === 0,
            10,
        );
        assert.notEqual(sh(`${token} auth can-i --quiet list secrets -n kube-system`).code, 0, "and no more than that");
        assert.doesNotMatch(cm.log(), /unknown flag|x509: |Unauthorized/);
        assert.doesNotMatch(sched.log(), /unknown flag|x509: |Unauthorized/);
    });

    test("the apiserver logged no TLS or configuration trouble", () => {
        assert.doesNotMatch(apiserver.log(), /bad certificate|x509: |unknown flag|deprecated flag/i);
    });
});
