// Assets among recorded inputs (an upload's source) hold their path or text as a promise; the
// render writes them as plain records.
import type { Registration } from "../lib/mock-runtime";

/** Replaces every asset among the inputs by a plain `{ asset: "file" | "text" | "remote", value }` record. */
export async function resolveAssets(registrations: Registration[]): Promise<void> {
    const resolve = async (value: unknown): Promise<unknown> => {
        if (value === null || typeof value !== "object") return value;
        if (Array.isArray(value)) return Promise.all(value.map(resolve));
        const v = value as Record<string, unknown>;
        if (v.__pulumiAsset === true) {
            for (const kind of ["path", "text", "uri"]) {
                if (kind in v) return { asset: kind === "path" ? "file" : kind === "text" ? "text" : "remote", value: String(await v[kind]) };
            }
        }
        const out: Record<string, unknown> = {};
        for (const [k, x] of Object.entries(v)) out[k] = await resolve(x);
        return out;
    };
    for (const r of registrations) r.inputs = (await resolve(r.inputs)) as Record<string, unknown>;
}
