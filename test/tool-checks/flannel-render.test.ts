import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { FlannelNetworkArgs } from "../../components/flannel/args";
import { daemonSetFlanneldArgs } from "../../components/flannel/daemonset";
import { FLANNEL_CNI_VERSION, FLANNELD_ARGS_VAR, FLANNELD_UNIT } from "../../components/flannel/layout";
import { planFlannel, type FlannelPlan } from "../../components/flannel/plan";
import { cniConflist, renderCniConflist } from "../../components/flannel/render-cni";
import { renderEtcdConfigScript } from "../../components/flannel/render-etcd-config";
import { renderFlanneldEnv, renderFlanneldUnit } from "../../components/flannel/render-flanneld";
import { renderPreflight } from "../../components/flannel/render-preflight";
import { verifyUnit } from "../support/systemd-verify";
import { tool, versions } from "../support/toolchain";
import { tarballRelease } from "../support/releases";

// The rendered flannel files against the toolchain's real binaries: flanneld 0.28.10 parses every
// flag each mode renders (Go's flag package refuses an unknown one) and stops at --version before
// it touches anything; the flannel CNI plugin 0.9.1 and the CNI plugins speak the conflist's
// version, and the flannel plugin turns the conflist's entry into the bridge delegate's config
// (run with a stand-in bridge that records it: no namespace, no interface is made). The unit
// passes systemd-analyze verify; the preflight runs on this machine. The etcd config script runs
// with etcdctl 3.6 against an etcd on loopback (plain http: TLS is the etcd component's, checked there). Nothing listens, nothing is
// left running: every binary is run to its exit under a timeout.

const FLANNELD = tool("flannel", "flanneld");
const FLANNEL_CNI = tool("flannel-cni-plugin", "flannel");
const work = mkdtempSync(join(tmpdir(), "k8s-binary-flannel-render-"));
const children: ChildProcess[] = [];
after(() => {
    for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
});

/** A port free on loopback now (the kernel's pick). */
function freePort(): Promise<number> {
    return new Promise((resolve, reject) => {
        const s = createServer();
        s.once("error", reject);
        s.listen(0, "127.0.0.1", () => {
            const port = (s.address() as { port: number }).port;
            s.close(() => resolve(port));
        });
    });
}

const NODES = [{ host: { name: "w1", address: "10.77.0.21", connection: { host: "10.77.0.21" } }, interface: "eth0" }];
const release = tarballRelease("flannel", ["flanneld", "flannel"]);
function planOf(over: Partial<FlannelNetworkArgs> = {}): FlannelPlan {
    const { plan, issues } = planFlannel("render-check", { nodes: NODES, release: [release], ...over });
    assert.deepEqual(issues, []);
    return plan;
}
const KUBE: Partial<FlannelNetworkArgs> = { mode: "systemd-kube", endpoint: { host: "10.77.0.100" }, ca: {} as never };
const ETCD: Partial<FlannelNetworkArgs> = {
    mode: "systemd-etcd",
    etcd: { endpoints: ["https://10.77.0.11:2379", "https://10.77.0.12:2379"], ca: {} as never, configHost: {} as never },
};

function run(bin: string, args: string[], env: NodeJS.ProcessEnv = {}, input?: string): { code: number; out: string; stdout: string } {
    const r = spawnSync(bin, args, { encoding: "utf8", timeout: 30_000, env: { PATH: process.env.PATH, ...env }, cwd: work, input });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}`, stdout: r.stdout };
}

/** The words systemd passes for `$FLANNELD_ARGS` from the rendered environment file. */
function flagWords(env: string): string[] {
    const m = new RegExp(`^${FLANNELD_ARGS_VAR}="([^"]*)"$`, "m").exec(env);
    assert.ok(m, env);
    return m[1].split(/\s+/).filter((w) => w.length > 0);
}

