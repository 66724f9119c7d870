import { test } from "node:test";
import assert from "node:assert/strict";
import type { NginxKeepalivedLBArgs } from "../../../components/lb/args";
import { planLB, restartOrder } from "../../../components/lb/plan";
import { renderNginxConfig, renderNginxUnit } from "../../../components/lb/render-nginx";
import { renderKeepalivedConfig, renderKeepalivedUnit } from "../../../components/lb/render-keepalived";
import { renderPackageInstallScript } from "../../../components/lb/render-packages";

const lbHost = (name: string, address: string, extra: object = {}) => ({
    host: { name, address, connection: { host: address } },
    ...extra,
});

function args(over: Partial<NginxKeepalivedLBArgs> = {}): NginxKeepalivedLBArgs {
    return {
        hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14")],
        vip: "10.0.0.100",
        interface: "eth0",
        virtualRouterId: 51,
        backends: ["10.0.0.11:6443", "10.0.0.12:6443"],
        ...over,
    };
}

function validPlan(a: NginxKeepalivedLBArgs) {
    const { plan, issues } = planLB(a);
    assert.deepEqual(issues, []);
    return plan!;
}

/** The issues planLB finds, as "path: message". */
const problems = (a: NginxKeepalivedLBArgs) => planLB(a).issues.map((i) => `${i.path}: ${i.message}`);

