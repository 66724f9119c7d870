import { test } from "node:test";
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { recordingMocks, settled, valueOf } from "../../support/recording-mocks";
import { describeLeaks, findLeaks, plainInputs } from "../../support/secret-scan";

const registered = recordingMocks();

import * as random from "@pulumi/random";
import { lbHostNeeds, NginxKeepalivedLB, type NginxKeepalivedLBArgs } from "../../../components/lb";

const lbHost = (name: string, address: string, priority?: number) => ({
    host: { name, address, connection: { host: address, user: "root" } },
    priority,
});

// A secret input reaches the mock as a wrapper object carrying Pulumi's secret signature.
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const isSecretValue = (v: unknown): v is { value: unknown } =>
    typeof v === "object" && v !== null && (v as Record<string, unknown>)[pulumi.runtime.specialSigKey] === SECRET_SIG;
const plain = (v: unknown): unknown => (isSecretValue(v) ? v.value : v);

const named = (name: string) => {
    const r = registered.find((x) => x.name === name);
    assert.ok(r, `${name} is registered`);
    return r;
};
const dependsOn = (name: string, other: string) => named(name).dependencies.some((urn) => urn.endsWith(`::${other}`));

const apiArgs: NginxKeepalivedLBArgs = {
    hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14"), lbHost("lb3", "10.0.0.15", 145)],
    vip: "10.0.0.100",
    interface: "eth0",
    virtualRouterId: 51,
    backends: ["10.0.0.11:6443", "10.0.0.12:6443"],
};
const lb = new NginxKeepalivedLB("api", apiArgs);
// Something that takes the endpoint, as the control plane will.
const consumer = new random.RandomString("endpoint-consumer", { length: 8, keepers: { url: lb.endpoint.url } });

test("the endpoint bundle is the VIP, the port and the URL, known once the VIP answers", async () => {
    await settled();
    assert.deepEqual(await valueOf(lb.endpoint), { host: "10.0.0.100", port: 6443, url: "https://10.0.0.100:6443" });
    assert.equal(await valueOf(lb.master), "lb1");
    assert.equal(named("endpoint-consumer").inputs.keepers.url, "https://10.0.0.100:6443");
    assert.ok(dependsOn("endpoint-consumer", "api-vip-answers-wait"), "whoever takes the endpoint runs after the VIP check");
    assert.ok(consumer);
});

test("the VIP is looked for on the MASTER after its keepalived is up, then checked across the network", async () => {
    const wait = named("api-vip-answers-wait");
    assert.match(String(wait.inputs.create), /timeout 2 bash -c '"'"'<\/dev\/tcp\/10\.0\.0\.100\/6443'"'"'/);
    assert.equal((plain(wait.inputs.connection) as { host: string }).host, "10.0.0.14", "from the lowest-priority BACKUP");
    const onMaster = named("api-vip-on-master-wait");
    assert.equal((plain(onMaster.inputs.connection) as { host: string }).host, "10.0.0.13", "the VIP is looked for on the MASTER");
    assert.match(String(onMaster.inputs.create), /ip -4 -o address show dev eth0 \| grep -qF '"'"' 10\.0\.0\.100\/32 '"'"'/);
    assert.ok(dependsOn("api-vip-on-master", "api-lb1-k8s-apiserver-vip.service-activate"), "looked for after the MASTER's keepalived is up");
    assert.ok(dependsOn("api-vip-answers", "api-vip-on-master-wait"), "then checked across the network");
});

