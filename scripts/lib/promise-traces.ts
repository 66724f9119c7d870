/**
 * The SDK's debug stack traces on its promises, left empty on the mock runtime.
 *
 * Every promise the SDK makes goes through its internal `debuggablePromise`
 * (runtime/debuggable.js), which formats `new Error().stack` at once: four promises for each
 * output property of each resource (runtime/rpc.js `transferProperties`), more per registration.
 * Under tsx every frame of those traces goes through Node's source-map lookup, so formatting
 * them was a third of the CPU time of building a cluster. The SDK reads a trace only to print a
 * leaked promise when PULUMI_DEBUG_PROMISE_LEAKS is set; with it set, the traces stay.
 */
// Internal to the SDK (its typings export nothing), so reached by name and checked.
type DebuggablePromise = <T>(p: Promise<T>, ctx: unknown) => Promise<T>;
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the module's own exports object, which its callers read (an import namespace is a read-only copy)
const debuggable = require("@pulumi/pulumi/runtime/debuggable") as { debuggablePromise?: DebuggablePromise; debugPromiseLeaks?: boolean };

let skipped = false;

/**
 * Makes the SDK capture its promises' debug traces without frames, unless
 * PULUMI_DEBUG_PROMISE_LEAKS asks for them. The SDK's leak tracking itself is untouched.
 */
export function skipPromiseStackTraces(): void {
    if (skipped || debuggable.debugPromiseLeaks) return;
    const debuggablePromise = debuggable.debuggablePromise;
    if (typeof debuggablePromise !== "function")
        throw new Error("this @pulumi/pulumi has no runtime/debuggable debuggablePromise: skipPromiseStackTraces needs another way");
    // The SDK's modules call it through this exports object, so replacing the property reaches them all.
    debuggable.debuggablePromise = <T>(p: Promise<T>, ctx: unknown): Promise<T> => {
        const limit = Error.stackTraceLimit;
        Error.stackTraceLimit = 0;
        try {
            return debuggablePromise(p, ctx);
        } finally {
            Error.stackTraceLimit = limit;
        }
    };
    skipped = true;
}
