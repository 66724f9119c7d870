import * as pulumi from "@pulumi/pulumi";

/** One problem found in a component's Args or a cluster spec. */
export interface Issue {
    /** Where, as a property path relative to the Args (or the `cluster` config key), e.g. `hosts[2].address`. */
    path: string;
    /** What is wrong. */
    message: string;
    /** How to fix it. */
    hint: string;
}

/** `path: message (fix: hint)` on one line. */
export function formatIssue(issue: Issue): string {
    return `  - ${issue.path || "(root)"}: ${issue.message} (fix: ${issue.hint})`;
}

/**
 * The error a component throws for invalid Args: every problem at once, formatted like the spec's,
 * attached to the component so the engine names its URN.
 */
export function argsError(component: pulumi.Resource, kind: string, name: string, issues: Issue[]): pulumi.ResourceError {
    const count = issues.length === 1 ? "1 problem" : `${issues.length} problems`;
    return new pulumi.ResourceError([`${kind} ${name}: invalid arguments, ${count}`, ...issues.map(formatIssue)].join("\n"), component);
}