test("the VRRP secret is a random 8-character alphanumeric password that stays secret", async () => {
    const pass = named("api-vrrp-auth");
    assert.equal(pass.type, "random:index/randomPassword:RandomPassword");
    assert.equal(pass.inputs.length, 8);
    assert.equal(pass.inputs.special, false);
    const write = named("api-lb1-etc-k8s-binary-lb-keepalived.conf-write");
    assert.match(String(write.inputs.create), /chmod 0600/);
    assert.ok(isSecretValue(write.inputs.stdin), "the config with the secret is a secret");
    assert.match(String(plain(write.inputs.stdin)), /auth_pass Rnd0m8ch\n/);
    // The password appears nowhere outside a secret: not in a command line, not in any plain input, in no encoding.
    const texts = Object.fromEntries(registered.map((r) => [`${r.name} inputs`, plainInputs(r.inputs)]));
    const leaks = findLeaks(texts, { "VRRP password": "Rnd0m8ch" });
    assert.deepEqual(leaks, [], describeLeaks(leaks));
    for (const r of registered.filter((x) => x.type === "command:remote:Command"))
        assert.doesNotMatch(plainInputs(r.inputs), /auth_pass/, `${r.name}: no auth line in a command`);
});

test("every LB host is a member holding packages, both configs and both units; nginx reloads on a config change", async () => {
    for (const h of ["lb1", "lb2", "lb3"]) {
        assert.equal(named(`api-${h}`).type, "k8s-binary:index:NginxKeepalivedLBMember");
        assert.match(String(named(`api-${h}-packages`).inputs.create), /keepalived libnginx-mod-stream nginx/);
        assert.match(String(plain(named(`api-${h}-etc-k8s-binary-lb-nginx.conf-write`).inputs.stdin)), /server 10\.0\.0\.12:6443 max_fails=2/);
        assert.match(String(named(`api-${h}-k8s-apiserver-lb.service-activate`).inputs.update), /systemctl reload-or-restart k8s-apiserver-lb.service/);
        assert.match(String(named(`api-${h}-k8s-apiserver-vip.service-activate`).inputs.update), /systemctl restart k8s-apiserver-vip.service/);
    }
    assert.match(String(plain(named("api-lb3-etc-k8s-binary-lb-keepalived.conf-write").inputs.stdin)), /state BACKUP[\s\S]*priority 145/);
    assert.ok(dependsOn("api-lb1-etc-k8s-binary-lb-nginx.conf", "api-lb1-packages"), "configs wait for the packages");
    assert.ok(dependsOn("api-lb1-etc-k8s-binary-lb-keepalived.conf", "api-lb1-packages"), "configs wait for the packages");
});

test("keepalived restarts roll: lowest-priority BACKUP, then the next, the MASTER last", async () => {
    // priorities: lb1 150 (MASTER), lb3 145, lb2 140
    const vip = (h: string) => `api-${h}-k8s-apiserver-vip.service`;
    assert.ok(dependsOn(vip("lb3"), `${vip("lb2")}-activate`));
    assert.ok(dependsOn(vip("lb1"), `${vip("lb3")}-activate`));
    assert.ok(!dependsOn(vip("lb2"), `${vip("lb1")}-activate`));
    assert.ok(!dependsOn(vip("lb2"), `${vip("lb3")}-activate`));
    assert.ok(dependsOn(vip("lb1"), "api-lb1-k8s-apiserver-lb.service-activate"), "keepalived starts after nginx on its host");
});

test("two load balancers on the same hosts register without a name collision", async () => {
    new NginxKeepalivedLB("second", {
        hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14")],
        vip: "10.0.0.101",
        interface: "eth0",
        virtualRouterId: 61,
        listenPort: 8443,
        backends: ["10.0.0.11:6443"],
    });
    await settled();
    const ids = registered.map((r) => `${r.type}::${r.name}`);
    const duplicates = ids.filter((id, i) => ids.indexOf(id) !== i);
    assert.deepEqual(duplicates, [], "type and name are unique, so URNs are too");
    assert.ok(registered.filter((r) => r.name.startsWith("second-lb1-")).length >= 5, "the second LB has its own members on lb1");
});

