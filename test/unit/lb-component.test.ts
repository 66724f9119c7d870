import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled, valueOf } from "../support/recording-mocks";
import { describeLeaks, findLeaks, plainInputs } from "../support/secret-scan";

const registered = recordingMocks();


import { NginxKeepalivedLB } from "../../components/lb";

const lbHost = (name: string, address: string, priority?: number) => ({
    host: { name, address, connection: { host: address, user: "root" } }, priority,
});

// A secret input reaches the mock as a wrapper object carrying Pulumi's secret signature.
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecretValue = (v: any) => typeof v === "object" && v !== null && v[pulumi.runtime.specialSigKey] === SECRET_SIG;
const plain = (v: any) => (isSecretValue(v) ? v.value : v);

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(r, `${name} is registered`);
    return r;
};
const dependsOn = (name: string, other: string) =>
    named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));

const lb = new NginxKeepalivedLB("api", {
    hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14"), lbHost("lb3", "10.0.0.15", 145)],
    vip: "10.0.0.100",
    interface: "eth0",
    virtualRouterId: 51,
    backends: ["10.0.0.11:6443", "10.0.0.12:6443"],
});

test("the endpoint is the VIP URL and waits for the VIP check", async () => {
    await settled();
    assert.equal(await valueOf(lb.endpoint), "https://10.0.0.100:6443");
    assert.equal(await valueOf(lb.master), "lb1");
    const wait = named("api-vip-answers-wait");
    assert.match(String(wait.inputs.create), /timeout 2 bash -c '"'"'<\/dev\/tcp\/10\.0\.0\.100\/6443'"'"'/);
    const onMaster = named("api-vip-on-master-wait");
    assert.equal(plain(onMaster.inputs.connection).host, "10.0.0.13", "the VIP is looked for on the MASTER");
    assert.match(String(onMaster.inputs.create), /ip -4 -o address show dev eth0 \| grep -qF '"'"' 10\.0\.0\.100\/32 '"'"'/);
    assert.ok(dependsOn("api-vip-on-master", "lb1-k8s-apiserver-vip-activate"), "looked for after the MASTER's keepalived is up");
    assert.ok(dependsOn("api-vip-answers", "api-vip-on-master-wait"), "then checked across the network");
});

test("the wait runs on the lowest-priority BACKUP, so it crosses the network", async () => {
    const wait = named("api-vip-answers-wait");
    assert.equal(plain(wait.inputs.connection).host, "10.0.0.14");
});

test("the VRRP secret is a random 8-character alphanumeric password that stays secret", async () => {
    const pass = named("api-vrrp-auth");
    assert.equal(pass.type, "random:index/randomPassword:RandomPassword");
    assert.equal(pass.inputs.length, 8);
    assert.equal(pass.inputs.special, false);
    const write = named("lb1-etc-k8s-binary-lb-keepalived.conf-write");
    assert.match(String(write.inputs.create), /chmod 0600/);
    assert.ok(isSecretValue(write.inputs.stdin), "the config with the secret is a secret");
    assert.match(String(plain(write.inputs.stdin)), /auth_pass Rnd0m8ch\n/);
    // The password appears nowhere outside a secret: not in a command line, not in any plain input, in no encoding.
    const texts = Object.fromEntries(registered.map((r) => [`${r.name} inputs`, plainInputs(r.inputs)]));
    const leaks = findLeaks(texts, { "VRRP password": "Rnd0m8ch" });
    assert.deepEqual(leaks, [], describeLeaks(leaks));
    for (const r of registered.filter((x) => x.type === "command:remote:Command")) assert.doesNotMatch(plainInputs(r.inputs), /auth_pass/, `${r.name}: no auth line in a command`);
});

test("every LB host gets packages, both configs and both units; nginx reloads on a config change", async () => {
    for (const h of ["lb1", "lb2", "lb3"]) {
        named(`${h}-lb-packages`);
        assert.match(String(plain(named(`${h}-etc-k8s-binary-lb-nginx.conf-write`).inputs.stdin)), /server 10\.0\.0\.12:6443 max_fails=2/);
        assert.match(String(named(`${h}-k8s-apiserver-lb-activate`).inputs.update), /systemctl reload-or-restart k8s-apiserver-lb.service/);
        assert.match(String(named(`${h}-k8s-apiserver-vip-activate`).inputs.update), /systemctl restart k8s-apiserver-vip.service/);
    }
    assert.match(String(plain(named("lb3-etc-k8s-binary-lb-keepalived.conf-write").inputs.stdin)), /state BACKUP[\s\S]*priority 145/);
    assert.ok(dependsOn("lb1-etc-k8s-binary-lb-nginx.conf", "lb1-lb-packages"), "configs wait for the packages");
});

test("keepalived restarts roll: lowest-priority BACKUP, then the next, the MASTER last", async () => {
    // priorities: lb1 150 (MASTER), lb3 145, lb2 140
    assert.ok(dependsOn("lb3-k8s-apiserver-vip", "lb2-k8s-apiserver-vip-activate"));
    assert.ok(dependsOn("lb1-k8s-apiserver-vip", "lb3-k8s-apiserver-vip-activate"));
    assert.ok(!dependsOn("lb2-k8s-apiserver-vip", "lb1-k8s-apiserver-vip-activate"));
    assert.ok(dependsOn("lb1-k8s-apiserver-vip", "lb1-k8s-apiserver-lb-activate"), "keepalived starts after nginx on its host");
});

test("without preemption the VIP may stay on any host: only the network check remains", async () => {
    new NginxKeepalivedLB("nopreempt", {
        hosts: [lbHost("n1", "10.0.1.13"), lbHost("n2", "10.0.1.14")],
        vip: "10.0.1.100", interface: "eth0", virtualRouterId: 52, backends: ["10.0.1.11:6443"], preempt: false,
    });
    await settled();
    assert.equal(registered.find((r) => r.name === "nopreempt-vip-on-master-wait"), undefined);
    assert.ok(dependsOn("nopreempt-vip-answers", "n1-k8s-apiserver-vip-activate"));
    assert.match(String(plain(named("n1-etc-k8s-binary-lb-keepalived.conf-write").inputs.stdin)), /state BACKUP[\s\S]*nopreempt/);
});

test("invalid Args fail before any resource of the component is registered", () => {
    const before = registered.length;
    assert.throws(() => new NginxKeepalivedLB("bad", {
        hosts: [lbHost("lb1", "10.0.0.11"), lbHost("lb2", "10.0.0.14")],
        vip: "10.0.0.100", interface: "eth0", virtualRouterId: 51, backends: ["10.0.0.11:6443"],
    }), /listen port 6443 collides with the apiserver 10\.0\.0\.11:6443 on LB host lb1/);
    return settled().then(() => {
        assert.deepEqual(registered.slice(before).map((r) => r.name), []);
    });
});
