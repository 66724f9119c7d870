import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import YAML from "yaml";
import { loadStackFile, resolveReleases, SpecError } from "../../../components/cluster-spec";
import { baseSpec } from "./fixtures/base";

const root = path.resolve(__dirname, "../../..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spec-stack-"));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Writes a stack file holding `config` and returns its path. */
function stackFile(name: string, config: Record<string, unknown>): string {
    const file = path.join(tmp, `Pulumi.${name}.yaml`);
    fs.writeFileSync(file, YAML.stringify({ config }));
    return file;
}

function loadError(file: string): SpecError {
    try {
        loadStackFile(file);
    } catch (e) {
        if (e instanceof SpecError) return e;
        throw e;
    }
    assert.fail(`${file} was accepted`);
}

describe("example stacks", () => {
    it("seed001 reproduces the topology of seed 001", () => {
        const { spec, warnings } = loadStackFile(path.join(root, "stacks/Pulumi.seed001.yaml"));
        // Its key file (~/.ssh/id_ed25519) is checked where it exists and only named where it does not.
        assert.deepEqual(
            warnings.filter((w) => w.path !== "ssh.privateKeyPath"),
            [],
        );
        assert.deepEqual(
            spec.hosts.map((h) => [h.name, h.address, h.roles.join("+")]),
            [
                ["master01", "192.168.80.10", "etcd+control-plane"],
                ["master02", "192.168.80.20", "control-plane"],
                ["node01", "192.168.80.11", "etcd+worker"],
                ["node02", "192.168.80.12", "etcd+worker"],
                ["lb01", "192.168.80.13", "lb"],
                ["lb02", "192.168.80.14", "lb"],
            ],
        );
        assert.equal(spec.loadBalancer?.vip, "192.168.80.100");
        assert.deepEqual([spec.network.serviceCidr, spec.network.clusterDns, spec.network.podCidr], ["10.0.0.0/24", "10.0.0.2", "10.244.0.0/16"]);
        assert.deepEqual([spec.flannel.mode, spec.flannel.backend], ["daemonset", "vxlan"]);
        const r = resolveReleases(spec);
        assert.equal(r.controlPlane[0].fileName, "kubernetes-server-linux-amd64.tar.gz");
        assert.equal(r.etcd.url, "https://github.com/etcd-io/etcd/releases/download/v3.6.14/etcd-v3.6.14-linux-amd64.tar.gz");
    });

    it("dev is one etcd + control-plane host and two workers, without a load balancer", () => {
        const { spec, warnings } = loadStackFile(path.join(root, "stacks/Pulumi.dev.yaml"));
        assert.deepEqual(warnings, []);
        assert.deepEqual(
            spec.hosts.map((h) => h.roles.join("+")),
            ["etcd+control-plane", "worker", "worker"],
        );
        assert.equal(spec.loadBalancer, undefined);
        assert.deepEqual([spec.ssh.user, spec.ssh.agent], ["debian", true]);
    });
});

