/**
 * A resource provider plugin served from Node for the real Pulumi engine: the gRPC
 * ResourceProvider service around this engine's performers (../command.ts, ../tls.ts,
 * ../random.ts). The CLI starts it as `pulumi-resource-<pkg>` found on PATH (an ambient plugin,
 * see ../real.ts), reads the port it prints, and calls Check, Diff, Create, Update, Delete.
 *
 * Our own small server rather than `main()` from @pulumi/pulumi/provider: that one answers Diff
 * with changes and replaces only (no changed keys, so the engine's `replaceOnChanges` could not
 * match) and hands Diff/Update no old inputs.
 *
 * Values: secrets arrive wrapped (Configure says acceptSecrets), are unwrapped for the performer,
 * and the outputs go back wrapped where the real provider would mark them (see `secretOutputs`).
 * Each command a performer runs is appended as a JSON line (urn + CommandLogEntry) to the file
 * named by K8S_BINARY_ENGINE_COMMAND_LOG.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import type * as grpcTypes from "@grpc/grpc-js";
import * as pluginproto from "@pulumi/pulumi/proto/plugin_pb";
import * as provrpc from "@pulumi/pulumi/proto/provider_grpc_pb";
import * as provproto from "@pulumi/pulumi/proto/provider_pb";
import type * as emptyTypes from "google-protobuf/google/protobuf/empty_pb";
import type * as structTypes from "google-protobuf/google/protobuf/struct_pb";
import { secretOutputPaths } from "../monitor";
import type { CommandLogEntry, Provider, StepContext } from "../provider";
import type { StateResource } from "../state";
import { ARCHIVE_SIG, ASSET_SIG, changedKeys, decode, encode, SECRET_SIG, SIG_KEY, type Plain, type PropertyMap, type PropertyPath } from "../values";

/* The gRPC and protobuf runtimes the SDK itself loads (messages of another copy would not serialise). */
const fromPulumi = createRequire(require.resolve("@pulumi/pulumi"));
const grpc = fromPulumi("@grpc/grpc-js") as typeof grpcTypes;
const structproto = fromPulumi("google-protobuf/google/protobuf/struct_pb") as typeof structTypes;
const emptyproto = fromPulumi("google-protobuf/google/protobuf/empty_pb") as typeof emptyTypes;

export interface PluginType {
    performer: Provider;
    /** Outputs the provider marks secret when these inputs hold a secret (pulumi-command's WireDependencies). */
    secretFrom?: Record<string, string[]>;
    /** Inputs whose change replaces the resource whatever the performer says (Command `triggers`). */
    replaceOn?: string[];
}

export interface PluginSpec {
    /** The package version the SDK asks for (its package.json): the engine then has nothing to warn about. */
    version: string;
    types: Record<string, PluginType>;
}

/** Unwraps secrets (paths kept), keeps assets and archives as the engine sent them (with their hash). */
export function unwrap(raw: unknown): { value: PropertyMap; secretPaths: PropertyPath[] } {
    const secretPaths: PropertyPath[] = [];
    const walk = (v: unknown, at: string): Plain => {
        if (v === null || v === undefined) return null;
        if (Array.isArray(v)) return v.map((x, i) => walk(x, `${at}[${i}]`));
        if (typeof v !== "object") return v as Plain;
        const obj = v as Record<string, unknown>;
        if (obj[SIG_KEY] === SECRET_SIG) {
            secretPaths.push(at);
            return walk("plaintext" in obj ? JSON.parse(String(obj.plaintext)) : obj.value, at);
        }
        if (obj[SIG_KEY] === ASSET_SIG || obj[SIG_KEY] === ARCHIVE_SIG) return obj as Plain;
        const out: Record<string, Plain> = {};
        for (const [k, x] of Object.entries(obj)) out[k] = walk(x, at === "" ? k : `${at}.${k}`);
        return out;
    };
    const value: PropertyMap = {};
    for (const [k, x] of Object.entries((raw ?? {}) as Record<string, unknown>)) value[k] = walk(x, k);
    return { value, secretPaths };
}