test("without preemption the VIP may stay on any host: only the network check remains", async () => {
    new NginxKeepalivedLB("nopreempt", {
        hosts: [lbHost("n1", "10.0.1.13"), lbHost("n2", "10.0.1.14")],
        vip: "10.0.1.100",
        interface: "eth0",
        virtualRouterId: 52,
        backends: ["10.0.1.11:6443"],
        preempt: false,
    });
    await settled();
    assert.equal(
        registered.find((r) => r.name === "nopreempt-vip-on-master-wait"),
        undefined,
    );
    assert.ok(dependsOn("nopreempt-vip-answers", "nopreempt-n1-k8s-apiserver-vip.service-activate"));
    assert.match(String(plain(named("nopreempt-n1-etc-k8s-binary-lb-keepalived.conf-write").inputs.stdin)), /state BACKUP[\s\S]*nopreempt/);
});

test("installPackages: false leaves the packages to the host preparation: no package step", async () => {
    new NginxKeepalivedLB("prepared", {
        hosts: [lbHost("p1", "10.0.2.13"), lbHost("p2", "10.0.2.14")],
        vip: "10.0.2.100",
        interface: "eth0",
        virtualRouterId: 53,
        backends: ["10.0.2.11:6443"],
        installPackages: false,
    });
    await settled();
    const mine = registered.filter((r) => r.name.startsWith("prepared-"));
    assert.ok(
        mine.some((r) => r.name === "prepared-p1-etc-k8s-binary-lb-nginx.conf-write"),
        "the rest is there",
    );
    assert.deepEqual(
        mine.filter((r) => /packages/.test(r.name) || /apt-get|dnf/.test(String(r.inputs.create ?? ""))).map((r) => r.name),
        [],
    );
});

test("invalid Args: one ResourceError listing every problem with its path, and no child resource", async () => {
    const before = registered.length;
    assert.throws(
        () =>
            new NginxKeepalivedLB("bad", {
                hosts: [lbHost("lb1", "10.0.0.11"), lbHost("lb2", "10.0.0.14")],
                vip: "10.0.0.300",
                interface: "eth0",
                virtualRouterId: 51,
                backends: ["10.0.0.11:6443", "10.0.0.12"],
            }),
        (e: Error) => {
            assert.ok(e instanceof pulumi.ResourceError, "attached to the component, so the engine names its URN");
            const lines = e.message.split("\n");
            assert.equal(lines[0], "NginxKeepalivedLB bad: invalid arguments, 3 problems");
            assert.match(lines[1], /^ {2}- vip: "10\.0\.0\.300" is not an IPv4 address.*\(fix: /);
            assert.match(lines[3], /^ {2}- backends\[1\]: "10\.0\.0\.12" is not IPv4 address:port \(fix: write it like 10\.0\.0\.11:6443\)$/);
            assert.match(lines[2], /^ {2}- listenPort: 6443 collides with the apiserver backends\[0\] \(10\.0\.0\.11:6443\) on LB host lb1/);
            return true;
        },
    );
    await settled();
    assert.deepEqual(
        registered.slice(before).map((r) => `${r.type} ${r.name}`),
        ["k8s-binary:index:NginxKeepalivedLB bad"],
        "the component alone",
    );
});

test("lbHostNeeds: per host the packages, the listen port and VRRP, no sysctl", () => {
    const needs = lbHostNeeds({ ...apiArgs, listenPort: 8443 });
    assert.deepEqual(Object.keys(needs), ["lb1", "lb2", "lb3"]);
    assert.deepEqual(needs.lb2, {
        packages: ["nginx", "libnginx-mod-stream", "keepalived"],
        ports: [
            { protocol: "tcp", port: 8443, what: "apiserver load balancer" },
            { protocol: "vrrp", what: "keepalived VRRP of the apiserver VIP" },
        ],
    });
    assert.deepEqual(lbHostNeeds(apiArgs).lb1.ports![0], { protocol: "tcp", port: 6443, what: "apiserver load balancer" }, "the default port");
});
