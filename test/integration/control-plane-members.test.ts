// Adding and removing a control-plane host by a change of the stack (issue #14 §4). The program
// (index.ts) deploys cp1 and cp2 (etcd and the control plane each) behind nginx + keepalived on lb1
// and lb2 with a VIP; then the stack adds cp3 with the same roles, drops cp1, and adds cp1 back.
// While each `up` runs, a client polls the API through the VIP. Proved: cp3 joins etcd and serves,
// nginx gets it as an upstream, and only what must change does (certificate serials and service
// start times of every host, before and after); cp1 leaves etcd before its etcd stops and leaves
// nginx before its apiserver stops, its services and files go, the rest stays healthy; cp1 added
// back joins as a new member despite the etcd data it kept; a second `up` is a no-op.
import { test } from "node:test";
import assert from "node:assert/strict";
import { join } from "node:path";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { checkedExec, localControlPlaneBinaries, programConfig, testbedHost } from "../support/testbed-stack";
import { runProgram, type RunResult } from "../support/engine";
import { apiGet, credentialsOf, startApiPoller, type PollReport } from "../support/api-poller";

const PROGRAM = join(__dirname, "../../index.ts");
const HOSTS = ["cp1", "cp2", "cp3", "lb1", "lb2"];
const UNITS: Record<string, string[]> = {
    cp: ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler"],
    lb: ["k8s-apiserver-lb", "k8s-apiserver-vip"], // nginx, keepalived
};
const unitsOf = (h: string) => (h.startsWith("lb") ? UNITS.lb : UNITS.cp);
/** Every certificate file a host may hold (PEM with one certificate first). */
const CERT_DIRS = "/etc/kubernetes /etc/etcd";

