import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { WorkerNodeArgs } from "../../../components/worker/args";
import { corednsObjects, renderCorefile } from "../../../components/worker/coredns";
import { NODE_PATHS } from "../../../components/worker/layout";
import { planWorkerNode, type WorkerNodePlan } from "../../../components/worker/plan";
import { renderBridgeConflist } from "../../../components/worker/render-cni";
import { renderContainerdConfig, renderContainerdUnit } from "../../../components/worker/render-containerd";
import {
    kubeletConfiguration,
    kubeletFlags,
    renderKubeletConfig,
    kubeletServingSans,
    renderBootstrapKubeconfig,
    renderKubeletEnv,
    renderKubeletUnit,
} from "../../../components/worker/render-kubelet";
import { kubeProxyConfiguration, renderKubeProxyKubeconfig, renderKubeProxyUnit } from "../../../components/worker/render-kube-proxy";
import { renderPreflight } from "../../../components/worker/render-preflight";
import { renderNodeRemovalScript } from "../../../components/worker/render-removal";
import {
    nodeDrainerClusterRole,
    nodeDrainerClusterRoleBinding,
    nodeDrainerSlotRole,
    nodeDrainerSlotRoleBinding,
    NODE_DRAINER_USER,
} from "../../../components/worker/drainer";

const planned = (over: Partial<WorkerNodeArgs> = {}) =>
    planWorkerNode("main", {
        host: { name: "w1", address: "10.77.0.21", connection: { host: "10.77.0.21" } },
        version: "1.37.2",
        installed: [],
        endpoint: { host: "10.77.0.100" },
        ca: undefined as never,
        bootstrapToken: "abcdef.0123456789abcdef",
        ...over,
    });
const planOf = (over: Partial<WorkerNodeArgs> = {}): WorkerNodePlan => {
    const { plan, issues } = planned(over);
    assert.deepEqual(
        issues.filter((i) => i.path !== "installed"),
        [],
    );
    return plan;
};
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

