// The offline render command (scripts/render.ts) run as a user runs it, on the example stacks:
// what it writes for which host, that no key material reaches the folder, that the units it
// shows pass systemd's verifier, and that two renders are byte-identical.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { verifyUnit } from "../../support/systemd-verify";
import { describeLeaks, findLeaks } from "../../support/secret-scan";
import { randomToken, SSH_KEY_PLACEHOLDER } from "../../../scripts/render/placeholders";

const root = join(__dirname, "../../..");
const work = mkdtempSync(join(tmpdir(), "k8s-binary-render-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the render command; resolves with its exit code and output. */
function render(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(process.execPath, ["--import", "tsx", "scripts/render.ts", ...args], { cwd: root });
        let stdout = "";
        let stderr = "";
        child.stdout.on("data", (d) => (stdout += d));
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
}

/** Every file under a folder, by relative path. */
function tree(dir: string): Map<string, Buffer> {
    const out = new Map<string, Buffer>();
    const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
            const p = join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out.set(relative(dir, p), readFileSync(p));
        }
    };
    walk(dir);
    return out;
}

const seedA = join(work, "seed-a");
const seedB = join(work, "seed-b");
const dev = join(work, "dev");
// Two seed renders and the dev render at once: the machine has two cores, and each run is mostly the program.
const runs = Promise.all([
    render("stacks/Pulumi.seed001.yaml", "--out", seedA),
    render("stacks/Pulumi.seed001.yaml", "--out", seedB),
    render("stacks/Pulumi.dev.yaml", "--out", dev),
]);

test("the seed 001 stack renders, and says that the SSH credentials were replaced", async () => {
    const [a] = await runs;
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /ssh\.privateKeyPath was left out for the run/);
    assert.match(readFileSync(join(seedA, "summary.md"), "utf8"), /ssh\.privateKeyPath was left out for the run/);
});

