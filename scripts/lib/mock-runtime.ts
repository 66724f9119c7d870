/**
 * Pulumi's mock runtime, recording what a program registers: the one mock runtime of the unit
 * tests, the offline render (scripts/render.ts) and the benchmarks (scripts/bench/evaluate.ts).
 *
 * The SDK's mocks see neither a resource's parent, its dependencies nor its aliases, nor what a
 * component registers with `registerOutputs` (where the host primitives put their facts, see
 * components/host/facts.ts); the recording monitor reads them off the requests.
 */
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import * as sdkState from "@pulumi/pulumi/runtime/state";
import { skipPromiseStackTraces } from "./promise-traces";

/**
 * Recorded inputs or outputs: whatever the program passed, as the SDK's `deserializeProperties`
 * returns it (typed `any` there); tests read them at any depth.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the SDK deserializes properties to `any`
export type RecordedProperties = Record<string, any>;

/** A resource as the program registered it. */
export interface Registration {
    /** The URN the runtime answered with. */
    urn: string;
    /** The type token, e.g. "command:remote:Command" or "k8s-binary:index:RemoteFile". */
    type: string;
    /** The resource name. */
    name: string;
    /** The parent's URN; "" for the program's top-level resources. */
    parent: string;
    /** Whether a provider manages it (false: a component). */
    custom: boolean;
    /** URNs it depends on (`dependsOn` and input dependencies), sorted, as the engine would receive them. */
    dependencies: string[];
    /** Its aliases as the engine would receive them: a whole URN, or a spec's name and parent URN (each only when given). */
    aliases: RecordedAlias[];
    /** Inputs as the engine would receive them; secrets are still wrapped (see rpc-values.ts). */
    inputs: RecordedProperties;
}

/** One alias of a registration. */
export interface RecordedAlias {
    urn?: string;
    name?: string;
    parent?: string;
}

/** What a mock runtime records while the program runs. */
export interface MockRuntime {
    /** Every registration, in the order the runtime answered them. */
    registrations: Registration[];
    /** What each component passed to `registerOutputs`, by URN; secrets still wrapped. */
    outputs: Map<string, RecordedProperties>;
}

/** A provider resource's outputs besides its echoed inputs: the values only a deployment makes. */
export type ProviderOutputs = (args: pulumi.runtime.MockResourceArgs) => Record<string, unknown>;

/** Where the mock runtime runs the program. */
export interface MockRuntimeOptions {
    /** Project name, in every URN. Default: "k8s-binary". */
    project?: string;
    /** Stack name, in every URN. Default: "test". */
    stack?: string;
    /** Outputs of provider resources beyond their inputs. Default: none (outputs echo inputs). */
    outputs?: ProviderOutputs;
}

// The requests and response of the resource monitor, as far as the recording reads them (the
// SDK types them `any`).
interface RegisterResourceRequest {
    getType(): string;
    getName(): string;
    getParent(): string;
    getCustom(): boolean;
    getDependenciesList(): string[];
    getAliasesList(): AliasMessage[];
    getObject(): Parameters<typeof pulumi.runtime.deserializeProperties>[0];
}
interface AliasMessage {
    getUrn(): string;
    getSpec(): { getName(): string; getParenturn(): string } | undefined;
}
interface RegisterResourceResponse {
    getUrn(): string;
}
interface RegisterResourceOutputsRequest {
    getUrn(): string;
    getOutputs(): Parameters<typeof pulumi.runtime.deserializeProperties>[0] | undefined;
}
type Callback<T> = (err: unknown, response: T) => void;

function recordAlias(alias: AliasMessage): RecordedAlias {
    const spec = alias.getSpec();
    if (!spec) return { urn: alias.getUrn() };
    return { ...(spec.getName() ? { name: spec.getName() } : {}), ...(spec.getParenturn() ? { parent: spec.getParenturn() } : {}) };
}

/** Makes the SDK's mock monitor record each registration with its parent and dependencies, and each component's outputs. */
function record(monitor: MockMonitor, recording: MockRuntime): void {
    const registerResource = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: RegisterResourceRequest, callback: Callback<RegisterResourceResponse | undefined>) => {
        const seen = {
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() ?? "",
            custom: req.getCustom(),
            dependencies: [...req.getDependenciesList()].sort(),
            aliases: req.getAliasesList().map(recordAlias),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
        };
        return registerResource(req, (err: unknown, res: RegisterResourceResponse | undefined) => {
            if (!err && res) recording.registrations.push({ urn: res.getUrn(), ...seen });
            callback(err, res);
        });
    };
    const registerResourceOutputs = monitor.registerResourceOutputs.bind(monitor);
    monitor.registerResourceOutputs = (req: RegisterResourceOutputsRequest, callback: Callback<unknown>) => {
        const outputs = req.getOutputs();
        recording.outputs.set(req.getUrn(), outputs ? pulumi.runtime.deserializeProperties(outputs) : {});
        registerResourceOutputs(req, callback);
    };
}

/**
 * Installs the recording mock runtime; call before the program declares anything. Provider
 * resources echo their inputs as outputs, plus `options.outputs`.
 */
export function installMockRuntime(options: MockRuntimeOptions = {}): MockRuntime {
    const recording: MockRuntime = { registrations: [], outputs: new Map() };
    const mocks: pulumi.runtime.Mocks = {
        newResource: (args) => ({ id: `${args.name}-id`, state: { ...args.inputs, ...options.outputs?.(args) } }),
        call: (args) => args.inputs,
    };
    // setMocks installs the SDK's mock monitor and the runtime's feature flags (secrets, resource
    // references); its promise is already settled when it returns (nothing in it awaits).
    void pulumi.runtime.setMocks(mocks, options.project ?? "k8s-binary", options.stack ?? "test", false);
    const monitor: unknown = pulumi.runtime.getMonitor();
    if (!(monitor instanceof MockMonitor)) throw new Error("pulumi.runtime.setMocks installed no MockMonitor: this @pulumi/pulumi mocks differently");
    record(monitor, recording);
    skipPromiseStackTraces();
    return recording;
}

// The SDK's own bookkeeping of outstanding RPCs (what `pulumi.runtime.disconnect` drains); both
// are internal to the SDK, so they are reached by name and checked in `settled`.
const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
const rpcDone = (): Promise<void> => (sdkState as unknown as { getStore(): { settings: { rpcDone: Promise<void> } } }).getStore().settings.rpcDone;

/**
 * Waits until the mock runtime has finished every registration, including those that
 * registrations set off (resources declared in `apply` callbacks): the SDK's queue of
 * outstanding RPCs is drained and stays drained across a turn of the event loop. No fixed
 * sleep, so a check that something was *not* registered is a real check.
 */
export async function settled(): Promise<void> {
    if (typeof runtime.waitForRPCs !== "function")
        throw new Error("this @pulumi/pulumi has no runtime.waitForRPCs: settled() needs another way to drain the mock runtime");
    for (;;) {
        await runtime.waitForRPCs();
        const drained = rpcDone();
        await new Promise((r) => setImmediate(r));
        if (rpcDone() === drained) return;
    }
}

/** The value of an Output once known (under the mock runtime every value is). */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) =>
        output.apply((v) => {
            resolve(v);
            return v;
        }),
    );
}