const nameOf = (urn: string) => urn.slice(urn.lastIndexOf("::") + 2);
/** The resource's own type: the URN's qualified type is prefixed with its parents' (`a$b$tls:index/...`). */
const typeOfUrn = (urn: string) => urn.split("::")[2].split("$").pop()!;

function context(urn: string): StepContext {
    const logFile = process.env.K8S_BINARY_ENGINE_COMMAND_LOG;
    return {
        urn,
        name: nameOf(urn),
        record(entry: Omit<CommandLogEntry, "urn">) {
            if (logFile) fs.appendFileSync(logFile, `${JSON.stringify({ urn, ...entry })}\n`);
        },
    };
}

/** What the performers take as the previous state: inputs and outputs of the last step. */
function oldState(urn: string, id: string, inputs: PropertyMap, outputs: PropertyMap): StateResource {
    return {
        urn,
        type: typeOfUrn(urn),
        name: nameOf(urn),
        custom: true,
        id,
        parent: "",
        inputs,
        secretInputs: [],
        outputs,
        secretOutputs: [],
        dependencies: [],
        createdIndex: 0,
        deleteBeforeReplace: false,
        retainOnDelete: false,
        deletedWith: "",
    };
}

/** The outputs as they go back: secret where an input of the same name was, and where `secretFrom` says. */
function wrapOutputs(t: PluginType, outputs: PropertyMap, inputs: PropertyMap, inputSecrets: PropertyPath[]): unknown {
    const extra: string[] = [];
    for (const [out, from] of Object.entries(t.secretFrom ?? {})) {
        if (inputSecrets.some((p) => from.some((f) => p === f || p.startsWith(`${f}.`) || p.startsWith(`${f}[`)))) extra.push(out);
    }
    return encode(outputs, secretOutputPaths(outputs, inputs, inputSecrets, extra));
}

const toStruct = (v: unknown) => structproto.Struct.fromJavaScript(v as Record<string, structTypes.JavaScriptValue>);
const fromStruct = (s: structTypes.Struct | undefined): unknown => (s ? s.toJavaScript() : {});

function typeOf(spec: PluginSpec, urn: string): PluginType {
    const type = typeOfUrn(urn);
    const t = spec.types[type];
    if (!t) throw new Error(`the test engine's ${Object.keys(spec.types)[0]?.split(":")[0]} plugin does not perform ${type}`);
    return t;
}

/** A unary gRPC method from an async function; a thrown error's message is what the engine reports. */
function handler<Req, Resp>(f: (req: Req) => Promise<Resp>) {
    return (call: grpcTypes.ServerUnaryCall<Req, Resp>, callback: grpcTypes.sendUnaryData<Resp>) => {
        f(call.request).then(
            (resp) => callback(null, resp),
            (err: Error) => callback({ code: grpc.status.UNKNOWN, details: err.message ?? String(err) }),
        );
    };
}