describe("stack files", () => {
    it("accepts an encrypted private key without decrypting it", () => {
        const cluster = baseSpec();
        delete cluster.ssh;
        const file = stackFile("secure", { "k8s-binary:cluster": cluster, "k8s-binary:sshPrivateKey": { secure: "v1:AAAABBBB" }, "aws:region": "eu-west-1" });
        assert.equal(loadStackFile(file).spec.hosts.length, 7);
    });

    it("accepts the project's keys without their namespace", () => {
        const file = stackFile("bare", { cluster: baseSpec() });
        assert.equal(loadStackFile(file).spec.name, "test");
    });

    it("rejects a plain-text private key, an unknown key and spec problems in one error", () => {
        const cluster = baseSpec();
        cluster.hosts[3].address = "192.168.99.1";
        const file = stackFile("plain", {
            "k8s-binary:cluster": cluster,
            "k8s-binary:sshPrivateKey": "-----BEGIN OPENSSH PRIVATE KEY-----",
            "k8s-binary:clustr": {},
        });
        const e = loadError(file);
        assert.deepEqual(
            e.issues.map((i) => i.path),
            ["k8s-binary:clustr", "k8s-binary:sshPrivateKey", "hosts[3].address", "ssh"],
        );
        assert.match(e.issues[0].hint, /k8s-binary:cluster/);
        assert.match(e.issues[1].hint, /--secret/);
        assert.ok(e.message.startsWith(`Invalid cluster spec in ${file}: 4 problems`));
    });

    it("rejects an encrypted cluster value", () => {
        const e = loadError(stackFile("encrypted", { "k8s-binary:cluster": { secure: "v1:AAAA" } }));
        assert.deepEqual(
            e.issues.map((i) => [i.path, /encrypted/.test(i.message)]),
            [["k8s-binary:cluster", true]],
        );
    });

    it("names a missing cluster key and unreadable YAML", () => {
        assert.deepEqual(
            loadError(stackFile("empty", { "aws:region": "x" })).issues.map((i) => i.path),
            ["k8s-binary:cluster"],
        );
        const broken = path.join(tmp, "Pulumi.broken.yaml");
        fs.writeFileSync(broken, "config:\n  k8s-binary:cluster: [\n");
        assert.match(loadError(broken).issues[0].message, /is not valid YAML at line 3, column 1/);
    });

    it("refuses an anchor bomb without expanding it, and accepts as many aliases as a real file uses", () => {
        // Twenty levels of ten aliases: 10^20 values if expanded, so an answer at all proves nothing was.
        const levels = Array.from({ length: 20 }, (_, i) => `    l${i + 1}: &l${i + 1} [${Array(10).fill(`*l${i}`).join(", ")}]`);
        const bomb = path.join(tmp, "Pulumi.bomb.yaml");
        fs.writeFileSync(bomb, ["config:", "  bomb:", "    l0: &l0 [x]", ...levels, ""].join("\n"));
        const started = performance.now();
        assert.match(loadError(bomb).issues[0].message, /excessive aliasing/);
        assert.ok(performance.now() - started < 5000, "refused in well under a second on an idle machine");

        const cluster = baseSpec();
        const labels = "{disktype: ssd}";
        const text = YAML.stringify({ config: { "k8s-binary:cluster": cluster } }).replace("disktype: ssd", "<<: &labels " + labels);
        const aliased = path.join(tmp, "Pulumi.aliased.yaml");
        fs.writeFileSync(aliased, text + Array.from({ length: 300 }, (_, i) => `  aws:tag${i}: *labels`).join("\n") + "\n");
        assert.equal(loadStackFile(aliased).spec.hosts[4].labels.disktype, "ssd", "a merge key and 300 uses of its anchor");
    });
});

describe("npm run validate", () => {
    const validate = (...files: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", path.join(root, "scripts/validate.ts"), ...files], { cwd: root, encoding: "utf8" });

    it("exits 0 with a summary for the example stacks", () => {
        const run = validate("stacks/Pulumi.seed001.yaml", "stacks/Pulumi.dev.yaml");
        assert.equal(run.status, 0, run.stderr);
        assert.match(run.stdout, /^OK stacks\/Pulumi\.seed001\.yaml$/m);
        assert.match(run.stdout, /etcd: 3 \(master01, node01, node02\); control-plane: 2 \(master01, master02\)/);
        assert.match(run.stdout, /kubernetes 1\.36\.0, etcd 3\.6\.14/);
        assert.match(run.stdout, /^OK stacks\/Pulumi\.dev\.yaml$/m);
    });

    it("exits 1 listing every problem of a broken file", () => {
        const cluster = baseSpec();
        cluster.hosts[2].address = "192.168.10.999";
        cluster.binaries.etcd.sha256 = "123";
        const file = stackFile("cli", { "k8s-binary:cluster": cluster });
        const run = validate(file);
        assert.equal(run.status, 1);
        assert.match(run.stderr, /2 problems/);
        assert.match(run.stderr, /^ {2}- hosts\[2\]\.address: /m);
        assert.match(run.stderr, /^ {2}- binaries\.etcd\.sha256: /m);
    });
});

describe("Pulumi.yaml", () => {
    it("declares the cluster key untyped and required, and no optional secret", () => {
        const project = YAML.parse(fs.readFileSync(path.join(root, "Pulumi.yaml"), "utf8"));
        const cluster = project.config.cluster;
        assert.equal(typeof cluster.description, "string");
        assert.equal(cluster.type, undefined, "project config types cannot describe an object");
        assert.equal(cluster.default, undefined, "no default: every stack must set it");
        assert.equal(project.config.sshPrivateKey, undefined);
        assert.equal(project.stackConfigDir, "stacks");
    });
});
