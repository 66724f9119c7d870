// The testbed refuses to start hosts on a disk their kubelets would find under pressure.
import { test } from "node:test";
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { diskPressureProblem, HOSTS_HEADROOM_BYTES } from "../../support/testbed/disk";

const GIB = 2 ** 30;
/** A filesystem of `sizeGib` with `freeGib` available to unprivileged writers, in 4 KiB blocks. */
const disk = (sizeGib: number, freeGib: number) => () => ({ bsize: 4096, blocks: (sizeGib * GIB) / 4096, bavail: (freeGib * GIB) / 4096 });

test("a disk with 15% free plus the hosts' headroom passes; one block less is refused", () => {
    const headroom = HOSTS_HEADROOM_BYTES / GIB;
    assert.equal(diskPressureProblem("/tmp", disk(200, 30 + headroom)), undefined);
    const refused = diskPressureProblem("/tmp", () => ({ bsize: 4096, blocks: (200 * GIB) / 4096, bavail: ((30 + headroom) * GIB) / 4096 - 1 }));
    assert.ok(refused, "one block under the threshold is refused");
});

test("the refusal names the directory, the free space, the kubelet's threshold and the way out", () => {
    // The cold CI run of stop 20: 27 GB of 252 free, every test node tainted disk-pressure.
    const said = diskPressureProblem("/tmp", disk(252, 27));
    assert.equal(
        said,
        "/tmp has 27.0 GiB free of 252.0 GiB (10.7%). The test hosts keep their disks there, and their kubelets taint every node " +
            "disk-pressure below 15% free: pods would stay Pending. Free 14.8 GiB (15% plus 4.0 GiB for the hosts' own writes), " +
            "or set TMPDIR to a directory on a roomier filesystem.",
    );
});

test("the machine's own temporary directory is measured when no directory is given", () => {
    const asked: string[] = [];
    diskPressureProblem(undefined, (path) => (asked.push(path), { bsize: 4096, blocks: 1000, bavail: 1000 }));
    assert.deepEqual(asked, [tmpdir()]);
});