test("containerd: pinned sandbox, systemd cgroups for runc, CNI folders, schema by version, restrict_oom_score_adj only when asked", () => {
    const c = renderContainerdConfig(planOf(), "/usr/local/bin/runc");
    assert.match(c, /^version = 4$/m);
    assert.match(c, /\[plugins\.'io\.containerd\.cri\.v1\.images'\.pinned_images\]\n(\s*#.*\n)?\s*sandbox = 'registry\.k8s\.io\/pause:3\.10\.2'/);
    assert.match(
        c,
        /\[plugins\.'io\.containerd\.cri\.v1\.runtime'\.containerd\.runtimes\.runc\.options\]\n\s*BinaryName = '\/usr\/local\/bin\/runc'\n(\s*#.*\n)?\s*SystemdCgroup = true\n/,
    );
    assert.match(c, /runtime_type = 'io\.containerd\.runc\.v2'/);
    assert.match(c, /bin_dirs = \['\/opt\/cni\/bin'\]\n\s*conf_dir = '\/etc\/cni\/net\.d'/);
    assert.match(c, /restrict_oom_score_adj = false/);
    assert.match(renderContainerdConfig(planOf({ restrictOomScoreAdj: true }), "/r"), /restrict_oom_score_adj = true/);
    assert.match(
        renderContainerdConfig(planOf({ containerdVersion: "2.2.1", cniBinDir: "/usr/lib/cni" }), "/r"),
        /^version = 3$[\s\S]*bin_dirs = \['\/usr\/lib\/cni'\]/m,
    );
    assert.throws(() => renderContainerdConfig(planOf(), "/x'y"), /quote/);
    const unit = renderContainerdUnit("/usr/local/bin/containerd");
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/containerd --config \/etc\/containerd\/config\.toml$/m);
    for (const line of ["Type=notify", "Delegate=yes", "KillMode=process"]) assert.match(unit, new RegExp(`^${line}$`, "m"));
    assert.doesNotMatch(unit, /modprobe/);
});

test("kubelet configuration: DNS, systemd driver, webhook authn/authz, no anonymous, rotation, serving certificate from the CA", () => {
    const plan = planOf();
    const c = kubeletConfiguration(plan);
    assert.deepEqual(parse(renderKubeletConfig(plan)), c, "the YAML is the data");
    assert.equal(c.apiVersion, "kubelet.config.k8s.io/v1beta1");
    assert.equal(c.kind, "KubeletConfiguration");
    assert.equal(c.containerRuntimeEndpoint, "unix:///run/containerd/containerd.sock");
    assert.equal(c.cgroupDriver, "systemd");
    assert.deepEqual(c.clusterDNS, ["10.96.0.10"]);
    assert.equal(c.clusterDomain, "cluster.local");
    assert.deepEqual(c.authentication, { anonymous: { enabled: false }, webhook: { enabled: true }, x509: { clientCAFile: NODE_PATHS.kubeletCaCert } });
    assert.deepEqual(c.authorization, { mode: "Webhook" });
    assert.equal(c.readOnlyPort, 0);
    assert.equal(c.rotateCertificates, true);
    assert.equal(c.serverTLSBootstrap, false);
    assert.equal(c.tlsCertFile, NODE_PATHS.kubeletServingCert);
    assert.equal(c.tlsPrivateKeyFile, NODE_PATHS.kubeletServingKey);
    assert.ok(!("failCgroupV1" in c) && !("registerWithTaints" in c));
    const cp = kubeletConfiguration(planOf({ controlPlane: true, cgroupV1: true, taints: [{ key: "x", effect: "NoExecute" }] }));
    assert.equal(cp.failCgroupV1, false);
    assert.deepEqual(cp.registerWithTaints, [
        { key: "node-role.kubernetes.io/control-plane", effect: "NoSchedule" },
        { key: "x", effect: "NoExecute" },
    ]);
    assert.deepEqual(kubeletServingSans(planOf({ nodeIp: "10.77.1.21" })), { dnsNames: ["w1"], ipAddresses: ["10.77.1.21"] });
});

test("kubelet flags, env and unit", () => {
    const plan = planOf({ nodeIp: "10.77.1.21", labels: { "node.kubernetes.io/pool": "edge", "example.com/rack": "r1" } });
    assert.deepEqual(kubeletFlags(plan), {
        config: NODE_PATHS.kubeletConfig,
        "bootstrap-kubeconfig": NODE_PATHS.bootstrapKubeconfig,
        kubeconfig: NODE_PATHS.kubeletKubeconfig,
        "cert-dir": NODE_PATHS.kubeletCertDir,
        "hostname-override": "w1",
        "node-ip": "10.77.1.21",
        "node-labels": "example.com/rack=r1,node.kubernetes.io/pool=edge",
    });
    assert.ok(!("node-labels" in kubeletFlags(planOf())));
    assert.match(
        renderKubeletEnv(plan),
        /^KUBELET_ARGS="--bootstrap-kubeconfig=\/etc\/kubernetes\/bootstrap-kubelet\.conf .*--node-ip=10\.77\.1\.21 --node-labels=example\.com\/rack=r1,node\.kubernetes\.io\/pool=edge"$/m,
    );
    const unit = renderKubeletUnit("/usr/local/bin/kubelet");
    assert.match(unit, /^Requires=containerd\.service$/m);
    assert.match(unit, /^After=containerd\.service/m);
    assert.match(unit, /^EnvironmentFile=\/etc\/kubernetes\/kubelet\.env$/m);
    assert.match(unit, /^ExecStart=\/usr\/local\/bin\/kubelet \$KUBELET_ARGS$/m);
});

test("bootstrap kubeconfig: the token against the VIP, the CA; a malformed token is refused without being quoted", () => {
    const k = parse(renderBootstrapKubeconfig(planOf({ endpoint: { host: "10.77.0.100", port: 8443 }, clusterName: "lab" }), CA, "abcdef.0123456789abcdef"));
    assert.equal(k.clusters[0].name, "lab");
    assert.equal(k.clusters[0].cluster.server, "https://10.77.0.100:8443");
    assert.equal(Buffer.from(k.clusters[0].cluster["certificate-authority-data"], "base64").toString(), CA);
    assert.deepEqual(k.users[0].user, { token: "abcdef.0123456789abcdef" });
    assert.throws(
        () => renderBootstrapKubeconfig(planOf(), CA, "ABCDEF.0123456789abcdef"),
        (e: Error) => /bootstrap token is not/.test(e.message) && !e.message.includes("0123456789"),
    );
});

test("kube-proxy: mode, clusterCIDR from the plan, maxPerCore only when given, kubeconfig and unit", () => {
    const c = kubeProxyConfiguration(planOf({ podCidr: "10.77.224.0/20" }));
    assert.deepEqual(c, {
        apiVersion: "kubeproxy.config.k8s.io/v1alpha1",
        kind: "KubeProxyConfiguration",
        clientConnection: { kubeconfig: NODE_PATHS.kubeProxyKubeconfig },
        hostnameOverride: "w1",
        mode: "iptables",
        clusterCIDR: "10.77.224.0/20",
    });
    assert.deepEqual(kubeProxyConfiguration(planOf({ proxy: { mode: "nftables", conntrackMaxPerCore: 0 } })).conntrack, { maxPerCore: 0 });
    assert.equal(kubeProxyConfiguration(planOf({ proxy: { mode: "nftables" } })).mode, "nftables");
    const k = parse(renderKubeProxyKubeconfig(planOf(), CA, "CERT", "KEY"));
    assert.equal(k.users[0].name, "system:kube-proxy");
    assert.equal(k.clusters[0].cluster.server, "https://10.77.0.100:6443");
    assert.match(renderKubeProxyUnit("/usr/local/bin/kube-proxy"), /^ExecStart=\/usr\/local\/bin\/kube-proxy --config=\/var\/lib\/kube-proxy\/config\.yaml$/m);
});

test("bridge conflist: the node's subnet, gateway, hairpin, masquerade, portmap; none without a podSubnet", () => {
    const c = JSON.parse(renderBridgeConflist(planOf({ podSubnet: "10.244.3.0/24" })));
    assert.equal(c.cniVersion, "1.0.0");
    assert.deepEqual(
        c.plugins.map((p: { type: string }) => p.type),
        ["bridge", "portmap"],
    );
    assert.deepEqual(c.plugins[0].ipam, { type: "host-local", ranges: [[{ subnet: "10.244.3.0/24" }]] });
    for (const k of ["isGateway", "isDefaultGateway", "hairpinMode", "ipMasq"]) assert.equal(c.plugins[0][k], true, k);
    assert.throws(() => renderBridgeConflist(planOf()), /no podSubnet/);
});

test("preflight: one check per host fact, the mode's checks only for that mode, each misfit naming its option", () => {
    const base = renderPreflight(planOf());
    assert.match(base, /stat -fc %T \/sys\/fs\/cgroup/);
    assert.match(base, /CapBnd/);
    assert.match(base, /16#\$capbnd >> 24/);
    assert.match(base, /set cgroupV1: true/);
    assert.match(base, /set restrictOomScoreAdj: true/);
    assert.doesNotMatch(base, /nft|ip_vs/);
    const set = renderPreflight(planOf({ cgroupV1: true, restrictOomScoreAdj: true }));
    assert.doesNotMatch(set, /need "this host/, "nothing left to need when both are set");
    assert.match(renderPreflight(planOf({ proxy: { mode: "nftables" } })), /version_ge "\$kernel" 5\.13[\s\S]*nft -c -f -/);
    assert.match(renderPreflight(planOf({ proxy: { mode: "ipvs" } })), /for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_sh/);
});

test("CoreDNS objects: the Service at clusterDNS, the Corefile's domain, readiness and liveness, RBAC", () => {
    const o = corednsObjects({ clusterDns: "10.96.0.10", clusterDomain: "corp.internal" });
    assert.equal((o.service.spec as { clusterIP: string }).clusterIP, "10.96.0.10");
    assert.equal((o.service.metadata as { name: string }).name, "kube-dns");
    assert.equal((o.configMap.data as Record<string, string>).Corefile, renderCorefile("corp.internal"));
    assert.match(renderCorefile("corp.internal"), /kubernetes corp\.internal in-addr\.arpa ip6\.arpa \{/);
    const pod = (
        o.deployment.spec as {
            template: {
                spec: { containers: { image: string; readinessProbe: unknown; livenessProbe: unknown }[]; serviceAccountName: string; tolerations: unknown[] };
            };
        }
    ).template.spec;
    assert.equal(pod.containers[0].image, "registry.k8s.io/coredns/coredns:v1.14.6");
    assert.deepEqual(pod.containers[0].readinessProbe, { httpGet: { path: "/ready", port: 8181, scheme: "HTTP" } });
    assert.equal((pod.containers[0].livenessProbe as { httpGet: { path: string } }).httpGet.path, "/health");
    assert.equal(pod.serviceAccountName, "coredns");
    assert.ok(pod.tolerations.some((t) => (t as { key: string }).key === "node-role.kubernetes.io/control-plane"));
    assert.deepEqual((o.clusterRoleBinding.subjects as unknown[])[0], { kind: "ServiceAccount", name: "coredns", namespace: "kube-system" });
    assert.ok((o.clusterRole.rules as { resources: string[] }[]).some((r) => r.resources.includes("endpointslices")));
    assert.throws(() => renderCorefile("a b"), /not a DNS domain/);
});

test("maxPods is written only when given", () => {
    assert.equal(kubeletConfiguration(planOf()).maxPods, undefined);
    assert.equal(kubeletConfiguration(planOf({ maxPods: 64 })).maxPods, 64);
});

test("removal: the kubeconfig from stdin into a file removed on exit; cordon, drain, stop the kubelet, then delete the Node", () => {
    const plan = planOf({ removal: { kubeconfig: "k", drainTimeoutSeconds: 120 } });
    const script = renderNodeRemovalScript(plan, "/opt/k8s/kubectl", "/opt/containerd/ctr");
    assert.match(script, /kubeconfig=\$\(mktemp \/run\/k8s-binary-drain\.XXXXXX\)\ntrap 'rm -f "\$kubeconfig"' EXIT\ncat >"\$kubeconfig"/);
    assert.match(script, /\/opt\/k8s\/kubectl --kubeconfig "\$kubeconfig"/);
    const at = (re: RegExp) => {
        const i = script.search(re);
        assert.ok(i >= 0, String(re));
        return i;
    };
    const order = [
        /k cordon w1\n/,
        /k drain w1 --ignore-daemonsets --delete-emptydir-data --timeout=120s/,
        /systemctl stop kubelet\.service/,
        /k delete node w1 /,
    ].map(at);
    assert.deepEqual(
        [...order].sort((a, b) => a - b),
        order,
        "cordon, drain, stop, delete in that order",
    );
    assert.match(script, /was not drained within 120s: the pods named above could not be evicted/);
    assert.match(script, /\*NotFound\*\) echo "Node w1 is not registered: nothing to drain"/);
    assert.throws(() => renderNodeRemovalScript(planOf(), "/k", "/c"), /no removal is planned/);
});

test("the drainer may cordon, evict and delete Nodes, and nothing else", () => {
    const role = nodeDrainerClusterRole();
    assert.deepEqual(
        (role.rules as { apiGroups: string[]; resources: string[]; verbs: string[] }[]).map((r) => `${r.apiGroups}/${r.resources}: ${r.verbs}`),
        ["/nodes: get,patch,delete", "/pods: get,list", "/pods/eviction: create", "apps/daemonsets: get"],
    );
    const binding = nodeDrainerClusterRoleBinding();
    assert.deepEqual(binding.subjects, [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: NODE_DRAINER_USER }]);
});

test("the drainer may create Leases in kube-system, and get, replace and delete only the upgrade slots", () => {
    const role = nodeDrainerSlotRole(3);
    assert.deepEqual(role.metadata, { name: NODE_DRAINER_USER, namespace: "kube-system" });
    assert.deepEqual(role.rules, [
        { apiGroups: ["coordination.k8s.io"], resources: ["leases"], verbs: ["create"] },
        {
            apiGroups: ["coordination.k8s.io"],
            resources: ["leases"],
            resourceNames: ["k8s-binary-node-upgrade-0", "k8s-binary-node-upgrade-1", "k8s-binary-node-upgrade-2"],
            verbs: ["get", "update", "delete"],
        },
    ]);
    assert.deepEqual(nodeDrainerSlotRoleBinding().roleRef, { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: NODE_DRAINER_USER });
});

test("upgrade Args: whole numbers of nodes and seconds, and kubectl among the releases", () => {
    const issuesOf = (over: Partial<WorkerNodeArgs>) => planned(over).issues.map((i) => `${i.path}: ${i.message}`);
    const bad = issuesOf({ upgrade: { kubeconfig: "k", maxUnavailable: 0, drainTimeoutSeconds: 1.5 } });
    assert.ok(bad.includes("upgrade.maxUnavailable: 0 is not a whole number of nodes"), bad.join("; "));
    assert.ok(bad.includes("upgrade.drainTimeoutSeconds: 1.5 is not a whole number of seconds"), bad.join("; "));
    assert.ok(bad.includes("installed: no release holds kubectl, which an upgrade drains the node with"), bad.join("; "));
    assert.deepEqual(planOf({ upgrade: { kubeconfig: "k" } }).upgrade, { maxUnavailable: 1, drainTimeoutSeconds: 300 });
});