export async function serve(spec: PluginSpec): Promise<void> {
    const impl = {
        getPluginInfo: handler(async () => new pluginproto.PluginInfo().setVersion(spec.version)),
        getSchema: handler(async () => new provproto.GetSchemaResponse().setSchema("{}")),
        configure: handler(async () =>
            new provproto.ConfigureResponse().setAcceptsecrets(true).setAcceptresources(true).setSupportspreview(false).setAcceptoutputs(false),
        ),
        checkConfig: handler(async (req: provproto.CheckRequest) => new provproto.CheckResponse().setInputs(req.getNews())),
        diffConfig: handler(async () => new provproto.DiffResponse().setChanges(provproto.DiffResponse.DiffChanges.DIFF_NONE)),
        check: handler(async (req: provproto.CheckRequest) => {
            typeOf(spec, req.getUrn());
            // The engine's asset hash where it sent one; else the content hash the home engine computes.
            const news = fromStruct(req.getNews()) as Record<string, unknown>;
            const { value, secretPaths } = decode(news);
            const withHashes = encode(value, secretPaths);
            for (const [k, v] of Object.entries(news)) {
                const sig = v && typeof v === "object" ? (v as Record<string, unknown>)[SIG_KEY] : undefined;
                if ((sig === ASSET_SIG || sig === ARCHIVE_SIG) && (v as Record<string, unknown>).hash) withHashes[k] = v;
            }
            return new provproto.CheckResponse().setInputs(toStruct(withHashes));
        }),
        diff: handler(async (req: provproto.DiffRequest) => {
            const t = typeOf(spec, req.getUrn());
            const olds = unwrap(fromStruct(req.getOlds())).value;
            const oldInputs = req.getOldInputs() ? unwrap(fromStruct(req.getOldInputs())).value : olds;
            const news = unwrap(fromStruct(req.getNews())).value;
            const resp = new provproto.DiffResponse();
            const old = oldState(req.getUrn(), req.getId(), oldInputs, olds);
            const changed = changedKeys(oldInputs, news);
            const forced = t.performer.forceReplace?.(old) ?? false;
            if (changed.length === 0 && !forced) return resp.setChanges(provproto.DiffResponse.DiffChanges.DIFF_NONE);
            let replaces: string[];
            if (forced || (changed.length > 0 && t.performer.diff(changed, old, news) === "replace")) replaces = changed.length > 0 ? changed : ["id"];
            else replaces = changed.filter((k) => (t.replaceOn ?? []).includes(k));
            resp.setChanges(provproto.DiffResponse.DiffChanges.DIFF_SOME);
            resp.setDiffsList(changed);
            resp.setReplacesList(replaces);
            return resp;
        }),
        create: handler(async (req: provproto.CreateRequest) => {
            const t = typeOf(spec, req.getUrn());
            const { value: inputs, secretPaths } = unwrap(fromStruct(req.getProperties()));
            const { id, outputs } = await t.performer.create(context(req.getUrn()), inputs);
            return new provproto.CreateResponse().setId(id).setProperties(toStruct(wrapOutputs(t, outputs, inputs, secretPaths)));
        }),
        update: handler(async (req: provproto.UpdateRequest) => {
            const t = typeOf(spec, req.getUrn());
            const olds = unwrap(fromStruct(req.getOlds())).value;
            const oldInputs = req.getOldInputs() ? unwrap(fromStruct(req.getOldInputs())).value : olds;
            const { value: inputs, secretPaths } = unwrap(fromStruct(req.getNews()));
            const outputs = await t.performer.update(context(req.getUrn()), oldState(req.getUrn(), req.getId(), oldInputs, olds), inputs);
            return new provproto.UpdateResponse().setProperties(toStruct(wrapOutputs(t, outputs, inputs, secretPaths)));
        }),
        delete: handler(async (req: provproto.DeleteRequest) => {
            const t = typeOf(spec, req.getUrn());
            const olds = unwrap(fromStruct(req.getProperties())).value;
            const oldInputs = req.getOldInputs() ? unwrap(fromStruct(req.getOldInputs())).value : olds;
            await t.performer.delete(context(req.getUrn()), oldState(req.getUrn(), req.getId(), oldInputs, olds));
            return new emptyproto.Empty();
        }),
        read: handler(async (req: provproto.ReadRequest) =>
            new provproto.ReadResponse().setId(req.getId()).setProperties(req.getProperties()).setInputs(req.getInputs()),
        ),
        cancel: handler(async () => new emptyproto.Empty()),
    };
    const server = new grpc.Server();
    server.addService(provrpc.ResourceProviderService, impl as unknown as grpcTypes.UntypedServiceImplementation);
    const port = await new Promise<number>((resolve, reject) =>
        server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (err: Error | null, p: number) => (err ? reject(err) : resolve(p))),
    );
    // The engine reads the port from the first line of stdout.
    process.stdout.write(`${port}\n`);
}

/** The version of an SDK package as installed (what its resources ask the engine for). */
export function sdkVersion(pkg: string): string {
    return (JSON.parse(fs.readFileSync(require.resolve(`@pulumi/${pkg}/package.json`), "utf8")) as { version: string }).version;
}
