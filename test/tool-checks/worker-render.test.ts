import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WorkerNodeArgs } from "../../components/worker/args";
import { CONTAINERD_UNIT, KUBELET_ARGS_VAR, KUBELET_UNIT, KUBE_PROXY_UNIT } from "../../components/worker/layout";
import { planWorkerNode, type WorkerNodePlan } from "../../components/worker/plan";
import { renderContainerdConfig, renderContainerdUnit } from "../../components/worker/render-containerd";
import { renderCorefile } from "../../components/worker/coredns";
import { renderKubeletConfig, renderKubeletEnv, renderKubeletUnit } from "../../components/worker/render-kubelet";
import { renderKubeProxyConfig, renderKubeProxyUnit } from "../../components/worker/render-kube-proxy";
import { renderPreflight } from "../../components/worker/render-preflight";
import { verifyUnit } from "../support/systemd-verify";
import { familyPath } from "../support/toolchain";

// The rendered node files against the toolchain's real binaries: containerd 2.4.2 loads its
// configuration, kube-proxy 1.37.2 decodes and validates its own and writes it back, kubelet 1.37.2
// loads and validates its configuration and flags and then stops at an unreachable lock file (the
// first step after validation, before it touches anything), CoreDNS parses the Corefile up to the
// kubernetes plugin. Units pass systemd-analyze verify; the preflight runs on this machine.
// Nothing listens, nothing is left running: every binary is run to its exit under a timeout.

const KUBE_BIN = join(familyPath("kubernetes"), "bin");
const CONTAINERD = join(familyPath("containerd"), "bin", "containerd");
const COREDNS = join(familyPath("coredns"), "bin", "coredns");
const work = mkdtempSync(join(tmpdir(), "k8s-binary-worker-render-"));
after(() => rmSync(work, { recursive: true, force: true }));

function planOf(over: Partial<WorkerNodeArgs> = {}): WorkerNodePlan {
    const { plan, issues } = planWorkerNode("render-check", {
        host: { name: "w1", address: "10.77.0.21", connection: { host: "10.77.0.21" } },
        version: "1.37.2",
        release: [
            {
                name: "node",
                version: "1",
                url: "https://example.com/x.tar.gz",
                checksum: { algorithm: "sha256", digest: "a".repeat(64) },
                archive: "tar.gz",
                binaries: ["kubelet", "kube-proxy", "containerd", "containerd-shim-runc-v2", "runc", "bridge", "host-local", "loopback", "portmap"],
            },
        ],
        endpoint: { host: "10.77.0.100" },
        ca: undefined as never,
        bootstrapToken: "abcdef.0123456789abcdef",
        ...over,
    });
    assert.deepEqual(issues, []);
    return plan;
}