test("control-plane hosts are added and removed by a change of the stack", async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-cp-members-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const testbed: Testbed = await startTestbed({ hosts: HOSTS });
    t.after(() => testbed.stop());
    const vip = testbed.address(100);
    const host = (name: string, roles: string[]) => testbedHost(testbed, name, roles);
    const binaries = localControlPlaneBinaries();
    const spec = (controlPlane: string[], initialMembers: string[]) => ({
        name: "testbed",
        hosts: [...controlPlane.map((h) => host(h, ["etcd", "control-plane"])), host("lb1", ["lb"]), host("lb2", ["lb"])],
        ssh: { user: "root" },
        binaries,
        network: { hostSubnets: [testbed.subnet], podCidr: testbed.podCidr, serviceCidr: testbed.serviceCidr },
        loadBalancer: { vip, interface: "eth0", virtualRouterId: 79 },
        // The members that started etcd: kept as they were while others join (docs/etcd-membership.md).
        etcd: { initialMembers },
        controlPlane: { registerNodes: false },
    });
    const stateFile = join(work, "state.json");
    const up = async (label: string, controlPlane: string[], initialMembers: string[]) => {
        const started = Date.now();
        const result = await runProgram({
            program: PROGRAM,
            stateFile,
            config: programConfig(testbed, spec(controlPlane, initialMembers)),
        });
        console.log(`${label}: ${result.commandLog.length} remote commands in ${Date.now() - started} ms`);
        return result;
    };
    const exec = checkedExec(testbed);
    // "<path> <serial>" per certificate file of every host.
    const serials = async () => {
        const out: Record<string, string> = {};
        for (const h of HOSTS) {
            const listed = await exec(
                h,
                `for f in $(find ${CERT_DIRS} -name '*.crt' -o -name '*.pem' 2>/dev/null | sort); do ` +
                    `s=$(openssl x509 -noout -serial -in "$f" 2>/dev/null) && echo "$f $s"; done; true`,
            );
            for (const line of listed.split("\n").filter(Boolean)) {
                const [path, serial] = line.split(" ");
                out[`${h}:${path}`] = serial;
            }
        }
        return out;
    };
    // Monotonic start times (the test hosts share one kernel); 0 for a unit that does not run. A
    // reload keeps the main process, so it keeps its start time.
    const startTimes = async () => {
        const out: Record<string, number> = {};
        for (const h of HOSTS)
            for (const u of unitsOf(h)) out[`${h}/${u}`] = Number(await exec(h, `systemctl show -p ExecMainStartTimestampMonotonic --value ${u}`));
        return out;
    };
    const changed = (before: Record<string, unknown>, after: Record<string, unknown>) =>
        [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((k) => before[k] !== after[k]).sort();
    const memberList = (h: string) =>
        exec(h, "set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=https://127.0.0.1:2379 member list -w simple | cut -d, -f2,3 | tr -d ' '").then(
            (out) => out.split("\n").sort(),
        );
    const upstreams = (h: string) => exec(h, "grep -Eo 'server [0-9.]+:6443' /etc/k8s-binary/lb/nginx.conf | sort").then((o) => o.split("\n"));
    const addr = (h: string) => testbed.host(h).address;
    const report = (label: string, p: PollReport) => {
        console.log(
            `${label}: ${p.requests} requests through the VIP, ${p.failures.length} failed, error window ${p.errorWindowMs} ms, slowest ${p.slowestMs} ms`,
        );
        for (const f of p.failures) console.log(`  failed at +${f.at - p.failures[0].at} ms: ${f.error}`);
    };
    const steps = (r: RunResult) => r.commandLog.map((e) => `${e.phase} ${e.urn.replace(/^.*::/, "")}`);

    const first = await up("deploy cp1, cp2", ["cp1", "cp2"], ["cp1", "cp2"]);
    const creds = credentialsOf(first.outputs.adminKubeconfig as string);
    const readyz = async (h: string) => (await apiGet({ ...creds, server: `https://${addr(h)}:6443` }, "/readyz")).status;

    await t.test("the cluster runs on cp1 and cp2; cp3 is idle", async () => {
        assert.deepEqual(await memberList("cp1"), ["started,cp1", "started,cp2"]);
        assert.deepEqual(await upstreams("lb1"), [`server ${addr("cp1")}:6443`, `server ${addr("cp2")}:6443`].sort());
        assert.notEqual((await testbed.exec("cp3", "test -e /etc/kubernetes")).code, 0);
    });

    /** An `up` to another membership while a client polls through the VIP; what it changed on every host. */
    const change = async (label: string, controlPlane: string[], initialMembers: string[]) => {
        const certsBefore = await serials();
        const timesBefore = await startTimes();
        const poller = startApiPoller(creds, "/api/v1/namespaces/kube-system");
        const run = await up(label, controlPlane, initialMembers);
        const polled = await poller.stop();
        report(label, polled);
        const times = await startTimes();
        const result = { run, polled, times, certs: changed(certsBefore, await serials()), restarted: changed(timesBefore, times) };
        console.log(`${label}: certificates changed: ${JSON.stringify(result.certs)}`);
        console.log(`${label}: services (re)started or stopped: ${JSON.stringify(result.restarted)}`);
        return result;
    };

    /** `h` runs a started etcd member beside the others and every control-plane service, answers /readyz, and is an upstream of nginx on both lb hosts. */
    const servesWithAllThree = async (h: string) => {
        assert.deepEqual(await memberList(h), ["started,cp1", "started,cp2", "started,cp3"]);
        for (const u of UNITS.cp) assert.equal(await exec(h, `systemctl is-active ${u}`), "active", `${h} ${u}`);
        assert.equal(await readyz(h), 200);
        for (const lb of ["lb1", "lb2"]) assert.deepEqual(await upstreams(lb), ["cp1", "cp2", "cp3"].map((x) => `server ${addr(x)}:6443`).sort(), lb);
    };

    // Adding cp3.
    const added = await change("add cp3", ["cp1", "cp2", "cp3"], ["cp1", "cp2"]);

    await t.test("cp3 joins etcd and serves; nginx on both lb hosts sends to it", async () => {
        await servesWithAllThree("cp3");
    });

    await t.test("no certificate off cp3 is re-issued", () => {
        assert.deepEqual(
            added.certs.filter((k) => !k.startsWith("cp3:")),
            [],
        );
    });

    await t.test("only the apiservers restart (their --etcd-servers gained cp3), one after the other; etcd, the controllers, nginx and keepalived stay", () => {
        const expected = ["cp1/kube-apiserver", "cp2/kube-apiserver", ...UNITS.cp.map((u) => `cp3/${u}`)].sort();
        assert.deepEqual(added.restarted, expected);
        assert.ok(added.times["cp2/kube-apiserver"] > added.times["cp1/kube-apiserver"], "cp2's apiserver after cp1's");
    });

    await t.test("no request through the VIP failed while cp3 was added", () => {
        assert.ok(added.polled.requests > 100, `${added.polled.requests} requests`);
        assert.deepEqual(added.polled.failures, [], `error window ${added.polled.errorWindowMs} ms`);
    });

    // Removing cp1, made etcd's leader first, so the removal is a leader's: it hands the lead over
    // before it leaves (no election). cp2 is now the member that started the cluster as far as the stack says.
    const etcdctl = "set -a; . /etc/etcd/etcdctl.env; set +a; etcdctl --endpoints=https://127.0.0.1:2379";
    const leads = async (h: string) => {
        const status = await exec(h, `${etcdctl} endpoint status -w json`);
        return /"member_id":(\d+)/.exec(status)![1] === /"leader":(\d+)/.exec(status)![1];
    };
    if (!(await leads("cp1"))) {
        const all = ["cp1", "cp2", "cp3"].map((h) => `https://${addr(h)}:2379`).join(",");
        await exec(
            "cp1",
            `id=$(${etcdctl} member list | awk -F', ' '$3 == "cp1" { print $1 }'); ${etcdctl.replace("https://127.0.0.1:2379", all)} move-leader "$id"`,
        );
    }
    assert.ok(await leads("cp1"), "cp1 leads etcd before its removal");
    const removed = await change("remove cp1", ["cp2", "cp3"], ["cp2"]);
    const log = steps(removed.run);
    console.log(`remove cp1 steps:\n  ${log.join("\n  ")}`);

    await t.test("cp1 leaves etcd before its etcd stops, and nginx before its apiserver stops", () => {
        const at = (re: RegExp) => {
            const i = log.findIndex((s) => re.test(s));
            assert.ok(i >= 0, `a step matching ${re}`);
            return i;
        };
        assert.ok(at(/^delete .*-etcd-cp1-leave$/) < at(/^delete .*-etcd-cp1-etcd-activate$/), "member remove before etcd stops");
        assert.match(removed.run.commandLog[at(/^delete .*-etcd-cp1-leave$/)].logged, /cp1 handed the lead to [0-9a-f]+/);
        const lastReload = Math.max(at(/^update .*-lb1-.*apiserver-lb.*-activate$/), at(/^update .*-lb2-.*apiserver-lb.*-activate$/));
        assert.ok(lastReload < at(/^delete .*-control-plane-cp1-kube-apiserver-activate$/), "nginx reloaded before cp1's apiserver stops");
    });

    await t.test("cp1's services and files are gone; cp2 and cp3 run the cluster", async () => {
        assert.deepEqual(await memberList("cp2"), ["started,cp2", "started,cp3"]);
        for (const u of UNITS.cp) assert.notEqual((await testbed.exec("cp1", `systemctl is-active ${u}`)).stdout.trim(), "active", `cp1 ${u}`);
        const left = `find ${CERT_DIRS} /etc/systemd/system /usr/local/bin -type f \\( -name 'kube*' -o -name 'etcd*' -o -name '*.crt' -o -name '*.key' -o -name '*.pem' \\) 2>/dev/null; true`;
        assert.equal(await exec("cp1", left), "");
        // Nor do its records of the versions and settings it ran with: added again, it starts afresh.
        assert.equal(await exec("cp1", "ls /etc/kubernetes/k8s-binary-versions /etc/kubernetes/k8s-binary-settings 2>&1 | grep -c 'No such file'"), "2");
        console.log(`left on cp1: ${await exec("cp1", `find ${CERT_DIRS} /var/lib/etcd -maxdepth 1 2>/dev/null | tr '\\n' ' '; true`)}`);
        for (const lb of ["lb1", "lb2"]) assert.deepEqual(await upstreams(lb), ["cp2", "cp3"].map((h) => `server ${addr(h)}:6443`).sort(), lb);
        for (const h of ["cp2", "cp3"]) assert.equal(await readyz(h), 200, h);
        assert.equal((await apiGet(creds, "/readyz")).status, 200);
    });

    await t.test("no certificate of cp2, cp3 or the lb hosts is re-issued", () => {
        assert.deepEqual(
            removed.certs.filter((k) => !k.startsWith("cp1:")),
            [],
        );
    });

    await t.test("no request through the VIP failed while cp1 was removed", () => {
        assert.ok(removed.polled.requests > 100, `${removed.polled.requests} requests`);
        assert.deepEqual(removed.polled.failures, [], `error window ${removed.polled.errorWindowMs} ms`);
    });

    // Adding cp1 back: its former etcd data is still there (a removal keeps /var/lib/etcd, in case
    // it is wanted), and etcd started on it would come up as the removed member.
    assert.equal(await exec("cp1", "test -d /var/lib/etcd/member && echo kept"), "kept", "cp1 kept its former etcd data");
    const readded = await change("add cp1 back", ["cp1", "cp2", "cp3"], ["cp2"]);

    await t.test("cp1 added back rejoins etcd as a new member, its former data moved aside, and serves", async () => {
        const joined = readded.run.commandLog.find((e) => /-etcd-cp1-join$/.test(e.urn));
        assert.ok(joined, "cp1's join step ran");
        assert.match(joined.logged, /moved stale etcd data of a former membership to \/var\/lib\/etcd\.removed-\d{8}T\d{6}Z/);
        await servesWithAllThree("cp1");
    });

    await t.test("adding cp1 back re-issues no certificate off cp1 and restarts only the other apiservers", () => {
        assert.deepEqual(
            readded.certs.filter((k) => !k.startsWith("cp1:")),
            [],
        );
        assert.deepEqual(readded.restarted, ["cp2/kube-apiserver", "cp3/kube-apiserver", ...UNITS.cp.map((u) => `cp1/${u}`)].sort());
    });

    await t.test("no request through the VIP failed while cp1 was added back", () => {
        assert.ok(readded.polled.requests > 100, `${readded.polled.requests} requests`);
        assert.deepEqual(readded.polled.failures, [], `error window ${readded.polled.errorWindowMs} ms`);
    });

    await t.test("a second up changes nothing", async () => {
        const again = await up("again", ["cp1", "cp2", "cp3"], ["cp2"]);
        assert.deepEqual(
            again.commandLog.map((e) => e.urn),
            [],
        );
    });
});
