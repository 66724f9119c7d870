// The `nodes` section of a stack for testbed hosts: the settings they need and the images they
// import from the mirror (they reach no registry).
import type { ImageRecord } from "./node-runtime";

/**
 * Hybrid cgroups, no CAP_SYS_RESOURCE, a read-only nf_conntrack_max (each node's preflight names
 * them; test/support/testbed/README.md says why), and `images` from the mirror at `base`.
 */
export function testbedNodes(images: readonly ImageRecord[], base: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
    return {
        cgroupV1: true,
        restrictOomScoreAdj: true,
        conntrackMaxPerCore: 0,
        ...extra,
        images: images.map((i) => ({ ref: i.ref, file: i.file, sha256: i.sha256, digest: i.digest, baseUrl: `${base}/images` })),
    };
}
