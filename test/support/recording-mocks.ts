import * as pulumi from "@pulumi/pulumi";

/** A resource as the mock runtime saw it registered. */
export interface Registered {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** URNs it depends on (`dependsOn` and input dependencies), as the SDK sent them. */
    dependencies: string[];
}

/**
 * Pulumi's mock runtime, recording every registration. Outputs echo inputs, with the few
 * provider outputs the components read filled in with recognisable placeholders (no real keys:
 * the integration engine makes real ones).
 */
export function recordingMocks(): Registered[] {
    const registered: Registered[] = [];
    const dependencies = new Map<string, string[]>();
    pulumi.runtime.setMocks({
        newResource(args) {
            registered.push({ type: args.type, name: args.name, inputs: args.inputs, dependencies: dependencies.get(args.name) ?? [] });
            const state: Record<string, any> = { ...args.inputs };
            if (args.type === "tls:index/privateKey:PrivateKey") state.privateKeyPem = `PRIVATE-KEY-OF-${args.name}`;
            if (args.type.startsWith("tls:index/") && args.type.endsWith("Cert")) {
                state.certPem = `CERT-OF-${args.name}`;
                state.validityEndTime = "2027-11-22T00:00:00Z";
            }
            if (args.type === "tls:index/certRequest:CertRequest") state.certRequestPem = `CSR-OF-${args.name}`;
            if (args.type === "random:index/randomPassword:RandomPassword" || args.type === "random:index/randomString:RandomString") {
                state.result = "Rnd0m8ch".padEnd(Number(args.inputs.length ?? 8), "x").slice(0, Number(args.inputs.length ?? 8));
            }
            if (args.type === "command:remote:Command") {
                state.stdout = "";
                state.stderr = "";
            }
            return { id: `${args.name}-id`, state };
        },
        call(args) {
            return args.inputs;
        },
    }, "k8s-binary", "test", false);
    // The mock runtime does not pass dependencies to newResource: read them off the requests.
    const monitor = pulumi.runtime.getMonitor() as any;
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req: any, callback: any) => {
        dependencies.set(req.getName(), req.getDependenciesList());
        return register(req, callback);
    };
    return registered;
}

/** The value of an Output, for assertions. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply((v) => { resolve(v); return v; }));
}

// The SDK's own bookkeeping of outstanding RPCs (what `pulumi.runtime.disconnect` drains); both
// are internal to the SDK, so they are reached by name and checked once here.
const runtime = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
const rpcDone = (): Promise<void> => (require("@pulumi/pulumi/runtime/state") as { getStore(): { settings: { rpcDone: Promise<void> } } }).getStore().settings.rpcDone;

/**
 * Waits until the mock runtime has finished every registration, including those that
 * registrations set off (resources declared in `apply` callbacks): the SDK's queue of
 * outstanding RPCs is drained and stays drained across a turn of the event loop. No fixed
 * sleep, so a check that something was *not* registered is a real check.
 */
export async function settled(): Promise<void> {
    if (typeof runtime.waitForRPCs !== "function") throw new Error("this @pulumi/pulumi has no runtime.waitForRPCs: settled() needs another way to drain the mock runtime");
    for (;;) {
        await runtime.waitForRPCs();
        const drained = rpcDone();
        await new Promise((r) => setImmediate(r));
        if (rpcDone() === drained) return;
    }
}