describe("flannel renderers against the real binaries", { timeout: 120_000 }, () => {
    test("flanneld 0.28.10 parses every flag of every mode, and refuses an unknown one", () => {
        const help = run(FLANNELD, ["--help"]).out;
        const plans = [planOf(KUBE), planOf({ ...KUBE, ipMasq: false, interface: "10.77.0.21" }), planOf({ ...ETCD, etcdPrefix: "/k8s/network" })];
        const argLists = plans.map((p) => flagWords(renderFlanneldEnv(p, p.nodes[0])));
        argLists.push(daemonSetFlanneldArgs(planOf({ interface: "eth0", nodes: [] })));
        for (const args of argLists) {
            for (const a of args) {
                const name = /^--([a-z-]+)/.exec(a)?.[1];
                assert.ok(name && new RegExp(`^ {2}-${name}( |$)`, "m").test(help), `flanneld --help lists ${a}`);
            }
            const r = run(FLANNELD, [...args, "--version"]);
            assert.equal(r.code, 0, `${args.join(" ")}\n${r.out}`);
            assert.equal(r.out.trim(), `v${versions.FLANNEL}`, `${args.join(" ")}: parsed to the end, no usage printed`);
        }
        // flanneld's usage function exits 0 on a parse error, so the output tells, not the exit code.
        const bad = run(FLANNELD, [...argLists[0], "--kube-subnet-manager=true", "--version"]);
        assert.match(bad.out, /flag provided but not defined: -kube-subnet-manager/, "the check sees an unknown flag");
    });

    test("the conflist's CNI version is one the flannel plugin, bridge, host-local and portmap speak", () => {
        const conflist = JSON.parse(renderCniConflist()) as { cniVersion: string; plugins: { type: string }[] };
        assert.equal(conflist.cniVersion, FLANNEL_CNI_VERSION);
        assert.deepEqual(
            conflist.plugins.map((p) => p.type),
            ["flannel", "portmap"],
        );
        for (const bin of [FLANNEL_CNI, tool("cni-plugins", "bridge"), tool("cni-plugins", "host-local"), tool("cni-plugins", "portmap")]) {
            const r = run(bin, [], { CNI_COMMAND: "VERSION" }, "{}");
            assert.equal(r.code, 0, r.out);
            const { supportedVersions } = JSON.parse(r.stdout) as { supportedVersions: string[] };
            assert.ok(supportedVersions.includes(conflist.cniVersion), `${bin} speaks ${supportedVersions.join(", ")}`);
        }
    });

    test("the flannel plugin hands bridge the node's subnet and MTU, and never bridge masquerading", () => {
        // A stand-in bridge in CNI_PATH records the delegate config the flannel plugin builds.
        const cniPath = join(work, "cni-bin");
        mkdirSync(cniPath, { recursive: true });
        const recorded = join(work, "delegate.json");
        writeFileSync(
            join(cniPath, "bridge"),
            `#!/bin/sh\ncat > ${recorded}\necho '{"cniVersion":"${FLANNEL_CNI_VERSION}","interfaces":[],"ips":[],"dns":{}}'\n`,
        );
        chmodSync(join(cniPath, "bridge"), 0o755);
        const add = (entry: Record<string, unknown>, ipmasq: boolean) => {
            const subnetEnv = join(work, "subnet.env");
            writeFileSync(subnetEnv, `FLANNEL_NETWORK=10.244.0.0/16\nFLANNEL_SUBNET=10.244.3.1/24\nFLANNEL_MTU=1450\nFLANNEL_IPMASQ=${ipmasq}\n`);
            const conflist = cniConflist() as { name: string; cniVersion: string };
            // What libcni hands the first plugin: the list's name and version, then the entry (plus the test's scratch folders).
            const config = { cniVersion: conflist.cniVersion, name: conflist.name, ...entry, subnetFile: subnetEnv, dataDir: join(work, "data") };
            const r = run(
                FLANNEL_CNI,
                [],
                { CNI_COMMAND: "ADD", CNI_CONTAINERID: "c1", CNI_NETNS: "/var/run/netns/none", CNI_IFNAME: "eth0", CNI_PATH: cniPath },
                JSON.stringify(config),
            );
            assert.equal(r.code, 0, r.out);
            return JSON.parse(readFileSync(recorded, "utf8")) as Record<string, unknown>;
        };
        const entry = (cniConflist() as { plugins: Record<string, unknown>[] }).plugins[0];
        for (const ipmasq of [true, false]) {
            const d = add(entry, ipmasq);
            assert.equal(d.type, "bridge");
            assert.equal(d.ipMasq, false, "flanneld's --ip-masq rules masquerade; the bridge never does");
            assert.equal(d.mtu, 1450);
            assert.equal(d.isGateway, true);
            assert.equal(d.isDefaultGateway, true);
            assert.equal(d.hairpinMode, true);
            assert.deepEqual((d.ipam as { ranges: unknown }).ranges, [[{ subnet: "10.244.3.0/24" }]]);
            assert.deepEqual((d.ipam as { routes: unknown }).routes, [{ dst: "10.244.0.0/16" }]);
        }
        // Why the conflist says so: left to the plugin, a node without --ip-masq gets a bridge that
        // masquerades everything leaving its subnet, pod-to-pod traffic to other nodes included.
        const { ipMasq: _, ...delegate } = entry.delegate as Record<string, unknown>;
        void _;
        assert.equal(add({ ...entry, delegate }, false).ipMasq, true);
    });

    test("flanneld.service passes systemd-analyze verify", () => {
        const v = verifyUnit(FLANNELD_UNIT, renderFlanneldUnit("/usr/local/bin/flanneld"));
        assert.equal(v.code, 0, v.problems.join("\n"));
        assert.deepEqual(v.problems, []);
    });

    test("the preflight runs on this machine: the backend's module, a missing interface and an MTU too large are named", () => {
        const preflight = (plan: FlannelPlan, node = plan.nodes[0]) => {
            const r = spawnSync("/bin/bash", ["-c", renderPreflight(plan, node)], { encoding: "utf8", timeout: 30_000 });
            const out = `${r.stdout}${r.stderr}`;
            const needs = out.split("\n").filter((l) => l.startsWith("NEEDS:"));
            assert.equal(r.status, needs.length > 0 ? 1 : 0, out);
            return { out, needs };
        };
        const vxlan = preflight(planOf({ ...KUBE, nodes: [{ ...NODES[0], interface: undefined }] }));
        console.log(`flannel preflight on this machine:\n${vxlan.out}`);
        assert.match(vxlan.out, /^(found: kernel module vxlan|NEEDS: the kernel has no vxlan module)/m);
        assert.match(vxlan.out, /^(found: default route through \S+|NEEDS: this host has no IPv4 default route)/m);
        for (const n of vxlan.needs) assert.match(n, /set (backend|interface)|install/);

        const missing = preflight(planOf({ ...KUBE, nodes: [{ ...NODES[0], interface: "nosuch0" }] }));
        assert.ok(
            missing.needs.some((n) => /no interface nosuch0 \(interface\)/.test(n)),
            missing.out,
        );

        const dev = /found: default route through (\S+)/.exec(vxlan.out)?.[1];
        if (dev !== undefined) {
            const hostMtu = Number(readFileSync(`/sys/class/net/${dev}/mtu`, "utf8"));
            const tooLarge = preflight(planOf({ ...KUBE, nodes: [{ ...NODES[0], interface: dev }], mtu: hostMtu - 49 }));
            assert.ok(
                tooLarge.needs.some((n) => new RegExp(`set mtu to ${hostMtu - 50} or less`).test(n)),
                tooLarge.out,
            );
            const fits = preflight(planOf({ ...KUBE, nodes: [{ ...NODES[0], interface: dev }], mtu: hostMtu - 50 }));
            assert.match(fits.out, new RegExp(`^found: MTU ${hostMtu} on ${dev}$`, "m"));
        }
        const hostgw = preflight(planOf({ ...KUBE, backend: "host-gw", hostSubnets: ["10.77.0.0/24"] }));
        assert.match(hostgw.out, /^note: host-gw needs every node on one L2 segment/m);
    });

    test("the etcd config script writes <prefix>/config with the v3 API once, then only compares, and refuses another config", async () => {
        const [client, peer] = [await freePort(), await freePort()];
        const url = `http://127.0.0.1:${client}`;
        const etcdBin = tool("etcd", "etcd");
        const PATH = `${join(etcdBin, "..")}:/usr/bin:/bin`;
        let log = "";
        const etcd = spawn(
            etcdBin,
            [
                "--name=m1",
                `--data-dir=${join(work, "etcd")}`,
                `--listen-client-urls=${url}`,
                `--advertise-client-urls=${url}`,
                `--listen-peer-urls=http://127.0.0.1:${peer}`,
                `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
                `--initial-cluster=m1=http://127.0.0.1:${peer}`,
            ],
            { stdio: ["ignore", "pipe", "pipe"], env: { PATH } },
        );
        children.push(etcd);
        etcd.stdout!.on("data", (d) => (log += d));
        etcd.stderr!.on("data", (d) => (log += d));
        const deadline = Date.now() + 30_000;
        while (run("etcdctl", [`--endpoints=${url}`, "--dial-timeout=1s", "endpoint", "health"], { PATH }).code !== 0) {
            assert.ok(Date.now() < deadline && etcd.exitCode === null, `etcd did not become healthy:\n${log}`);
            await new Promise((r) => setTimeout(r, 200));
        }
        const envFile = join(work, "etcdctl.env");
        writeFileSync(envFile, "# TLS settings would be here\n");
        // The plan refuses plain http; the script is the same text for any URL.
        const planFor = (backend: FlannelNetworkArgs["backend"]) => {
            const plan = planOf({ ...ETCD, etcdPrefix: "/k8s/network", backend });
            return { ...plan, etcd: { endpoints: [url], prefix: plan.etcd!.prefix } };
        };
        const script = (backend: FlannelNetworkArgs["backend"]) => run("/bin/bash", ["-c", renderEtcdConfigScript(planFor(backend), envFile)], { PATH });
        const first = script("vxlan");
        assert.equal(first.code, 0, first.out);
        assert.match(first.out, /^wrote \/k8s\/network\/config: /m);
        const stored = run("etcdctl", [`--endpoints=${url}`, "get", "--print-value-only", "/k8s/network/config"], { PATH });
        assert.deepEqual(JSON.parse(stored.stdout), { Network: "10.244.0.0/16", SubnetLen: 24, EnableNFTables: false, Backend: { Type: "vxlan" } });
        const again = script("vxlan");
        assert.equal(again.code, 0, again.out);
        assert.match(again.out, /^\/k8s\/network\/config is up to date$/m);
        const other = script("host-gw");
        assert.equal(other.code, 1, other.out);
        assert.match(other.out, /holds another network config[\s\S]*"Type":"vxlan"[\s\S]*"Type":"host-gw"[\s\S]*maintenance window/);
        assert.match(
            run("etcdctl", [`--endpoints=${url}`, "get", "--print-value-only", "/k8s/network/config"], { PATH }).stdout,
            /"Type":"vxlan"/,
            "left as it was",
        );
        etcd.kill("SIGTERM");
    });
});
