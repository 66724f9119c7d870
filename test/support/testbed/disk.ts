import { statfsSync } from "node:fs";
import { tmpdir } from "node:os";

/**
 * The kubelet's default hard eviction threshold for the image filesystem (`imagefs.available<15%`;
 * nodefs's is 10%). A host's disk is its overlay upper layer and its /var/lib/containerd, both in
 * the testbed's directory on this machine, so every host's kubelet sees that filesystem.
 */
export const KUBELET_IMAGEFS_EVICTION_PERCENT = 15;

/** What one run's hosts write there (releases, images, etcd data, logs): the threshold must hold after it. */
export const HOSTS_HEADROOM_BYTES = 4 * 2 ** 30;

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * Why hosts kept in `dir` (the testbed's state directories are made in the temporary directory)
 * would run out of disk, or undefined. Below the threshold every kubelet
 * taints its node disk-pressure: pods stay Pending and a deploy fails minutes later waiting for
 * CoreDNS, far from the cause; said before anything starts, it names the cause and the way out.
 */
export function diskPressureProblem(
    dir: string = tmpdir(),
    statfs: (path: string) => { bsize: number; blocks: number; bavail: number } = statfsSync,
): string | undefined {
    const { bsize, blocks, bavail } = statfs(dir);
    const size = blocks * bsize;
    const free = bavail * bsize;
    const needed = (size * KUBELET_IMAGEFS_EVICTION_PERCENT) / 100 + HOSTS_HEADROOM_BYTES;
    if (free >= needed) return undefined;
    return (
        `${dir} has ${gib(free)} free of ${gib(size)} (${((free / size) * 100).toFixed(1)}%). The test hosts keep their disks there, ` +
        `and their kubelets taint every node disk-pressure below ${KUBELET_IMAGEFS_EVICTION_PERCENT}% free: pods would stay Pending. ` +
        `Free ${gib(needed - free)} (${KUBELET_IMAGEFS_EVICTION_PERCENT}% plus ${gib(HOSTS_HEADROOM_BYTES)} for the hosts' own writes), ` +
        `or set TMPDIR to a directory on a roomier filesystem.`
    );
}
