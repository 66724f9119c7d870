// Pulumi's mock runtime as the render runs it: every registration recorded with its parent and
// dependencies, provider outputs filled with placeholders (see placeholders.ts).
import * as pulumi from "@pulumi/pulumi";
import {
    certificatePlaceholder, certRequestPlaceholder, privateKeyPlaceholder, randomPlaceholder, randomToken,
    Substitutions, validityEndPlaceholder,
} from "./placeholders";

/** A resource as the program registered it. */
export interface Registration {
    urn: string;
    type: string;
    name: string;
    /** The parent's URN; "" for the program's top-level resources. */
    parent: string;
    /** Whether a provider manages it (false: a component). */
    custom: boolean;
    /** URNs it depends on (`dependsOn` and input dependencies), as the engine would receive them. */
    dependencies: string[];
    /** Inputs as the engine would receive them; secrets are still wrapped (see `isSecret`). */
    inputs: Record<string, unknown>;
}

/** What the render mocks record. */
export interface Recording {
    /** Every registration, in the order the program made them. */
    registrations: Registration[];
    /** Rewrites stand-in tokens to placeholders in anything written out. */
    substitutions: Substitutions;
}

/** Outputs of a provider resource under the render: inputs echoed, the rest placeholders. */
function outputsOf(type: string, name: string, inputs: Record<string, unknown>, substitutions: Substitutions): Record<string, unknown> {
    const state: Record<string, unknown> = { ...inputs };
    if (type === "tls:index/privateKey:PrivateKey") {
        const key = privateKeyPlaceholder(name);
        substitutions.addEncoded(key);
        Object.assign(state, { privateKeyPem: key, privateKeyOpenssh: key, privateKeyPemPkcs8: key, publicKeyPem: `<public key of ${name}>`, publicKeyOpenssh: `<public key of ${name}>` });
    }
    if (type === "tls:index/certRequest:CertRequest") state.certRequestPem = certRequestPlaceholder(name);
    if (type === "tls:index/selfSignedCert:SelfSignedCert" || type === "tls:index/locallySignedCert:LocallySignedCert") {
        const cert = certificatePlaceholder(name);
        substitutions.addEncoded(cert);
        Object.assign(state, { certPem: cert, validityStartTime: `<issue time of ${name}>`, validityEndTime: validityEndPlaceholder(name) });
    }
    if (type.startsWith("random:index/random") && (type.endsWith("Password") || type.endsWith("String"))) {
        const token = randomToken(name, Number(inputs.length ?? 16));
        substitutions.add(token, randomPlaceholder(name));
        state.result = token;
    }
    if (type.startsWith("command:")) Object.assign(state, { stdout: "", stderr: "" });
    return state;
}

/** Installs the render mocks for a project and stack; call before the program is loaded. */
export function installRenderMocks(project: string, stack: string): Recording {
    const registrations: Registration[] = [];
    const substitutions = new Substitutions();
    const pending = new Map<string, Omit<Registration, "urn">>();
    pulumi.runtime.setMocks({
        newResource(args) {
            return { id: `${args.name}-id`, state: outputsOf(args.type, args.name, args.inputs, substitutions) };
        },
        call(args) {
            return args.inputs;
        },
    }, project, stack, false);
    // newResource sees neither parent nor dependencies: read them off the monitor's requests,
    // and the URN off its response.
    const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: any, callback: (err: unknown, res: any) => void): void };
    const register = monitor.registerResource.bind(monitor);
    monitor.registerResource = (req, callback) => {
        const key = `${req.getType()}::${req.getName()}`;
        pending.set(key, {
            type: req.getType(),
            name: req.getName(),
            parent: req.getParent() ?? "",
            custom: req.getCustom(),
            dependencies: [...req.getDependenciesList()].sort(),
            inputs: pulumi.runtime.deserializeProperties(req.getObject()),
        });
        register(req, (err, res) => {
            const seen = pending.get(key);
            if (!err && res && seen) registrations.push({ urn: res.getUrn(), ...seen });
            pending.delete(key);
            callback(err, res);
        });
    };
    return { registrations, substitutions };
}

/** Whether a deserialized input value is a Pulumi secret. */
export function isSecret(value: unknown): boolean {
    return pulumi.runtime.isRpcSecret(value);
}

/** A deserialized input value with every secret wrapper removed. */
export function unwrap(value: unknown): any {
    if (isSecret(value)) return unwrap(pulumi.runtime.unwrapRpcSecret(value));
    if (Array.isArray(value)) return value.map(unwrap);
    if (value !== null && typeof value === "object") return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    return value;
}

/** Whether a value holds a secret anywhere inside it. */
export function containsSecret(value: unknown): boolean {
    if (isSecret(value)) return true;
    if (Array.isArray(value)) return value.some(containsSecret);
    if (value !== null && typeof value === "object") return Object.values(value).some(containsSecret);
    return false;
}

/**
 * Replaces the assets among the recorded inputs (their path or text is a promise) by plain
 * `{ asset: "file" | "text" | "remote", value }` records.
 */
export async function resolveAssets(recording: Recording): Promise<void> {
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
    for (const r of recording.registrations) r.inputs = (await resolve(r.inputs)) as Record<string, unknown>;
}

/** Waits until the program has registered everything: the runtime's RPC queue drained and no new registration for a while. */
export async function programSettled(recording: Recording): Promise<void> {
    const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
    let seen = -1;
    while (seen !== recording.registrations.length) {
        seen = recording.registrations.length;
        if (waitForRPCs) await waitForRPCs();
        for (let i = 0; i < 10; i++) await new Promise((r) => setImmediate(r));
        await new Promise((r) => setTimeout(r, 20));
    }
}
