import { after, before, beforeEach, describe, it } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { apiserverEndpoint, clusterHosts, loadSpecFromPulumiConfig, parseClusterSpec, SpecError } from "../../../components/cluster-spec";
import { installMockRuntime } from "../../../scripts/lib/mock-runtime";
import { baseSpec } from "./fixtures/base";

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((resolve) => o.apply(resolve));
const isSecret = <T>(o: pulumi.Output<T>) => (o as unknown as { isSecret: Promise<boolean> }).isSecret;

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "spec-config-"));
const keyFile = path.join(tmp, "id_ed25519");
/** Key-shaped text: the loaders check that a private key is one, never what it unlocks. */
const FILE_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nZmlsZS1rZXk=\n-----END OPENSSH PRIVATE KEY-----\n";
const SECRET_KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWtleQ==\n-----END OPENSSH PRIVATE KEY-----\n";

before(() => {
    fs.writeFileSync(keyFile, FILE_KEY);
    installMockRuntime({ stack: "unit" });
});
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
beforeEach(() => pulumi.runtime.setAllConfig({}));

function setCluster(cluster: unknown, secrets: Record<string, string> = {}) {
    pulumi.runtime.setAllConfig({ "k8s-binary:cluster": JSON.stringify(cluster), ...secrets }, Object.keys(secrets));
}

describe("loadSpecFromPulumiConfig", () => {
    it("reads the key file into a secret", async () => {
        const cluster = baseSpec();
        cluster.ssh = { privateKeyPath: keyFile };
        setCluster(cluster);
        const { spec, credentials } = loadSpecFromPulumiConfig();
        assert.equal(spec.hosts.length, 7);
        assert.ok(credentials.privateKey);
        assert.equal(await value(credentials.privateKey), FILE_KEY);
        assert.equal(await isSecret(credentials.privateKey), true);
    });

    it("takes the secret config key", async () => {
        const cluster = baseSpec();
        delete cluster.ssh;
        setCluster(cluster, { "k8s-binary:sshPrivateKey": SECRET_KEY });
        const { credentials } = loadSpecFromPulumiConfig();
        assert.ok(credentials.privateKey);
        assert.equal(await value(credentials.privateKey), SECRET_KEY);
        assert.equal(await isSecret(credentials.privateKey), true);
    });

    it("uses the agent socket", () => {
        const cluster = baseSpec();
        cluster.ssh = { agent: true, agentSocketPath: "/run/user/1000/agent.sock" };
        setCluster(cluster);
        assert.deepEqual(loadSpecFromPulumiConfig().credentials, { agentSocketPath: "/run/user/1000/agent.sock" });
    });

    it("falls back to SSH_AUTH_SOCK, and says so when it is unset", () => {
        const cluster = baseSpec();
        cluster.ssh = { agent: true };
        setCluster(cluster);
        const saved = process.env.SSH_AUTH_SOCK;
        try {
            process.env.SSH_AUTH_SOCK = "/tmp/agent.env.sock";
            assert.deepEqual(loadSpecFromPulumiConfig().credentials, { agentSocketPath: "/tmp/agent.env.sock" });
            delete process.env.SSH_AUTH_SOCK;
            assert.throws(
                loadSpecFromPulumiConfig,
                (e: unknown) => e instanceof SpecError && e.issues[0].path === "ssh.agent" && /sshPrivateKey/.test(e.issues[0].hint),
            );
        } finally {
            if (saved === undefined) delete process.env.SSH_AUTH_SOCK;
            else process.env.SSH_AUTH_SOCK = saved;
        }
    });

    it("throws one SpecError naming the stack, before anything is registered", () => {
        const cluster = baseSpec();
        cluster.hosts[0].address = "10.1.1.1";
        cluster.ssh = { privateKeyPath: path.join(tmp, "missing") };
        setCluster(cluster);
        assert.throws(
            loadSpecFromPulumiConfig,
            (e: unknown) => e instanceof SpecError && /in stack unit/.test(e.message) && e.issues[0].path === "hosts[0].address",
        );
    });

    it("reports a missing cluster key and an unreadable key file", () => {
        assert.throws(loadSpecFromPulumiConfig, (e: unknown) => e instanceof SpecError && e.issues[0].path === "k8s-binary:cluster");
        const cluster = baseSpec();
        cluster.ssh = { privateKeyPath: path.join(tmp, "missing") };
        setCluster(cluster);
        assert.throws(loadSpecFromPulumiConfig, (e: unknown) => e instanceof SpecError && e.issues[0].path === "ssh.privateKeyPath");
    });
});

describe("clusterHosts", () => {
    it("builds each host's connection: user, port, key, pinned host key, bastion, sudo", async () => {
        const raw = baseSpec();
        raw.ssh = { user: "ops", port: 2222, privateKeyPath: keyFile, bastion: { address: "jump.example", hostKey: "ssh-ed25519 AAAAJUMP" } };
        raw.hosts[0].sshUser = "root";
        raw.hosts[0].sshPort = 22;
        raw.hosts[0].hostKey = "ssh-ed25519 AAAAC3Nza";
        const { spec } = parseClusterSpec(raw);
        const key = pulumi.secret("KEY");
        const hosts = clusterHosts(spec, { privateKey: key });
        assert.deepEqual(
            hosts.map((h) => [h.name, h.address, h.sudo]),
            spec.hosts.map((h, i) => [h.name, h.address, i !== 0]),
        );
        const proxy = { host: "jump.example", port: 22, user: "ops", privateKey: key, hostKey: "ssh-ed25519 AAAAJUMP" };
        assert.deepEqual(hosts[0].connection, { host: "192.168.10.11", port: 22, user: "root", privateKey: key, hostKey: "ssh-ed25519 AAAAC3Nza", proxy });
        assert.deepEqual(hosts[1].connection, { host: "192.168.10.12", port: 2222, user: "ops", privateKey: key, proxy });
    });

    it("honours an explicit sudo and the agent", () => {
        const raw = baseSpec();
        raw.ssh = { user: "ops", sudo: true, agent: true };
        raw.hosts[0].sshUser = "root";
        const hosts = clusterHosts(parseClusterSpec(raw).spec, { agentSocketPath: "/agent" });
        assert.equal(hosts[0].sudo, true, "sudo stays on even for root when asked");
        assert.deepEqual(hosts[0].connection, { host: "192.168.10.11", port: 22, user: "root", agentSocketPath: "/agent" });
    });
});

describe("apiserverEndpoint", () => {
    it("is the VIP when there is a load balancer, else the first control-plane host", () => {
        assert.deepEqual(apiserverEndpoint(parseClusterSpec(baseSpec()).spec), { host: "192.168.10.100", port: 6443, url: "https://192.168.10.100:6443" });
        const raw = baseSpec();
        delete raw.loadBalancer;
        raw.hosts = raw.hosts.filter((h: Record<string, string[]>) => !h.roles.includes("lb"));
        raw.network.apiserverPort = 7443;
        assert.equal(apiserverEndpoint(parseClusterSpec(raw).spec).url, "https://192.168.10.11:7443");
    });
});