function run(bin: string, args: string[], timeout = 30_000, env: NodeJS.ProcessEnv = process.env): { code: number; out: string } {
    const r = spawnSync(bin, args, { encoding: "utf8", timeout, env, cwd: work });
    return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

function file(name: string, text: string): string {
    const path = join(work, name);
    writeFileSync(path, text);
    return path;
}

describe("node renderers against the real binaries", { timeout: 120_000 }, () => {
    test("containerd 2.4.2 loads the configuration without a warning, and reports a misspelled key", () => {
        for (const restrict of [false, true]) {
            const config = file(`containerd-${restrict}.toml`, renderContainerdConfig(planOf({ restrictOomScoreAdj: restrict }), "/usr/local/bin/runc"));
            const r = run(CONTAINERD, ["--config", config, "config", "dump"]);
            assert.equal(r.code, 0, r.out);
            assert.doesNotMatch(r.out, /level=(warning|error)/, "no migration, no unknown key");
            assert.match(r.out, /^version = 4$/m);
            assert.match(r.out, /sandbox = 'registry\.k8s\.io\/pause:3\.10\.2'/);
            assert.match(r.out, new RegExp(`restrict_oom_score_adj = ${restrict}`));
            assert.match(r.out, /BinaryName = '\/usr\/local\/bin\/runc'/);
            assert.match(r.out, /SystemdCgroup = true/);
            assert.match(r.out, /bin_dirs = \['\/opt\/cni\/bin'\]/);
            assert.match(r.out, /conf_dir = '\/etc\/cni\/net\.d'/);
        }
        // The CRI sections are decoded strictly; runc's `options` table is not (the shim reads it), so
        // the unit tests pin its keys.
        const typo = file(
            "containerd-typo.toml",
            renderContainerdConfig(planOf(), "/usr/local/bin/runc").replace("restrict_oom_score_adj", "restrict_oom_score_adjust"),
        );
        assert.match(
            run(CONTAINERD, ["--config", typo, "config", "dump"]).out,
            /Ignoring unknown key.*restrict_oom_score_adjust/,
            "the check sees a misspelled key",
        );
        const older = file("containerd-2.2.toml", renderContainerdConfig(planOf({ containerdVersion: "2.2.1" }), "/usr/local/bin/runc"));
        const r = run(CONTAINERD, ["--config", older, "config", "dump"]);
        assert.equal(r.code, 0, r.out);
        assert.match(r.out, /Configuration migrated from version 3/, "schema 3 for 2.2 loads too (2.4 migrates it)");
        assert.doesNotMatch(r.out, /unknown key/);
    });

    test("kube-proxy 1.37.2 decodes strictly, validates and writes back every mode's configuration", () => {
        for (const mode of ["iptables", "nftables", "ipvs"] as const) {
            const config = file(
                `kube-proxy-${mode}.yaml`,
                renderKubeProxyConfig(planOf({ proxy: { mode, conntrackMaxPerCore: 0 }, podCidr: "10.77.224.0/20" })),
            );
            const out = join(work, `kube-proxy-${mode}.out.yaml`);
            const r = run(join(KUBE_BIN, "kube-proxy"), ["--config", config, "--write-config-to", out]);
            assert.equal(r.code, 0, r.out);
            assert.doesNotMatch(r.out, /lenient decoding|strict decoding error/, "every field is known");
            const written = readFileSync(out, "utf8");
            assert.match(written, new RegExp(`^mode: ${mode}$`, "m"));
            assert.match(written, /^clusterCIDR: 10\.77\.224\.0\/20$/m);
            assert.match(written, /^ {2}maxPerCore: 0$/m);
            assert.match(written, /^hostnameOverride: w1$/m);
            assert.match(written, /^ {2}kubeconfig: \/var\/lib\/kube-proxy\/kubeconfig$/m);
        }
        const base = renderKubeProxyConfig(planOf());
        assert.match(
            run(join(KUBE_BIN, "kube-proxy"), [
                "--config",
                file("kp-typo.yaml", base.replace("clusterCIDR", "clusterCidr")),
                "--write-config-to",
                join(work, "x"),
            ]).out,
            /strict decoding error/,
        );
        const bad = run(join(KUBE_BIN, "kube-proxy"), [
            "--config",
            file("kp-bad.yaml", base.replace("mode: iptables", "mode: userspace")),
            "--write-config-to",
            join(work, "y"),
        ]);
        assert.notEqual(bad.code, 0);
        assert.match(bad.out, /failed validate/);
    });

    test("kubelet 1.37.2 loads and validates the configuration and flags, then stops at the lock file", () => {
        const root = join(work, "kubelet");
        mkdirSync(join(root, "var/lib/kubelet/pki"), { recursive: true });
        mkdirSync(join(root, "etc/kubernetes"), { recursive: true });
        const relocate = (text: string) =>
            text.split("/var/lib/kubelet/").join(`${root}/var/lib/kubelet/`).split("/etc/kubernetes/").join(`${root}/etc/kubernetes/`);
        const pki = join(root, "var/lib/kubelet/pki");
        const ssl = spawnSync(
            "openssl",
            [
                "req",
                "-x509",
                "-newkey",
                "ec",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-nodes",
                "-keyout",
                join(pki, "kubelet-serving.key"),
                "-out",
                join(pki, "kubelet-serving.crt"),
                "-subj",
                "/CN=w1",
                "-days",
                "1",
            ],
            { encoding: "utf8", timeout: 30_000 },
        );
        assert.equal(ssl.status, 0, ssl.stderr);
        writeFileSync(join(pki, "ca.crt"), readFileSync(join(pki, "kubelet-serving.crt")));
        const kubelet = (plan: WorkerNodePlan, edit: (config: string) => string = (c) => c, extra: string[] = []) => {
            const config = join(root, "var/lib/kubelet/config.yaml");
            writeFileSync(config, relocate(edit(renderKubeletConfig(plan))));
            const env = relocate(renderKubeletEnv(plan));
            const line = env.split("\n").find((l) => l.startsWith(`${KUBELET_ARGS_VAR}=`));
            assert.ok(line, env);
            const words = /^[A-Z_]+="([^"\\$`]*)"$/
                .exec(line)![1]
                .split(/\s+/)
                .filter((w) => w.length > 0);
            return run(join(KUBE_BIN, "kubelet"), [...words, ...extra, `--lock-file=${join(work, "no-such-dir", "kubelet.lock")}`]);
        };
        const plan = planOf({
            cgroupV1: true,
            controlPlane: true,
            labels: { "node.kubernetes.io/pool": "edge", "example.com/rack": "r1" },
            taints: [{ key: "example.com/gpu", value: "true", effect: "NoExecute" }],
        });
        const r = kubelet(plan);
        assert.notEqual(r.code, 0);
        assert.match(r.out, /unable to acquire file lock/, `validation passed, the kubelet stopped at the lock:\n${r.out.slice(-3000)}`);
        assert.doesNotMatch(r.out, /lenient decoding|strict decoding error|unknown field/, "every field is known");
        assert.doesNotMatch(r.out, /failed to validate/);
        assert.ok(
            !spawnSync("ls", [join(root, "var/lib/kubelet/pki")], { encoding: "utf8" }).stdout.includes("kubelet-client"),
            "no client certificate was requested",
        );

        const typo = kubelet(plan, (c) => c.replace("rotateCertificates", "rotateCertificate"));
        assert.match(typo.out, /strict decoding error|unknown field "rotateCertificate"/, typo.out.slice(-2000));
        // Static validation runs before the lock; cgroupDriver and authorization.mode are only checked
        // later (by the container manager and the authorizer), so the unit tests pin those values.
        const invalid = kubelet(plan, (c) => c.replace("readOnlyPort: 0", "readOnlyPort: 70000"));
        assert.match(invalid.out, /failed to validate kubelet configuration/, invalid.out.slice(-2000));
        const forbidden = kubelet(plan, undefined, ["--node-labels=node-role.kubernetes.io/worker="]);
        assert.match(forbidden.out, /unknown 'kubernetes\.io' or 'k8s\.io' labels/, "the kubelet refuses the labels the plan refuses");
    });

    test("CoreDNS 1.14.6 parses the Corefile up to its kubernetes plugin, and reports a misspelled property", () => {
        const corefile = file("Corefile", renderCorefile("cluster.local"));
        const r = run(COREDNS, ["-conf", corefile, "-dns.port", "0"], 20_000, { PATH: process.env.PATH });
        assert.notEqual(r.code, 0);
        assert.match(r.out, /unable to load in-cluster configuration/, r.out);
        const typo = file("Corefile.typo", renderCorefile("cluster.local").replace("pods insecure", "podz insecure"));
        assert.match(run(COREDNS, ["-conf", typo, "-dns.port", "0"], 20_000, { PATH: process.env.PATH }).out, /unknown property 'podz'/);
    });

    test("the units pass systemd-analyze verify", () => {
        const containerd = renderContainerdUnit("/usr/local/bin/containerd");
        for (const [name, text, companions] of [
            [CONTAINERD_UNIT, containerd, {}],
            [KUBELET_UNIT, renderKubeletUnit("/usr/local/bin/kubelet"), { [CONTAINERD_UNIT]: containerd }],
            [KUBE_PROXY_UNIT, renderKubeProxyUnit("/usr/local/bin/kube-proxy"), {}],
        ] as const) {
            const v = verifyUnit(name, text, companions);
            assert.equal(v.code, 0, `${name}: ${v.problems.join("\n")}`);
            assert.deepEqual(v.problems, [], name);
        }
    });

    test("the preflight runs on this machine, reports what it finds, and passes once the options it names are set", () => {
        const preflight = (plan: WorkerNodePlan) => {
            const r = spawnSync("/bin/bash", ["-c", renderPreflight(plan)], { encoding: "utf8", timeout: 30_000 });
            return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
        };
        const first = preflight(planOf());
        assert.match(first.out, /^found: cgroup (v2|v1 or hybrid)/m);
        assert.match(first.out, /^found: (no )?CAP_SYS_RESOURCE/m);
        const needs = first.out.split("\n").filter((l) => l.startsWith("NEEDS:"));
        assert.equal(first.code, needs.length > 0 ? 1 : 0, first.out);
        console.log(`preflight on this machine:\n${first.out}`);
        const fitted = planOf({
            cgroupV1: /^found: cgroup v1/m.test(first.out),
            restrictOomScoreAdj: /^found: no CAP_SYS_RESOURCE/m.test(first.out),
        });
        const second = preflight(fitted);
        assert.equal(second.code, 0, second.out);
        assert.match(second.out, /the host fits/);
        for (const mode of ["nftables", "ipvs"] as const) {
            const r = preflight({ ...fitted, proxy: { mode } });
            console.log(`preflight, proxy.mode ${mode}:\n${r.out}`);
            const modeNeeds = r.out.split("\n").filter((l) => l.startsWith("NEEDS:"));
            assert.equal(r.code, modeNeeds.length > 0 ? 1 : 0, r.out);
            for (const n of modeNeeds) assert.match(n, /set proxy\.mode: /, "a misfit names the option to change");
        }
    });
});
