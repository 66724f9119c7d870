/** `nodes.upgrade.maxUnavailable`: a count of nodes, or a percentage of them. */
import { nodeHosts } from "./hosts";
import type { ClusterSpec } from "./schema";

const PERCENT = /^(\d{1,3})%$/;

/** Why a `maxUnavailable` value is not one, or undefined: a whole number from 1, or a percentage from "1%" to "100%". */
export function maxUnavailableProblem(value: unknown): string | undefined {
    if (typeof value === "number" && Number.isInteger(value) && value >= 1) return undefined;
    const percent = typeof value === "string" ? PERCENT.exec(value) : null;
    if (percent && Number(percent[1]) >= 1 && Number(percent[1]) <= 100) return undefined;
    return 'is not a whole number of nodes (1 or more) or a percentage of them from "1%" to "100%"';
}

/**
 * How many nodes drain at once: the count, or the percentage of the node hosts rounded down and
 * at least one (as a Deployment's maxUnavailable and kubespray's `serial` round). A percentage
 * follows the node count, so adding nodes can raise it.
 */
export function upgradeSlotCount(spec: Pick<ClusterSpec, "hosts" | "controlPlane" | "nodes">): number {
    const asked = spec.nodes.upgrade.maxUnavailable;
    if (typeof asked === "number") return asked;
    const percent = Number(PERCENT.exec(asked)![1]);
    return Math.max(1, Math.floor((nodeHosts(spec).length * percent) / 100));
}
