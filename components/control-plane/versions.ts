/** Which Kubernetes versions the control plane configures: one rule for the component and the stack checks. */

/**
 * The oldest minor the component configures: the scheduler's configuration API v1 arrived in
 * 1.25; every flag it writes is older (the tool-checks run them against the toolchain's binaries).
 */
export const OLDEST_CONTROL_PLANE_MINOR = 25;
/** The newest minor the rendered flags were checked against (the toolchain's Kubernetes). */
export const NEWEST_CHECKED_MINOR = 37;

/** What is wrong (`error`) or doubtful (`warning`) about running this control-plane version; undefined when it is configured as is. */
export function controlPlaneVersionProblem(major: number, minor: number): { level: "error" | "warning"; message: string; hint: string } | undefined {
    if (major !== 1 || minor < OLDEST_CONTROL_PLANE_MINOR)
        return {
            level: "error",
            message: `is older than 1.${OLDEST_CONTROL_PLANE_MINOR}, the oldest control plane this project configures (its scheduler configuration API v1 arrived in 1.${OLDEST_CONTROL_PLANE_MINOR})`,
            hint: `use 1.${OLDEST_CONTROL_PLANE_MINOR} or newer`,
        };
    if (minor > NEWEST_CHECKED_MINOR)
        return {
            level: "warning",
            message: `is newer than 1.${NEWEST_CHECKED_MINOR}, the newest release the control plane's flags were checked against`,
            hint: "review the rendered flags (npm run render) before deploying",
        };
    return undefined;
}
