import type { ProviderDiff } from "./diff";
import type { StateResource } from "./state";
import type { PropertyMap } from "./values";

export interface CommandLogEntry {
    urn: string;
    /** The SSH host the command ran on, or "localhost" for local commands. */
    host: string;
    phase: "create" | "update" | "delete";
    /** The command as sent; for CopyToRemote `sftp put <source> <remotePath>`. */
    commandLine: string;
    /** null when the command never ran to an exit status (connection or setenv failure). */
    exitCode: number | null;
    durationMs: number;
    /** What the provider would have streamed to the Pulumi log under the resource's `logging`, with its warnings. */
    logged: string;
}

export interface StepContext {
    urn: string;
    name: string;
    /** Records a command that ran (or was attempted) for this step. */
    record(entry: Omit<CommandLogEntry, "urn">): void;
}

/** What a provider performs for one resource type. */
export interface Provider {
    create(ctx: StepContext, inputs: PropertyMap): Promise<{ id: string; outputs: PropertyMap }>;
    update(ctx: StepContext, old: StateResource, inputs: PropertyMap): Promise<PropertyMap>;
    delete(ctx: StepContext, old: StateResource): Promise<void>;
    diff: ProviderDiff;
    /** Replacement the provider plans without any input change (a certificate due for renewal). */
    forceReplace?(old: StateResource): boolean;
    /** Outputs computed by the provider: unknown in the preview of a create or replace. */
    computed: string[];
}

/** Everything not performed here: inputs become outputs, nothing runs. */
export const recordOnly: Provider = {
    create: async (_ctx, inputs) => ({ id: "", outputs: inputs }),
    update: async (_ctx, _old, inputs) => inputs,
    delete: async () => undefined,
    diff: () => "update",
    computed: [],
};
