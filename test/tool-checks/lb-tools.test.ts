import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import type { NginxKeepalivedLBArgs } from "../../components/lb/args";
import { planLB } from "../../components/lb/plan";
import { NGINX_CONF_PATH, renderNginxConfig, renderNginxUnit } from "../../components/lb/render-nginx";
import { KEEPALIVED_CONF_PATH, renderKeepalivedConfig, renderKeepalivedUnit } from "../../components/lb/render-keepalived";
import { renderPackageInstallScript } from "../../components/lb/render-packages";

/*
 * The rendered configs checked by the real tools, inside a test host: `nginx -t` opens the log
 * and pid paths named in the file, `keepalived -t` checks the track script's binary, both on the
 * machine they run on. The host's root is a copy-on-write of this machine's, so the packages are
 * the ones the integration tests use.
 */

const HOST = "lbrender";
let testbed: Testbed | undefined;

before(async () => {
    if (!requireTestbed({ skip: () => undefined })) return;
    testbed = await startTestbed({ hosts: [HOST] });
    // keepalived -t checks that every interface named exists: give the host the one a variant overrides.
    const r = await testbed.exec(HOST, "ip link add ens3 type veth peer name ens3-peer");
    assert.equal(r.code, 0, r.stderr);
});
after(async () => {
    await testbed?.stop();
});

const lbHost = (name: string, address: string, extra: object = {}) => ({
    host: { name, address, connection: { host: address } },
    ...extra,
});
const variants: Record<string, NginxKeepalivedLBArgs> = {
    defaults: {
        hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14")],
        vip: "10.0.0.100",
        interface: "eth0",
        virtualRouterId: 51,
        backends: ["10.0.0.11:6443", "10.0.0.12:6443"],
    },
    tunedUnicastNoPreempt: {
        hosts: [lbHost("lb1", "10.0.0.13", { priority: 200, interface: "ens3" }), lbHost("lb2", "10.0.0.14"), lbHost("lb3", "10.0.0.15")],
        vip: "10.0.0.100",
        interface: "eth0",
        virtualRouterId: 7,
        listenPort: 8443,
        backends: ["10.0.0.13:6443", "10.0.0.14:6443", "10.0.0.15:6443"],
        maxFails: 0,
        failTimeoutSeconds: 30,
        connectTimeoutSeconds: 5,
        unicast: true,
        preempt: false,
        advertIntervalSeconds: 2,
    },
};

function validPlan(args: NginxKeepalivedLBArgs) {
    const { plan, issues } = planLB(args);
    assert.deepEqual(issues, []);
    return plan!;
}

async function inHost(t: { skip(m?: string): void }, command: string, input?: string) {
    if (!testbed) {
        t.skip("no testbed on this machine");
        return undefined;
    }
    return testbed.exec(HOST, command, { input });
}

for (const [name, args] of Object.entries(variants)) {
    const plan = validPlan(args);

    test(`nginx -t accepts the ${name} config`, async (t) => {
        const r = await inHost(t, `mkdir -p /etc/k8s-binary/lb && cat > ${NGINX_CONF_PATH} && nginx -t -c ${NGINX_CONF_PATH}`, renderNginxConfig(plan));
        if (!r) return;
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stderr, /test is successful/);
    });

    for (const self of plan.hosts) {
        test(`keepalived -t accepts the ${name} config of ${self.host.name} (${self.role})`, async (t) => {
            const conf = renderKeepalivedConfig(plan, self, "Ab3dEf7h");
            const r = await inHost(
                t,
                `mkdir -p /etc/k8s-binary/lb && (umask 077 && cat > ${KEEPALIVED_CONF_PATH}) && keepalived -t -f ${KEEPALIVED_CONF_PATH}`,
                conf,
            );
            if (!r) return;
            assert.equal(r.code, 0, r.stderr);
            assert.equal(r.stderr.trim(), "", "no warnings either (script security, nopreempt with state)");
        });
    }

    test(`systemd-analyze verify accepts the ${name} units`, async (t) => {
        const units = {
            "k8s-apiserver-lb.service": renderNginxUnit(),
            "k8s-apiserver-vip.service": renderKeepalivedUnit(plan, plan.hosts[0]),
        };
        for (const [unit, text] of Object.entries(units)) {
            const r = await inHost(t, `mkdir -p /tmp/units && cat > /tmp/units/${unit} && systemd-analyze verify /tmp/units/${unit}`, text);
            if (!r) return;
            assert.equal(r.code, 0, `${unit}: ${r.stderr}`);
            assert.equal(r.stderr.trim(), "", `${unit}: no warnings (typos only warn)`);
        }
    });
}

test("the validators do reject broken configs (the checks above can fail)", async (t) => {
    const plan = validPlan(variants.defaults);
    const badNginx = renderNginxConfig(plan).replace("proxy_pass kube_apiservers;", "proxy_pass kube_apiservers");
    const r1 = await inHost(t, `cat > /tmp/bad-nginx.conf && nginx -t -c /tmp/bad-nginx.conf`, badNginx);
    if (!r1) return;
    assert.notEqual(r1.code, 0);
    const noStreamModule = renderNginxConfig(plan).replace(/^include .*\n/gm, "");
    const r2 = await inHost(t, `cat > /tmp/nostream.conf && nginx -t -c /tmp/nostream.conf`, noStreamModule);
    assert.notEqual(r2!.code, 0, "without the module snippet, stream is unknown: the includes matter");
    assert.match(r2!.stderr, /unknown directive "stream"/);
    const badKeepalived = renderKeepalivedConfig(plan, plan.hosts[0], "Ab3dEf7h").replace("virtual_router_id 51", "virtual_router_id 300");
    const r3 = await inHost(t, `cat > /tmp/bad-keepalived.conf && keepalived -t -f /tmp/bad-keepalived.conf`, badKeepalived);
    assert.notEqual(r3!.code, 0);
});

test("the package step finds everything installed and runs no package manager, quickly", async (t) => {
    const started = Date.now();
    const r = await inHost(t, `set -euo pipefail\n${renderPackageInstallScript()}`);
    if (!r) return;
    const ms = Date.now() - started;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /packages: 0 installed \(none missing\), 3 wanted/);
    console.log(`package check on a prepared host: ${ms} ms`);
    assert.ok(ms < 5000, `took ${ms} ms`);
});
