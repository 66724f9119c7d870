import { test } from "node:test";
import assert from "node:assert/strict";
import { parse } from "yaml";
import type { FlannelNetworkArgs } from "../../../components/flannel/args";
import { kubeFlannelObjects, daemonSetFlanneldArgs, NET_CONF_CHECKSUM_ANNOTATION } from "../../../components/flannel/daemonset";
import { FLANNEL_PATHS, FLANNELD_ARGS_VAR } from "../../../components/flannel/layout";
import { planFlannel, type FlannelPlan } from "../../../components/flannel/plan";
import { flannelClusterRole, flannelClusterRoleBinding } from "../../../components/flannel/rbac";
import { cniConflist, renderCniConflist } from "../../../components/flannel/render-cni";
import { renderEtcdConfigScript } from "../../../components/flannel/render-etcd-config";
import { flanneldFlags, renderFlanneldEnv, renderFlanneldKubeconfig, renderFlanneldUnit } from "../../../components/flannel/render-flanneld";
import { netConf, renderNetConf, renderNetConfValue } from "../../../components/flannel/render-net-conf";
import { renderPreflight } from "../../../components/flannel/render-preflight";
import { tarballRelease } from "../../support/releases";

const NODES = [{ host: { name: "w1", address: "10.77.0.21", connection: { host: "10.77.0.21" } } }];
const release = tarballRelease("flannel", ["flanneld", "flannel"]);
const planOf = (over: Partial<FlannelNetworkArgs> = {}): FlannelPlan => {
    const { plan, issues } = planFlannel("net", over);
    assert.deepEqual(issues, []);
    return plan;
};
const kube = (over: Partial<FlannelNetworkArgs> = {}) =>
    planOf({ mode: "systemd-kube", nodes: NODES, endpoint: { host: "10.77.0.100" }, ca: {} as never, release: [release], ...over });
