// The real Kubernetes provider plugin (the toolchain's pulumi-kubernetes family) on the real
// engine, against a kube-apiserver and etcd of the test's own on loopback: an explicit provider
// from an admin kubeconfig given as a secret creates a namespace, a Secret and a
// ClusterRoleBinding; a second run changes nothing; a new secret value updates the Secret in
// place; neither the kubeconfig's client key nor the Secret's value is readable in the checkpoint.
import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readCheckpoint, readState, runProgram, type RunResult } from "../support/engine";
import { kubernetesPlugin } from "../support/engine/real";
import { startLoopbackApiserver } from "../support/apiserver-loopback";
import { describeLeaks, findLeaks } from "../support/secret-scan";
import { versions } from "../support/toolchain";

const PROGRAM = join(__dirname, "programs", "kubernetes.ts");
const NAMESPACE = "k8s-binary-provider-test";

/** The program's Kubernetes objects and their provider, name → operation. */
const k8sOps = (r: RunResult) =>
    Object.fromEntries(r.operations.filter((o) => /^(kubernetes:|pulumi:providers:kubernetes)/.test(o.type)).map((o) => [o.name, o.op]));

test("the real Kubernetes provider creates, keeps and updates objects on a loopback API server", { timeout: 300_000 }, async (t) => {
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-kubernetes-provider-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    // Built before the clock starts (a cold build takes minutes; npm test builds it first).
    kubernetesPlugin();

    let started = Date.now();
    const api = await startLoopbackApiserver();
    t.after(() => api.stop());
    console.log(`etcd (pid ${api.pids.etcd}) and kube-apiserver (pid ${api.pids.apiserver}) ready at ${api.server} in ${Date.now() - started} ms`);

    const stateFile = join(work, "state.json");
    const secrets = [`first-${randomBytes(12).toString("hex")}`, `second-${randomBytes(12).toString("hex")}`];
    const run = async (label: string, appSecret: string) => {
        started = Date.now();
        const r = await runProgram({ program: PROGRAM, stateFile, config: { kubeconfig: api.kubeconfig, namespace: NAMESPACE, appSecret } });
        console.log(`${label}: ${Date.now() - started} ms, ${JSON.stringify(k8sOps(r))}`);
        return r;
    };
    const getJson = (...args: string[]) => JSON.parse(api.kubectl("get", ...args, "-o", "json")) as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    const secretValue = () => Buffer.from(String(getJson("secret", "app", "-n", NAMESPACE).data.token), "base64").toString("utf8");

    const first = await run("first run", secrets[0]);
    assert.deepEqual(k8sOps(first), { loopback: "create", ns: "create", app: "create", viewers: "create" });
    assert.equal(getJson("namespace", NAMESPACE).status.phase, "Active");
    const secret = getJson("secret", "app", "-n", NAMESPACE);
    assert.equal(secret.type, "Opaque");
    assert.equal(secret.metadata.labels["app.kubernetes.io/managed-by"], "k8s-binary");
    assert.equal(secretValue(), secrets[0]);
    const binding = getJson("clusterrolebinding", `${NAMESPACE}-viewers`);
    assert.deepEqual(binding.roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "ClusterRole", name: "system:kube-dns" });
    assert.deepEqual(binding.subjects, [{ apiGroup: "rbac.authorization.k8s.io", kind: "Group", name: `${NAMESPACE}:viewers` }]);
    // The binding is in force: the API server's authorizer lets the group read, not write.
    const viewerCan = (verb: string, resource: string) => {
        const args = ["auth", "can-i", verb, resource, "-n", NAMESPACE, "--as=someone", `--as-group=${NAMESPACE}:viewers`];
        // `can-i` exits 1 when the answer is no.
        try {
            return api.kubectl(...args).trim();
        } catch (e) {
            return String((e as { stdout?: string }).stdout ?? e).trim();
        }
    };
    assert.equal(viewerCan("list", "services"), "yes");
    assert.equal(viewerCan("create", "services"), "no");
    assert.equal(viewerCan("list", "secrets"), "no");
    assert.deepEqual(first.outputs, { namespace: NAMESPACE, secret: "app", binding: `${NAMESPACE}-viewers`, secretUid: secret.metadata.uid });

    // The plugin that ran is the toolchain's, taken from PATH although the SDK asks for its own version
    // (PULUMI_HOME is empty and plugin downloads are off: there is no other).
    const checkpoint = JSON.parse(readCheckpoint(stateFile)) as { checkpoint: { latest: { resources: { type: string; inputs?: { version?: string } }[] } } };
    const requested = checkpoint.checkpoint.latest.resources.find((r) => r.type === "pulumi:providers:kubernetes")?.inputs?.version;
    const agents = api.userAgents().filter((a) => a.startsWith("pulumi-kubernetes/"));
    console.log(`SDK asked for plugin ${requested}; the API server saw ${JSON.stringify(agents)}`);
    assert.ok(agents.length > 0 && agents.every((a) => a.startsWith(`pulumi-kubernetes/${versions.PULUMI_KUBERNETES} `)), JSON.stringify(api.userAgents()));
    const provider = Object.values(readState(stateFile).resources).find((r) => r.type === "pulumi:providers:kubernetes");
    assert.ok(provider?.secretInputs.includes("kubeconfig"), `the kubeconfig is a secret input of the provider: ${JSON.stringify(provider?.secretInputs)}`);

    const second = await run("second run", secrets[0]);
    assert.deepEqual(k8sOps(second), { loopback: "same", ns: "same", app: "same", viewers: "same" });
    assert.deepEqual(
        second.operations.filter((o) => o.op !== "same"),
        [],
    );

    const third = await run("changed secret", secrets[1]);
    assert.deepEqual(k8sOps(third), { loopback: "same", ns: "same", app: "update", viewers: "same" });
    assert.equal(secretValue(), secrets[1]);
    assert.equal(getJson("secret", "app", "-n", NAMESPACE).metadata.uid, secret.metadata.uid, "updated in place, not replaced");

    const leaks = findLeaks(
        { checkpoint: readCheckpoint(stateFile) },
        { "admin client key": api.adminKey, "first secret value": secrets[0], "second secret value": secrets[1] },
    );
    assert.deepEqual(leaks, [], describeLeaks(leaks));
});
