import { createRequire } from "node:module";
import * as resproto from "@pulumi/pulumi/proto/resource_pb";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import { commandProviders } from "./command";
import { applyIgnoreChanges, decideStep } from "./diff";
import { recordOnly, type CommandLogEntry, type Provider, type StepContext } from "./provider";
import { randomProviders } from "./random";
import { deletionOrder, writeState, type EngineState, type StateResource } from "./state";
import { tlsProviders } from "./tls";
import { decode, encode, equal, parsePath, UNKNOWN, type PropertyMap, type PropertyPath } from "./values";

/* The protobuf runtime the SDK itself loads (a Struct of another copy would not serialise). */
const structproto = createRequire(require.resolve("@pulumi/pulumi"))("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;

export type OperationKind = "create" | "update" | "replace" | "delete" | "same";

export interface Operation {
    urn: string;
    type: string;
    name: string;
    op: OperationKind;
    /** Command lines run for this step, in order (a replacement lists create and delete). */
    commandLines: string[];
    /** Set when the step failed. */
    error?: string;
}

const ROOT_STACK_TYPE = "pulumi:pulumi:Stack";

/** Providers performed by this engine; any other type is recorded only. */
const PROVIDERS: Record<string, Provider> = { ...tlsProviders, ...randomProviders, ...commandProviders };

type Callback = (err: unknown, resp?: unknown) => void;

/**
 * The resource monitor the SDK talks to. Where the SDK's MockMonitor asks a `newResource` mock for
 * outputs, this one diffs against the state file and performs the step, with the whole request at
 * hand (dependencies, parent, deleteBeforeReplace, ignoreChanges, replaceOnChanges,
 * additionalSecretOutputs, retainOnDelete, deletedWith).
 */
export class EngineMonitor extends MockMonitor {
    readonly operations: Operation[] = [];
    readonly commandLog: CommandLogEntry[] = [];
    /** The first failed step: no further resource is registered after it (as the engine does). */
    failure: Error | undefined;
    private announceFailure!: (error: Error) => void;
    /**
     * Settles with the first failed step. The program may then never finish: a resource waiting
     * on the failed step's outputs never registers, so the run ends on this instead.
     */
    readonly failed = new Promise<Error>((resolve) => (this.announceFailure = resolve));
    stackOutputs: { value: PropertyMap; secretPaths: PropertyPath[] } = { value: {}, secretPaths: [] };
    private stackUrn = "";
    private readonly registered = new Set<string>();
    private readonly pending = new Set<Promise<unknown>>();

    constructor(
        private readonly state: EngineState,
        private readonly opts: { stateFile: string; project: string; stack: string; preview: boolean },
    ) {
        super({
            call: () => {
                throw new Error("unreachable: invoke is handled by EngineMonitor");
            },
            newResource: () => {
                throw new Error("unreachable: registration is handled by EngineMonitor");
            },
        });
    }

    /** The engine's URN rule: the parent's qualified type is prefixed, except the root stack's. */
    private urnFor(parent: string, type: string, name: string): string {
        let qualified = type;
        if (parent) {
            const parentType = parent.split("::")[2];
            if (parentType !== ROOT_STACK_TYPE) qualified = `${parentType}$${type}`;
        }
        return `urn:pulumi:${this.opts.stack}::${this.opts.project}::${qualified}::${name}`;
    }

    private save(): void {
        if (!this.opts.preview) writeState(this.opts.stateFile, this.state);
    }

    private track<T>(p: Promise<T>): Promise<T> {
        this.pending.add(p);
        const drop = () => this.pending.delete(p);
        p.then(drop, drop);
        return p;
    }

    /** Waits until every step started so far has finished. */
    async settle(): Promise<void> {
        while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    }

    private context(urn: string, name: string, commandLines: string[]): StepContext {
        return {
            urn,
            name,
            record: (entry) => {
                commandLines.push(entry.commandLine);
                this.commandLog.push({ urn, ...entry });
            },
        };
    }

    override async registerResource(req: resproto.RegisterResourceRequest, callback: Callback): Promise<void> {
        try {
            callback(null, await this.track(this.register(req)));
        } catch (err) {
            callback(err);
        }
    }

    private async register(req: resproto.RegisterResourceRequest): Promise<unknown> {
        const type: string = req.getType();
        const name: string = req.getName();
        const parent: string = req.getParent();
        const custom: boolean = req.getCustom();
        const urn = this.urnFor(parent, type, name);
        if (type === ROOT_STACK_TYPE) this.stackUrn = urn;
        if (this.registered.has(urn)) throw new Error(`Duplicate resource URN '${urn}'; try giving it a unique name`);
        this.registered.add(urn);
        if (this.failure) throw new Error(`${urn} not registered: the update stopped after an earlier error`);

        const decoded = decode(req.getObject()?.toJavaScript());
        const old: StateResource | undefined = this.state.resources[urn];
        const inputs = applyIgnoreChanges(old?.inputs ?? {}, decoded.value, old ? req.getIgnorechangesList() : []);
        const dependencies = new Set<string>(req.getDependenciesList());
        req.getPropertydependenciesMap().forEach((v) => v.getUrnsList().forEach((u: string) => dependencies.add(u)));
        // An explicit provider ("<urn>::<id>") is a dependency too: it must outlive its resources.
        const providerRef: string = req.getProvider();
        if (providerRef) dependencies.add(providerRef.slice(0, providerRef.lastIndexOf("::")));

        const provider = custom ? (PROVIDERS[type] ?? recordOnly) : recordOnly;
        const trigger = req.getReplacementTrigger();
        const replacementTrigger: unknown = trigger ? decode(trigger.toJavaScript()).value : null;
        const { op } = custom
            ? decideStep({
                  old,
                  news: inputs,
                  replaceOnChanges: req.getReplaceonchangesList(),
                  providerDiff: provider.diff,
                  forceReplace: provider.forceReplace ?? (() => false),
                  triggerChanged: old !== undefined && JSON.stringify(old.replacementTrigger ?? null) !== JSON.stringify(replacementTrigger),
              })
            : { op: old ? ("same" as const) : ("create" as const) };
        const commandLines: string[] = [];
        const operation: Operation = { urn, type, name, op, commandLines };
        const ctx = this.context(urn, name, commandLines);
        const deleteBeforeReplace: boolean = req.getDeletebeforereplace();

        let id = old?.id ?? "";
        let outputs: PropertyMap;
        try {
            if (this.opts.preview) outputs = previewOutputs(op, provider, old, inputs);
            else if (!custom) outputs = old?.outputs ?? {};
            else if (op === "same") outputs = old!.outputs;
            else if (op === "update") outputs = await provider.update(ctx, old!, inputs);
            else {
                if (op === "replace" && deleteBeforeReplace) {
                    await provider.delete(ctx, old!);
                    delete this.state.resources[urn];
                    this.save();
                }
                ({ id, outputs } = await provider.create(ctx, inputs));
                if (op === "replace" && !deleteBeforeReplace) this.state.pendingDeletes.push(old!);
            }
        } catch (err) {
            this.failure ??= err as Error;
            this.announceFailure(this.failure);
            operation.error = (err as Error).message;
            this.operations.push(operation);
            throw err;
        }

        const secretOutputs = secretOutputPaths(outputs, inputs, decoded.secretPaths, req.getAdditionalsecretoutputsList());
        const fresh = op === "create" || op === "replace";
        this.state.resources[urn] = {
            urn,
            type,
            name,
            custom,
            id,
            parent,
            inputs,
            secretInputs: decoded.secretPaths,
            outputs,
            secretOutputs,
            dependencies: [...dependencies].sort(),
            createdIndex: fresh || !old ? this.state.nextIndex++ : old.createdIndex,
            deleteBeforeReplace,
            replacementTrigger,
            retainOnDelete: req.getRetainondelete(),
            deletedWith: req.getDeletedwith(),
        };
        this.save();
        this.operations.push(operation);

        const object = encode(outputs, secretOutputs);
        this.resources.set(urn, { urn, id, state: object });
        const resp = new resproto.RegisterResourceResponse();
        resp.setUrn(urn);
        resp.setId(id);
        // encode() yields JSON values only (a Struct's JavaScriptValue); it types them unknown.
        resp.setObject(structproto.Struct.fromJavaScript(object as Record<string, structTypes.JavaScriptValue>));
        return resp;
    }

    override registerResourceOutputs(req: resproto.RegisterResourceOutputsRequest, callback: Callback): void {
        try {
            const urn: string = req.getUrn();
            const { value, secretPaths } = decode(req.getOutputs()?.toJavaScript());
            if (urn === this.stackUrn) this.stackOutputs = { value, secretPaths };
            const entry = this.state.resources[urn];
            if (entry && !entry.custom) {
                entry.outputs = value;
                entry.secretOutputs = secretPaths;
                this.save();
            }
            callback(null, {});
        } catch (err) {
            callback(err);
        }
    }

    override async invoke(req: resproto.ResourceInvokeRequest, callback: Callback): Promise<void> {
        if (req.getTok() === "pulumi:pulumi:getResource") return super.invoke(req, callback);
        callback(new Error(`invoke ${req.getTok()} is not modelled by the test engine`));
    }

    override async readResource(req: resproto.ReadResourceRequest, callback: Callback): Promise<void> {
        callback(new Error(`reading an existing ${req.getType()} (.get) is not modelled by the test engine`));
    }

    /**
     * After the program: delete what it no longer declares and the old copies of replaced
     * resources, dependents first. Skipped when the update failed (the engine stops at the error).
     */
    async deleteUnclaimed(): Promise<void> {
        await this.settle();
        if (this.failure) return;
        const gone = Object.values(this.state.resources).filter((r) => !this.registered.has(r.urn));
        const order = deletionOrder([...this.state.pendingDeletes, ...gone]);
        const deleting = new Set(order.map((r) => r.urn));
        for (const r of order) {
            const commandLines: string[] = [];
            const operation: Operation = { urn: r.urn, type: r.type, name: r.name, op: "delete", commandLines };
            this.operations.push(operation);
            if (this.opts.preview) continue;
            const skip = !r.custom || r.retainOnDelete || (r.deletedWith !== "" && deleting.has(r.deletedWith));
            try {
                if (!skip) await (PROVIDERS[r.type] ?? recordOnly).delete(this.context(r.urn, r.name, commandLines), r);
            } catch (err) {
                this.failure = err as Error;
                operation.error = (err as Error).message;
                return;
            }
            const i = this.state.pendingDeletes.indexOf(r);
            if (i >= 0) this.state.pendingDeletes.splice(i, 1);
            else delete this.state.resources[r.urn];
            this.save();
        }
    }
}

/**
 * What a preview hands back: stored outputs for unchanged resources; for the rest the inputs, with
 * the provider's computed outputs unknown on create/replace and the old ones kept on update.
 */
function previewOutputs(op: string, provider: Provider, old: StateResource | undefined, inputs: PropertyMap): PropertyMap {
    if (op === "same") return old!.outputs;
    if (op === "update") return { ...old!.outputs, ...inputs };
    return { ...inputs, ...Object.fromEntries(provider.computed.map((k) => [k, UNKNOWN])) };
}

/**
 * Which outputs reach the program as secrets: `additionalSecretOutputs` (the SDKs put the
 * providers' own secret outputs there), and every secret input carried to the output of the same
 * name (the whole output if the provider changed its value), as the engine annotates them.
 */
export function secretOutputPaths(outputs: PropertyMap, inputs: PropertyMap, inputSecrets: PropertyPath[], additional: string[]): PropertyPath[] {
    const out = new Set<PropertyPath>();
    for (const k of additional) if (k in outputs) out.add(k);
    for (const p of inputSecrets) {
        const top = String(parsePath(p)[0]);
        if (top in outputs) out.add(equal(outputs[top], inputs[top]) ? p : top);
    }
    const all = [...out];
    return all.filter((p) => !all.some((q) => q !== p && (p.startsWith(`${q}.`) || p.startsWith(`${q}[`)))).sort();
}
