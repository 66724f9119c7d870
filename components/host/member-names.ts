/** The name check of one member of a list of hosts (control-plane members, etcd members), shared by the plans that take such a list. */
import type { Issue } from "./issues";
import { HOST_NAME_LABEL } from "./value-checks";

/** How a plan speaks of its members in the hints: what the name becomes, and what one member is. */
export interface MemberWords {
    /** What the name is used as, e.g. "names the node and is a certificate name". */
    role: string;
    /** One member, e.g. "control-plane host". */
    host: string;
}

/**
 * The issue with `names[i]` at `members[i].name`, or undefined: it must be a lower-case DNS label
 * ({@link HOST_NAME_LABEL}) and not one listed before it.
 */
export function memberNameIssue(names: readonly string[], i: number, words: MemberWords): Issue | undefined {
    const path = `members[${i}].name`;
    const name = names[i];
    if (!HOST_NAME_LABEL.test(name)) {
        return { path, message: `"${name}" is not a lower-case DNS label`, hint: `use letters, digits, '-' and '.': it ${words.role}` };
    }
    if (names.indexOf(name) !== i) return { path, message: `"${name}" is listed more than once`, hint: `give every ${words.host} its own name` };
    return undefined;
}