test("master01: the etcd env file, the etcd unit and the /etc/hosts block step", async () => {
    await runs;
    const host = join(seedA, "hosts/master01");
    const env = readFileSync(join(host, "files/etc/etcd/etcd.env"), "utf8");
    assert.match(env, /^ETCD_NAME=master01$/m);
    const initial = readFileSync(join(host, "files/etc/etcd/initial-cluster.env"), "utf8");
    assert.match(
        initial,
        /^ETCD_INITIAL_CLUSTER=master01=https:\/\/192\.168\.80\.10:2380,node01=https:\/\/192\.168\.80\.11:2380,node02=https:\/\/192\.168\.80\.12:2380$/m,
    );
    assert.match(readFileSync(join(host, "files/etc/systemd/system/etcd.service"), "utf8"), /^ExecStart=\/usr\/local\/bin\/etcd/m);
    assert.match(readFileSync(join(host, "files.txt"), "utf8"), /^0600 root:root \/etc\/etcd\/pki\/server-key\.pem {2}\[secret at deploy/m);
    assert.equal(
        readFileSync(join(host, "units.txt"), "utf8").split("\n").slice(1).join("\n"),
        [
            // The control plane registers as a node too (controlPlane.registerNodes, on by default).
            "enabled  containerd.service  <- seed001-node-master01-containerd",
            "disabled etcd-backup.service  <- seed001-etcd-master01-backup-service",
            "enabled  etcd-backup.timer  <- seed001-etcd-master01-backup-timer",
            "enabled  etcd.service  <- seed001-etcd-master01-etcd",
            "enabled  kube-apiserver.service  <- seed001-control-plane-master01-kube-apiserver",
            "enabled  kube-controller-manager.service  <- seed001-control-plane-master01-kube-controller-manager",
            "enabled  kube-proxy.service  <- seed001-node-master01-kube-proxy",
            "enabled  kube-scheduler.service  <- seed001-control-plane-master01-kube-scheduler",
            "enabled  kubelet.service  <- seed001-node-master01-kubelet",
            "",
        ].join("\n"),
    );

    const steps = readdirSync(join(host, "steps"));
    const hostsStep = steps.find((s) => /^\d{3}-master01-prep-etc-hosts\.sh$/.test(s));
    assert.ok(hostsStep, `an /etc/hosts step among ${steps.join(", ")}`);
    const text = readFileSync(join(host, "steps", hostsStep), "utf8");
    for (const line of [
        "192.168.80.10 master01",
        "192.168.80.20 master02",
        "192.168.80.11 node01",
        "192.168.80.12 node02",
        "192.168.80.13 lb01",
        "192.168.80.14 lb02",
    ]) {
        assert.ok(text.includes(`# | ${line}\n`), `the block names ${line}`);
    }
    assert.match(text, /^# ---- create ----\nset -euo pipefail\n/m);
    // Steps are numbered in deployment order: the preparation before etcd's first start.
    const position = (re: RegExp) => steps.findIndex((s) => re.test(s));
    assert.ok(position(/-master01-prep-time-sync\.sh$/) < position(/-seed001-etcd-master01-etcd-activate\.sh$/));
    assert.ok(position(/-seed001-etcd-master01-etcd-install\.sh$/) < position(/-seed001-etcd-master01-etcd-activate\.sh$/));
});

test("master01 and master02: the control plane's flags, keys as secrets, serving certificates naming the VIP", async () => {
    await runs;
    for (const [host, address] of [
        ["master01", "192.168.80.10"],
        ["master02", "192.168.80.20"],
    ]) {
        const dir = join(seedA, "hosts", host);
        const env = readFileSync(join(dir, "files/etc/kubernetes/kube-apiserver.env"), "utf8");
        assert.match(env, new RegExp(`--advertise-address=${address.replace(/\./g, "\\.")} `));
        assert.match(env, /--etcd-servers=https:\/\/192\.168\.80\.10:2379,https:\/\/192\.168\.80\.11:2379,https:\/\/192\.168\.80\.12:2379 /);
        assert.match(env, /--encryption-provider-config=\/etc\/kubernetes\/encryption-config\.yaml /);
        const files = readFileSync(join(dir, "files.txt"), "utf8");
        for (const secret of [
            "/etc/kubernetes/pki/ca.key",
            "/etc/kubernetes/pki/sa.key",
            "/etc/kubernetes/encryption-config.yaml",
            "/etc/kubernetes/controller-manager.conf",
        ])
            assert.match(files, new RegExp(`^0600 root:root ${secret.replace(/\./g, "\\.")} {2}\\[secret at deploy`, "m"), secret);
        assert.match(
            readFileSync(join(dir, "files/etc/systemd/system/kube-apiserver.service"), "utf8"),
            /^ExecStart=\/usr\/local\/bin\/kube-apiserver \$KUBE_APISERVER_ARGS$/m,
        );
    }
    const summary = readFileSync(join(seedA, "summary.md"), "utf8");
    assert.match(
        summary,
        /^\| seed001-control-plane-master02-apiserver \| seed001-ca \| kube-apiserver \| {2}\| [^|]*master02[^|]* \| [^|]*192\.168\.80\.20, [^|]*192\.168\.80\.100[^|]* \|/m,
    );
});

test("summary and graph: hosts with roles, certificates with SANs and uses, releases, every resource", async () => {
    await runs;
    const summary = readFileSync(join(seedA, "summary.md"), "utf8");
    assert.match(summary, /^\| master01 \| 192\.168\.80\.10 \| etcd, control-plane \| 54 \| 15 \| \d+ \|$/m);
    assert.match(
        summary,
        /^\| seed001-etcd-master01-server \| seed001-etcd-ca \| master01 \| {2}\| master01, localhost \| 192\.168\.80\.10, 127\.0\.0\.1 \| digital_signature, key_encipherment, server_auth, client_auth \| 8760 \| master01:\/etc\/etcd\/pki\/server\.pem \|$/m,
    );
    assert.match(
        summary,
        /^\| etcd \| 3\.6\.14 \| https:\/\/github\.com\/etcd-io\/etcd\/releases\/download\/v3\.6\.14\/etcd-v3\.6\.14-linux-amd64\.tar\.gz \| `sha256:ffe840ff[0-9a-f]{56}` \| master01, node01, node02 \|$/m,
    );
    assert.match(summary, /^## Images\n\nNone imported from archives\.$/m);
    assert.match(summary, /^apiserverEndpoint: https:\/\/192\.168\.80\.100:6443$/m);
    const graph = readFileSync(join(seedA, "graph.txt"), "utf8");
    assert.match(
        graph,
        /^ {16}seed001-etcd-master01-etcd-activate \(Command\) {2}command:remote:Command\n {18}parent: seed001-etcd-master01-etcd \(SystemdUnit\)\n {18}after: {2}seed001-etcd-master01-etcd-file-write \(Command\)$/m,
    );
    assert.match(graph, /^ {16}seed001-lb-lb01-etc-k8s-binary-lb-keepalived\.conf-write \(Command\) {2}command:remote:Command {2}\[secret: stdin\]$/m);
});

test("lb01: nginx with both control-plane backends, keepalived with a placeholder password", async () => {
    await runs;
    const host = join(seedA, "hosts/lb01");
    const nginx = readFileSync(join(host, "files/etc/k8s-binary/lb/nginx.conf"), "utf8");
    assert.match(nginx, /server 192\.168\.80\.10:6443 /);
    assert.match(nginx, /server 192\.168\.80\.20:6443 /);
    const keepalived = readFileSync(join(host, "files/etc/k8s-binary/lb/keepalived.conf"), "utf8");
    assert.match(keepalived, /^\s*auth_pass <random seed001-lb-vrrp-auth: generated at deploy>$/m);
    assert.match(keepalived, /virtual_router_id 51/);
    assert.match(readFileSync(join(host, "files.txt"), "utf8"), /keepalived\.conf {2}\[secret at deploy/);
});

test("no file holds key material, the SSH key placeholder or a random stand-in", async () => {
    await runs;
    // The credentials the render ran with and the VRRP password's stand-in, in every encoding.
    const secrets = { "SSH key": SSH_KEY_PLACEHOLDER, "VRRP password stand-in": randomToken("seed001-lb-vrrp-auth", 8) };
    for (const dir of [seedA, dev]) {
        const texts = Object.fromEntries([...tree(dir)].map(([file, content]) => [file, content.toString("utf8")]));
        for (const [file, text] of Object.entries(texts)) assert.doesNotMatch(text, /BEGIN [A-Z ]*PRIVATE KEY|auth_pass RND/, file);
        const leaks = findLeaks(texts, secrets);
        assert.deepEqual(leaks, [], describeLeaks(leaks));
    }
    assert.match(
        readFileSync(join(seedA, "hosts/master01/files/etc/etcd/pki/server-key.pem"), "utf8"),
        /^<private key of seed001-etcd-master01-server-key: generated at deploy>$/,
    );
});

test("every rendered unit passes systemd-analyze verify", async () => {
    await runs;
    for (const dir of [seedA, dev]) {
        for (const host of readdirSync(join(dir, "hosts"))) {
            const unitDir = join(dir, "hosts", host, "files/etc/systemd/system");
            if (!existsSync(unitDir)) continue;
            const units = Object.fromEntries(
                readdirSync(unitDir)
                    .sort()
                    .map((u) => [u, readFileSync(join(unitDir, u), "utf8")]),
            );
            const [first, ...rest] = Object.keys(units);
            const verdict = verifyUnit(first, units[first], Object.fromEntries(rest.map((u) => [u, units[u]])));
            assert.equal(verdict.code, 0, `${host}: ${verdict.problems.join("\n")}`);
            assert.deepEqual(verdict.problems, [], `${host}: ${Object.keys(units).join(", ")}`);
        }
    }
});

test("every step file is valid bash", async () => {
    await runs;
    const files = [...tree(seedA).keys(), ...[...tree(dev).keys()].map((f) => `../dev/${f}`)].filter((f) => f.endsWith(".sh"));
    assert.ok(files.length > 100);
    const r = spawnSync("bash", ["-c", 'for f in "$@"; do bash -n "$f" || echo "invalid: $f"; done', "check", ...files], { cwd: seedA, encoding: "utf8" });
    assert.equal(`${r.stdout}${r.stderr}`, "");
});

test("two renders of one stack are byte-identical", async () => {
    const [, b] = await runs;
    assert.equal(b.code, 0, b.stderr);
    const [ta, tb] = [tree(seedA), tree(seedB)];
    assert.deepEqual([...ta.keys()], [...tb.keys()]);
    for (const [file, content] of ta) assert.ok(content.equals(tb.get(file)!), `${file} differs`);
    assert.ok(ta.size > 100, `a full render (${ta.size} files)`);
});

test("the dev stack renders: sudo steps, no load balancer", async () => {
    const [, , d] = await runs;
    assert.equal(d.code, 0, d.stderr);
    assert.match(d.stdout, /ssh\.agent was left out for the run/);
    const steps = readdirSync(join(dev, "hosts/dev-master/steps"));
    const first = readFileSync(join(dev, "hosts/dev-master/steps", steps[0]), "utf8");
    assert.match(first.split("\n")[0], /on dev-master 192\.168\.56\.10, through sudo -n$/);
    assert.ok(!existsSync(join(dev, "hosts/dev-master/files/etc/k8s-binary/lb")));
});

test("a mixed-arch stack: one Releases row per arch's file, each with its own digest and hosts", async () => {
    await runs;
    const out = join(work, "mixed");
    const run = await render("test/fixtures/stacks/good/13-mixed-arch.yaml", "--out", out);
    assert.equal(run.code, 0, run.stderr);
    const rows = readFileSync(join(out, "summary.md"), "utf8")
        .split("\n")
        .filter((l) => l.startsWith("| kubelet |") || l.startsWith("| etcd |"));
    assert.equal(rows.length, 3, rows.join("\n"));
    assert.match(
        rows.find((r) => r.includes("/linux/amd64/kubelet"))!,
        // The control-plane hosts (amd64) register as nodes too.
        /`sha256:7de2f72d[0-9a-f]+` \| cp1, cp2, cp3, w1 \|$/,
    );
    assert.match(
        rows.find((r) => r.includes("/linux/arm64/kubelet"))!,
        /`sha256:(?!7de2f72d)[0-9a-f]{64}` \| w2 \|$/,
    );
    assert.match(
        rows.find((r) => r.startsWith("| etcd |"))!,
        /linux-amd64\.tar\.gz .*\| cp1, cp2, cp3 \|$/,
    );
});

test("a broken stack file exits 1 naming every path; a foreign --out folder is refused", async () => {
    const broken = join(work, "Pulumi.broken.yaml");
    writeFileSync(
        broken,
        readFileSync(join(root, "stacks/Pulumi.seed001.yaml"), "utf8")
            .replace("podCidr: 10.244.0.0/16", "podCidr: 10.244.0.0/33")
            .replace("roles: [lb]", "roles: [lbb]"),
    );
    const foreign = join(work, "foreign");
    mkdirSync(foreign);
    writeFileSync(join(foreign, "notes.txt"), "mine\n");
    const [bad, refused] = await Promise.all([render(broken, "--out", join(work, "broken-out")), render("stacks/Pulumi.dev.yaml", "--out", foreign)]);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /network\.podCidr/);
    assert.match(bad.stderr, /hosts\[4\]\.roles\[0\]/);
    assert.ok(!existsSync(join(work, "broken-out")), "nothing written");
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /holds no earlier render/);
    assert.equal(readFileSync(join(foreign, "notes.txt"), "utf8"), "mine\n");
});
