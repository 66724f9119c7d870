/**
 * The settings record on every node (pure): what the network was last deployed with, read back
 * before a change and compared by {@link planFlannelChange}; written again once the change is in.
 */
import { shellQuote } from "../host/connection";
import { formatIssue, type Issue } from "../host/issues";
import { FLANNEL_BACKENDS, FLANNEL_MODES } from "./args";
import { FLANNEL_PATHS } from "./layout";
import { flannelSettings, planFlannelChange, type FlannelSettings } from "./plan";

/** The record's text: the settings as one line of JSON. */
export function renderSettingsRecord(settings: FlannelSettings): string {
    return `${JSON.stringify(flannelSettings(settings))}\n`;
}

/** Bash that prints the record (nothing on a node without one). Reads and drops stdin, which only makes it run again when the settings change. */
export function renderSettingsReadScript(): string {
    return [`cat > /dev/null`, `if [ -f ${FLANNEL_PATHS.settings} ]; then cat ${FLANNEL_PATHS.settings}; fi`].join("\n");
}

/** Bash that writes the record from stdin (temp file and rename); its removal on delete is {@link renderSettingsRemoveScript}. */
export function renderSettingsWriteScript(): string {
    const file = FLANNEL_PATHS.settings;
    return [`mkdir -p "$(dirname ${file})"`, `cat > ${file}.tmp`, `chmod 0644 ${file}.tmp`, `mv -f ${file}.tmp ${file}`].join("\n");
}

/** Bash that removes the record. */
export function renderSettingsRemoveScript(): string {
    return `rm -f ${FLANNEL_PATHS.settings}`;
}

/** The recorded settings in `text`, or undefined when there is no record (a new node or cluster). Throws on a record this code did not write. */
export function parseSettingsRecord(text: string): FlannelSettings | undefined {
    if (text.trim() === "") return undefined;
    const value = JSON.parse(text) as Partial<FlannelSettings>;
    const ok =
        FLANNEL_MODES.includes(value.mode!) &&
        FLANNEL_BACKENDS.includes(value.backend!) &&
        typeof value.podCidr === "string" &&
        Number.isInteger(value.subnetLen);
    if (!ok) throw new Error(`${FLANNEL_PATHS.settings} holds ${text.trim()}, not flannel settings`);
    return value as FlannelSettings;
}

/** The issues of going from a node's record (`recorded`, the read script's output) to `wanted`: none when the node has no record. */
export function settingsChangeIssues(recorded: string, wanted: FlannelSettings): Issue[] {
    const before = parseSettingsRecord(recorded);
    return before === undefined ? [] : planFlannelChange(before, wanted);
}

/**
 * A node's preflight behind the settings check: the preflight itself when the change is allowed,
 * else a script that fails naming each refused change and how to make it (the engine shows a
 * failed step's stderr), so nothing after the step changes on any node.
 */
export function renderGuardedPreflight(component: string, node: string, refused: Issue[], preflight: string): string {
    if (refused.length === 0) return preflight;
    const text = [`FlannelNetwork ${component}: ${node} runs a network this change cannot move to in place:`, ...refused.map(formatIssue)].join("\n");
    return `#!/bin/bash\nprintf '%s\\n' ${shellQuote(text)} >&2\nexit 1\n`;
}