test("planLB derives priorities and roles from host order, with documented defaults", () => {
    const plan = validPlan(args({ hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14"), lbHost("lb3", "10.0.0.15")] }));
    assert.deepEqual(
        plan.hosts.map((h) => [h.host.name, h.role, h.priority]),
        [
            ["lb1", "MASTER", 150],
            ["lb2", "BACKUP", 140],
            ["lb3", "BACKUP", 130],
        ],
    );
    assert.deepEqual(plan.hosts[1].peers, ["10.0.0.13", "10.0.0.15"]);
    assert.equal(plan.listenPort, 6443);
    assert.equal(plan.maxFails, 2);
    assert.equal(plan.failTimeoutSeconds, 10);
    assert.equal(plan.connectTimeoutSeconds, 2);
    assert.equal(plan.preempt, true);
    assert.equal(plan.unicast, false);
    assert.equal(plan.advertIntervalSeconds, 1);
    assert.deepEqual(
        restartOrder(plan).map((h) => h.host.name),
        ["lb3", "lb2", "lb1"],
        "BACKUPs first, MASTER last",
    );
});

test("planLB takes given priorities: the highest becomes MASTER wherever it is listed", () => {
    const plan = validPlan(args({ hosts: [lbHost("lb1", "10.0.0.13", { priority: 90 }), lbHost("lb2", "10.0.0.14", { priority: 200, interface: "ens4" })] }));
    assert.deepEqual(
        plan.hosts.map((h) => [h.host.name, h.role, h.priority, h.interface]),
        [
            ["lb2", "MASTER", 200, "ens4"],
            ["lb1", "BACKUP", 90, "eth0"],
        ],
    );
});

test("planLB names each bad field by its path in the Args, with a hint", () => {
    const cases: [Partial<NginxKeepalivedLBArgs>, string, RegExp][] = [
        [{ hosts: [lbHost("lb1", "10.0.0.13")] }, "hosts", /two or more hosts/],
        [{ vip: "10.0.0.300" }, "vip", /"10.0.0.300" is not an IPv4 address/],
        [{ vip: "10.0.0.13" }, "vip", /10.0.0.13 is the address of hosts\[0\]/],
        [{ virtualRouterId: 256 }, "virtualRouterId", /must be an integer in 1..255, got 256/],
        [{ virtualRouterId: 0 }, "virtualRouterId", /1..255/],
        [{ interface: "eth0 x" }, "interface", /is not a network interface name/],
        [{ listenPort: 70000 }, "listenPort", /1..65535/],
        [{ backends: [] }, "backends", /at least one backend/],
        [{ backends: ["10.0.0.11"] }, "backends[0]", /is not IPv4 address:port/],
        [{ backends: ["10.0.0.11:99999"] }, "backends[0]", /port 99999 is not in 1..65535/],
        [{ backends: ["127.0.0.1:6443"] }, "backends[0]", /loopback/],
        [{ backends: ["10.0.0.11:6443", "10.0.0.11:6443"] }, "backends[1]", /is also backends\[0\]/],
        [{ backends: ["10.0.0.100:6443"] }, "backends[0]", /points at the vip/],
        [{ hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb1", "10.0.0.14")] }, "hosts[1].host.name", /"lb1" is also the name of hosts\[0\]/],
        [{ hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.13")] }, "hosts[1].host.address", /is also the address of hosts\[0\]/],
        [{ hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14", { interface: "e;x" })] }, "hosts[1].interface", /not a network interface name/],
        [
            { hosts: [lbHost("lb1", "10.0.0.13", { priority: 100 }), lbHost("lb2", "10.0.0.14", { priority: 100 })] },
            "hosts[1].priority",
            /100 is also the priority of hosts\[0\]/,
        ],
        [{ hosts: [lbHost("lb1", "10.0.0.13", { priority: 140 }), lbHost("lb2", "10.0.0.14")] }, "hosts[1].priority", /140 \(the default for position 1\)/],
        [{ hosts: [lbHost("lb1", "10.0.0.13", { priority: 255 }), lbHost("lb2", "10.0.0.14")] }, "hosts[0].priority", /1..254/],
        [{ maxFails: -1 }, "maxFails", /0..1000/],
        [{ connectTimeoutSeconds: 0.5 }, "connectTimeoutSeconds", /got 0.5/],
        [{ failTimeoutSeconds: 0 }, "failTimeoutSeconds", /1..3600/],
        [{ advertIntervalSeconds: 256 }, "advertIntervalSeconds", /1..255/],
    ];
    for (const [over, path, message] of cases) {
        const { plan, issues } = planLB(args(over));
        assert.equal(plan, undefined, JSON.stringify(over));
        assert.equal(issues.length, 1, `exactly one issue for ${JSON.stringify(over)}: ${JSON.stringify(issues)}`);
        assert.equal(issues[0].path, path, JSON.stringify(over));
        assert.match(issues[0].message, message, JSON.stringify(over));
        assert.ok(issues[0].hint.length > 0, "every issue says how to fix it");
    }
});

test("planLB collects every problem at once instead of stopping at the first", () => {
    assert.deepEqual(
        problems(
            args({
                hosts: [lbHost("lb1", "10.0.0.13"), lbHost("lb2", "10.0.0.14", { interface: "bad if" })],
                vip: "10.0.0.999",
                virtualRouterId: 0,
                backends: ["10.0.0.11:6443", "nonsense"],
                listenPort: 0,
                maxFails: -1,
            }),
        ),
        [
            'vip: "10.0.0.999" is not an IPv4 address in dotted-quad form',
            "virtualRouterId: must be an integer in 1..255, got 0",
            "listenPort: must be an integer in 1..65535, got 0",
            "hosts[1].interface: \"bad if\" is not a network interface name (1-15 letters, digits, '_', '.', '-')",
            'backends[1]: "nonsense" is not IPv4 address:port',
            "maxFails: must be an integer in 0..1000, got -1",
        ],
    );
});

test("planLB refuses a listen port that an apiserver on an LB host already binds, and accepts another port", () => {
    const colocated = args({ backends: ["10.0.0.13:6443", "10.0.0.14:6443"] });
    const { issues } = planLB(colocated);
    assert.deepEqual(
        issues.map((i) => i.path),
        ["listenPort", "listenPort"],
        "one per colliding apiserver",
    );
    assert.equal(issues[0].message, "6443 collides with the apiserver backends[0] (10.0.0.13:6443) on LB host lb1: both would bind 6443 there");
    assert.match(issues[0].hint, /set listenPort to a free port \(e.g. 8443\)/);
    assert.equal(validPlan({ ...colocated, listenPort: 8443 }).listenPort, 8443);
});

test("renderNginxConfig: a stream proxy to every backend with the tuning, an access log, own pid file", () => {
    const plan = validPlan(args({ maxFails: 3, failTimeoutSeconds: 30, connectTimeoutSeconds: 5, listenPort: 8443 }));
    const conf = renderNginxConfig(plan);
    assert.match(conf, /include \/etc\/nginx\/modules-enabled\/\*\.conf;/, "Debian's stream module snippet is loaded");
    assert.match(conf, /server 10\.0\.0\.11:6443 max_fails=3 fail_timeout=30s;\n\s+server 10\.0\.0\.12:6443 max_fails=3 fail_timeout=30s;/);
    assert.match(conf, /listen 8443 so_keepalive=on;/);
    assert.match(conf, /proxy_connect_timeout 5s;/);
    assert.match(conf, /access_log \/var\/log\/nginx\/k8s-apiserver-lb\.access\.log k8s_apiserver_lb;/);
    assert.match(conf, /pid \/run\/k8s-apiserver-lb\.pid;/, "never the distribution nginx's /run/nginx.pid");
    assert.doesNotMatch(conf, /\bhttp\s*\{/, "L4 only");
    assert.equal(
        renderNginxConfig(validPlan(args({ maxFails: 3, failTimeoutSeconds: 30, connectTimeoutSeconds: 5, listenPort: 8443 }))),
        conf,
        "deterministic",
    );
});

test("renderNginxUnit validates before start and before reload, reloads by SIGHUP", () => {
    const unit = renderNginxUnit();
    assert.match(unit, /ExecStartPre=\/usr\/sbin\/nginx -t -q -c \/etc\/k8s-binary\/lb\/nginx.conf/);
    assert.match(unit, /ExecReload=\/usr\/sbin\/nginx -t -q -c \/etc\/k8s-binary\/lb\/nginx.conf\nExecReload=\/bin\/kill -s HUP \$MAINPID/);
    assert.match(unit, /Restart=on-failure/);
});

test("renderKeepalivedConfig: MASTER and BACKUP, VIP on the interface, track script, script security, auth", () => {
    const plan = validPlan(args());
    const master = renderKeepalivedConfig(plan, plan.hosts[0], "Ab3dEf7h");
    const backup = renderKeepalivedConfig(plan, plan.hosts[1], "Ab3dEf7h");
    assert.match(master, /state MASTER\n\s+interface eth0\n\s+virtual_router_id 51\n\s+priority 150\n\s+advert_int 1\n/);
    assert.match(backup, /state BACKUP[\s\S]*priority 140/);
    assert.match(master, /router_id lb1/);
    assert.match(master, /enable_script_security/);
    assert.match(master, /script "\/usr\/bin\/systemctl is-active --quiet k8s-apiserver-lb.service"/);
    assert.match(master, /track_script \{\n\s+check_nginx\n\s+\}/);
    assert.doesNotMatch(master, /weight/, "no weight: a failed check means FAULT, whatever the priorities");
    assert.match(master, /auth_type PASS\n\s+auth_pass Ab3dEf7h\n/);
    assert.match(master, /10\.0\.0\.100\/32 dev eth0/);
    assert.doesNotMatch(master, /unicast|nopreempt/);
});

test("renderKeepalivedConfig: unicast peers and nopreempt (every host starts BACKUP then)", () => {
    const plan = validPlan(args({ unicast: true, preempt: false }));
    const master = renderKeepalivedConfig(plan, plan.hosts[0], "x");
    assert.match(master, /unicast_src_ip 10\.0\.0\.13\n\s+unicast_peer \{\n\s+10\.0\.0\.14\n\s+\}/);
    assert.match(master, /state BACKUP[\s\S]*priority 150[\s\S]*nopreempt/);
});

test("renderKeepalivedConfig refuses an auth secret keepalived would cut or misparse", () => {
    const plan = validPlan(args());
    assert.throws(() => renderKeepalivedConfig(plan, plan.hosts[0], "123456789"), /1-8 letters or digits/);
    assert.throws(() => renderKeepalivedConfig(plan, plan.hosts[0], "ab#cd"), /1-8 letters or digits/);
});

test("renderKeepalivedUnit removes a VIP left behind by a killed keepalived and restarts it", () => {
    const plan = validPlan(args({ hosts: [lbHost("lb1", "10.0.0.13", { interface: "ens3" }), lbHost("lb2", "10.0.0.14")] }));
    const unit = renderKeepalivedUnit(plan, plan.hosts[0]);
    assert.match(unit, /ExecStopPost=-ip address del 10\.0\.0\.100\/32 dev ens3/);
    assert.match(unit, /Restart=always\nRestartSec=1/);
    assert.match(unit, /Type=notify\n.*\nNotifyAccess=all/);
    assert.match(unit, /--vrrp .*--use-file=\/etc\/k8s-binary\/lb\/keepalived.conf/);
    assert.match(renderKeepalivedUnit(plan, plan.hosts[1]), /dev eth0/);
});

test("the package script checks dpkg or rpm before any package manager runs", () => {
    const script = renderPackageInstallScript();
    assert.match(script, /for p in keepalived libnginx-mod-stream nginx; do\n\s+dpkg-query/);
    assert.match(script, /for p in keepalived nginx nginx-mod-stream; do rpm -q/);
    assert.ok(script.indexOf("dpkg-query") < script.indexOf("apt-get install"));
    assert.match(script, /if \[ \$\{#missing\[@\]\} -gt 0 \]; then\n\s+export DEBIAN_FRONTEND/, "apt-get only when something is missing");
});