const etcd = (over: Partial<FlannelNetworkArgs> = {}) =>
    planOf({
        mode: "systemd-etcd",
        nodes: NODES,
        etcd: { endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379"], ca: {} as never, configHost: {} as never },
        release: [release],
        ...over,
    });
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";

test("net-conf: Network is the pod range, SubnetLen, EnableNFTables, Backend with DirectRouting and MTU only when set", () => {
    assert.deepEqual(netConf(planOf()), { Network: "10.244.0.0/16", SubnetLen: 24, EnableNFTables: false, Backend: { Type: "vxlan" } });
    assert.deepEqual(netConf(planOf({ directRouting: true, mtu: 1400, podCidr: "10.32.0.0/12", subnetLen: 25, nftables: true })), {
        Network: "10.32.0.0/12",
        SubnetLen: 25,
        EnableNFTables: true,
        Backend: { Type: "vxlan", DirectRouting: true, MTU: 1450 },
    });
    assert.deepEqual(netConf(planOf({ backend: "wireguard", mtu: 1420 })).Backend, { Type: "wireguard", MTU: 1500 });
    assert.deepEqual(netConf(planOf({ backend: "host-gw" })).Backend, { Type: "host-gw" });
    assert.deepEqual(netConf(planOf({ backend: "udp" })).Backend, { Type: "udp" });
    assert.equal(renderNetConf(planOf()), `${JSON.stringify(netConf(planOf()), null, 2)}\n`);
    assert.equal(renderNetConfValue(planOf()), '{"Network":"10.244.0.0/16","SubnetLen":24,"EnableNFTables":false,"Backend":{"Type":"vxlan"}}');
});

test("conflist: flannel delegating to bridge without ipMasq, hairpin, default gateway; portmap; a CNI version the flannel plugin speaks", () => {
    const c = JSON.parse(renderCniConflist()) as { name: string; cniVersion: string; plugins: Record<string, unknown>[] };
    assert.deepEqual(c, cniConflist());
    assert.equal(c.name, "cbr0");
    assert.equal(c.cniVersion, "0.4.0");
    assert.deepEqual(c.plugins, [
        { type: "flannel", delegate: { hairpinMode: true, isDefaultGateway: true, ipMasq: false } },
        { type: "portmap", capabilities: { portMappings: true } },
    ]);
});

test("flanneld systemd-kube: kube subnet manager, kubeconfig, net-conf, ip-masq, loopback health, NODE_NAME; --iface only when set", () => {
    const plan = kube();
    assert.deepEqual(flanneldFlags(plan, plan.nodes[0]), {
        "ip-masq": "true",
        "subnet-file": "/run/flannel/subnet.env",
        "healthz-ip": "127.0.0.1",
        "healthz-port": "8082",
        "kube-subnet-mgr": "true",
        "kubeconfig-file": FLANNEL_PATHS.kubeconfig,
        "net-config-path": FLANNEL_PATHS.netConf,
    });
    const env = renderFlanneldEnv(plan, plan.nodes[0]);
    assert.match(env, new RegExp(`^${FLANNELD_ARGS_VAR}="--healthz-ip=127\\.0\\.0\\.1 --healthz-port=8082 --ip-masq=true --kube-subnet-mgr=true `, "m"));
    assert.match(env, /^NODE_NAME=w1$/m);
    const withIface = kube({ interface: "eth1", ipMasq: false });
    assert.equal(flanneldFlags(withIface, withIface.nodes[0]).iface, "eth1");
    assert.equal(flanneldFlags(withIface, withIface.nodes[0])["ip-masq"], "false");
    assert.equal(flanneldFlags(plan, plan.nodes[0]).iface, undefined);
    assert.throws(() => flanneldFlags(planOf(), { name: "w1", address: "10.77.0.21" }), /runs flanneld under systemd|does not run flanneld/);
    assert.throws(() => renderFlanneldEnv(plan, { name: "W 1", address: "10.77.0.21" }), /not a node name/);
});

test("flanneld systemd-etcd: endpoints, prefix, its own client certificate; no NODE_NAME, no kube flags", () => {
    const plan = etcd({ etcdPrefix: "/k8s/network" });
    const flags = flanneldFlags(plan, plan.nodes[0]);
    assert.equal(flags["etcd-endpoints"], "https://10.77.0.11:2379,https://10.77.0.12:2379");
    assert.equal(flags["etcd-prefix"], "/k8s/network");
    assert.equal(flags["etcd-cafile"], FLANNEL_PATHS.etcdCaCert);
    assert.equal(flags["etcd-certfile"], FLANNEL_PATHS.etcdClientCert);
    assert.equal(flags["etcd-keyfile"], FLANNEL_PATHS.etcdClientKey);
    assert.equal(flags["kube-subnet-mgr"], undefined);
    assert.doesNotMatch(renderFlanneldEnv(plan, plan.nodes[0]), /NODE_NAME/);
});

test("flanneld unit and kubeconfig", () => {
    const unit = renderFlanneldUnit("/usr/local/bin/flanneld");
    for (const line of [
        "Type=notify",
        `EnvironmentFile=${FLANNEL_PATHS.env}`,
        "ExecStart=/usr/local/bin/flanneld $FLANNELD_ARGS",
        "Restart=always",
        "WantedBy=multi-user.target",
    ]) {
        assert.match(unit, new RegExp(`^${line.replace(/[$.]/g, "\\$&")}$`, "m"));
    }
    assert.throws(() => renderFlanneldUnit("flanneld"), /absolute path/);
    const kc = parse(renderFlanneldKubeconfig(kube({ endpoint: { host: "vip.example.com", port: 8443 }, clusterName: "lab" }), CA, "CERT", "KEY")) as {
        clusters: { name: string; cluster: { server: string } }[];
        users: { name: string; user: Record<string, string> }[];
    };
    assert.equal(kc.clusters[0].name, "lab");
    assert.equal(kc.clusters[0].cluster.server, "https://vip.example.com:8443");
    assert.equal(kc.users[0].name, "system:flannel");
    assert.equal(Buffer.from(kc.users[0].user["client-certificate-data"], "base64").toString(), "CERT");
    assert.throws(() => renderFlanneldKubeconfig(etcd(), CA, "C", "K"), /no endpoint/);
});

test("etcd config script: v3 put under <prefix>/config, idempotent, refuses a different config; TLS from the etcdctl env file", () => {
    const s = renderEtcdConfigScript(etcd({ etcdPrefix: "/k8s/network", backend: "host-gw" }));
    assert.match(s, /^set -a; \. \/etc\/etcd\/etcdctl\.env; set \+a$/m);
    assert.match(s, /^key='?\/k8s\/network\/config'?$/m);
    assert.match(s, /^want='\{"Network":"10\.244\.0\.0\/16","SubnetLen":24,"EnableNFTables":false,"Backend":\{"Type":"host-gw"\}\}'$/m);
    assert.match(
        s,
        /etcdctl --endpoints='?https:\/\/10\.77\.0\.11:2379,https:\/\/10\.77\.0\.12:2379'? --dial-timeout=3s --command-timeout=10s get --print-value-only "\$key"/,
    );
    assert.match(s, / put "\$key" "\$want"/);
    assert.match(s, /exit 1/);
    assert.doesNotMatch(s, /ETCDCTL_API|\bset \/coreos|\bmk\b/, "no v2 API");
    assert.match(renderEtcdConfigScript(etcd(), "/tmp/x.env"), /^set -a; \. \/tmp\/x\.env; set \+a$/m);
    assert.throws(() => renderEtcdConfigScript(kube()), /no etcd/);
    assert.throws(() => renderEtcdConfigScript(etcd(), "x;y"), /absolute path/);
});

test("preflight: the backend's module, tun for udp, host-gw's note, the interface, the MTU, the rule tool", () => {
    const vx = renderPreflight(kube(), kube().nodes[0]);
    assert.match(vx, /if has_module vxlan; then found "kernel module vxlan"; else need "the kernel has no vxlan module/);
    assert.match(vx, /ip -o -4 route show default/);
    assert.match(vx, /command -v iptables/);
    assert.doesNotMatch(vx, /note: host-gw|\/dev\/net\/tun|mtu=/);
    const wg = renderPreflight(kube({ backend: "wireguard", mtu: 1420, interface: "eth1" }), kube({ interface: "eth1" }).nodes[0]);
    assert.match(wg, /has_module wireguard/);
    assert.match(wg, /^iface='?eth1'?$/m);
    assert.match(wg, /"\$mtu" -ge 1500 \]/);
    const udp = renderPreflight(planOf({ backend: "udp" }));
    assert.match(udp, /has_module tun/);
    assert.match(udp, /-c \/dev\/net\/tun/);
    assert.doesNotMatch(udp, /command -v/, "the DaemonSet's image carries its own iptables");
    const hostgw = renderPreflight(planOf({ backend: "host-gw" }));
    assert.match(hostgw, /note: host-gw needs every node on one L2 segment .* one host cannot check that/);
    assert.doesNotMatch(hostgw, /has_module [a-z]/);
    assert.match(renderPreflight(kube({ nftables: true }), kube().nodes[0]), /command -v nft /);
});

test("RBAC: nodes get/list/watch and nodes/status patch; pods get only for the DaemonSet; bound to the ServiceAccount or the flanneld user", () => {
    assert.deepEqual(flannelClusterRole("systemd-kube").rules, [
        { apiGroups: [""], resources: ["nodes"], verbs: ["get", "list", "watch"] },
        { apiGroups: [""], resources: ["nodes/status"], verbs: ["patch"] },
    ]);
    assert.deepEqual((flannelClusterRole("daemonset").rules as { resources: string[] }[])[0].resources, ["pods"]);
    assert.deepEqual(flannelClusterRoleBinding("systemd-kube").subjects, [{ kind: "User", apiGroup: "rbac.authorization.k8s.io", name: "system:flannel" }]);
    assert.deepEqual(flannelClusterRoleBinding("daemonset").subjects, [{ kind: "ServiceAccount", name: "flannel", namespace: "kube-flannel" }]);
    assert.throws(() => flannelClusterRoleBinding("systemd-etcd"), /does not use the Kubernetes API/);
});

test("DaemonSet objects: upstream's shape with the local images, this plan's ConfigMap and flags", () => {
    const plan = planOf({ interface: "eth1", ipMasq: false, image: "ghcr.io/flannel-io/flannel:v0.28.10", cniBinDir: "/usr/lib/cni" });
    const o = kubeFlannelObjects(plan);
    assert.equal((o.namespace.metadata as { labels: Record<string, string> }).labels["pod-security.kubernetes.io/enforce"], "privileged");
    const data = o.configMap.data as Record<string, string>;
    assert.deepEqual(JSON.parse(data["net-conf.json"]), netConf(plan));
    assert.deepEqual(JSON.parse(data["cni-conf.json"]), cniConflist());
    const spec = (o.daemonSet.spec as unknown as { template: { spec: Record<string, unknown> } }).template.spec;
    const init = spec.initContainers as { image: string; imagePullPolicy: string; args: string[] }[];
    assert.equal(init[0].image, "ghcr.io/flannel-io/flannel-cni-plugin:v0.9.1");
    assert.deepEqual(init[1].args, ["/etc/kube-flannel/cni-conf.json", "/etc/cni/net.d/10-flannel.conflist"]);
    const main = (spec.containers as { image: string; args: string[]; imagePullPolicy: string }[])[0];
    assert.equal(main.image, "ghcr.io/flannel-io/flannel:v0.28.10");
    assert.deepEqual(main.args, ["--kube-subnet-mgr", "--ip-masq=false", "--healthz-port=8081", "--iface=eth1"]);
    assert.deepEqual(daemonSetFlanneldArgs(planOf()), ["--kube-subnet-mgr", "--ip-masq=true", "--healthz-port=8081"]);
    for (const c of [...init, main]) assert.equal(c.imagePullPolicy, "IfNotPresent");
    assert.deepEqual((spec.volumes as { name: string; hostPath?: { path: string } }[]).find((v) => v.name === "cni-plugin")?.hostPath, {
        path: "/usr/lib/cni",
    });
    assert.throws(() => kubeFlannelObjects(kube()), /runs no DaemonSet/);
    // The pod template carries net-conf's checksum: a changed network config rolls the pods.
    const checksum = (p: typeof plan) =>
        (kubeFlannelObjects(p).daemonSet.spec as unknown as { template: { metadata: { annotations: Record<string, string> } } }).template.metadata.annotations[
            NET_CONF_CHECKSUM_ANNOTATION
        ];
    assert.match(checksum(plan), /^[0-9a-f]{64}$/);
    assert.equal(checksum(planOf({ interface: "eth1", ipMasq: false })), checksum(plan), "flags are not net-conf");
    assert.notEqual(checksum(planOf({ directRouting: true })), checksum(planOf()));
});
