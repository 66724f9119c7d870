// A host whose processes sit in a frozen cgroup, as runc leaves a container it was killed while
// updating: a power cut and the testbed's stop must still end them and remove every cgroup.
import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import { test } from "node:test";
import { requireTestbed, startTestbed } from "../support/testbed";

test("testbed: frozen processes do not outlive their host", { timeout: 3 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const testbed = await startTestbed({ hosts: ["f1"] });
    t.after(() => testbed.stop());
    // The probe as the machine sees it: cgroup.procs lists PIDs in the reader's namespace.
    const probe = `/sys/fs/cgroup/freezer/k8s-binary-bench-${testbed.instance}/f1/frozen-probe`;
    const freeze = async (): Promise<number> => {
        const r = await testbed.exec(
            "f1",
            [
                "set -euo pipefail",
                "probe=/sys/fs/cgroup/freezer/frozen-probe",
                "mkdir -p $probe",
                "setsid sleep 1000 </dev/null >/dev/null 2>&1 &",
                // Frozen before it has let go of this shell's stdout, it would hold exec's pipe open.
                'pid=$!; until [ "$(cat /proc/$pid/comm)" = sleep ]; do :; done',
                "echo $pid > $probe/cgroup.procs",
                "echo FROZEN > $probe/freezer.state",
            ].join("\n"),
            { timeoutMs: 30_000 },
        );
        assert.equal(r.code, 0, r.stderr);
        const deadline = Date.now() + 10_000;
        while (readFileSync(`${probe}/freezer.state`, "utf8").trim() !== "FROZEN") {
            assert.ok(Date.now() < deadline, "the probe cgroup froze");
            await new Promise((resolve) => setTimeout(resolve, 50));
        }
        const pid = Number(readFileSync(`${probe}/cgroup.procs`, "utf8").trim());
        assert.match(readFileSync(`/proc/${pid}/status`, "utf8"), /^State:\s+D/m, "a frozen process is running");
        return pid;
    };

    const beforeKill = await freeze();
    await testbed.killHost("f1");
    assert.equal(existsSync(`/proc/${beforeKill}`), false, "killHost ended the frozen process");
    await testbed.bootHost("f1");

    await freeze();
    await testbed.stop();
    // The hierarchies where this process's own cgroup is the root (memory nests it deeper).
    const hierarchies = ["freezer", "cpu", "pids", "unified"];
    const left = hierarchies.filter((h) => existsSync(`/sys/fs/cgroup/${h}/k8s-binary-bench-${testbed.instance}`));
    assert.deepEqual(left, [], "stop removed the instance's cgroups in every hierarchy");
});
