import { createHash, randomBytes, randomInt } from "node:crypto";
import type { Provider } from "./provider";
import type { PropertyMap } from "./values";

/**
 * @pulumi/random (the bridged terraform-provider-random) performed with node:crypto. Every input
 * forces a new resource (`keepers` included), as in the provider. Not modelled: RandomPassword's
 * `bcryptHash` (no bcrypt here), RandomInteger's `seed` gives a stable but different number than
 * Go's math/rand would, RandomUuid/RandomPet/RandomShuffle.
 */

const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/** The provider's algorithm: the minimums first, then any enabled class, then a shuffle. */
export function randomString(inputs: PropertyMap): string {
    const length = inputs.length;
    if (typeof length !== "number" || length < 1) throw new Error("length: must be at least 1");
    const flag = (k: string, d = true) => (typeof inputs[k] === "boolean" ? (inputs[k] as boolean) : d);
    const min = (k: string) => (typeof inputs[k] === "number" ? (inputs[k] as number) : 0);
    const special = typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : DEFAULT_SPECIAL;
    const numeric = typeof inputs.numeric === "boolean" ? inputs.numeric : flag("number");
    const classes: Array<[boolean, string, number]> = [
        [flag("lower"), "abcdefghijklmnopqrstuvwxyz", min("minLower")],
        [flag("upper"), "ABCDEFGHIJKLMNOPQRSTUVWXYZ", min("minUpper")],
        [numeric, "0123456789", min("minNumeric")],
        [flag("special"), special, min("minSpecial")],
    ];
    const all = classes
        .filter(([on]) => on)
        .map(([, chars]) => chars)
        .join("");
    if (all === "") throw new Error("at least one of lower, upper, numeric or special must be true");
    const minimums = classes.reduce((n, [on, , m]) => n + (on ? m : 0), 0);
    if (minimums > length) throw new Error(`length (${length}) is smaller than the sum of the minimums (${minimums})`);
    const pick = (chars: string) => chars[randomInt(chars.length)];
    const out: string[] = [];
    for (const [on, chars, n] of classes) if (on) for (let i = 0; i < n; i++) out.push(pick(chars));
    while (out.length < length) out.push(pick(all));
    for (let i = out.length - 1; i > 0; i--) {
        const j = randomInt(i + 1);
        [out[i], out[j]] = [out[j], out[i]];
    }
    return out.join("");
}

const replaceAlways: Pick<Provider, "update" | "delete" | "diff"> = {
    update: async (_ctx, old) => old.outputs,
    delete: async () => undefined,
    diff: () => "replace",
};

export const randomProviders: Record<string, Provider> = {
    "random:index/randomString:RandomString": {
        ...replaceAlways,
        create: async (_ctx, inputs) => {
            const result = randomString(inputs);
            return { id: result, outputs: { ...inputs, result, id: result } };
        },
        computed: ["result", "id"],
    },
    "random:index/randomPassword:RandomPassword": {
        ...replaceAlways,
        create: async (_ctx, inputs) => ({ id: "none", outputs: { ...inputs, result: randomString(inputs), id: "none" } }),
        computed: ["result"],
    },
    "random:index/randomId:RandomId": {
        ...replaceAlways,
        create: async (_ctx, inputs) => {
            if (typeof inputs.byteLength !== "number" || inputs.byteLength < 1) throw new Error("byte_length: must be at least 1");
            const bytes = randomBytes(inputs.byteLength);
            const prefix = typeof inputs.prefix === "string" ? inputs.prefix : "";
            const b64Url = prefix + bytes.toString("base64url");
            const outputs = {
                ...inputs,
                hex: prefix + bytes.toString("hex"),
                b64Std: prefix + bytes.toString("base64"),
                b64Url,
                dec: prefix + BigInt(`0x${bytes.toString("hex")}`).toString(),
                id: b64Url,
            };
            return { id: b64Url, outputs };
        },
        computed: ["hex", "b64Std", "b64Url", "dec", "id"],
    },
    "random:index/randomBytes:RandomBytes": {
        ...replaceAlways,
        create: async (_ctx, inputs) => {
            if (typeof inputs.length !== "number" || inputs.length < 1) throw new Error("length: must be at least 1");
            const bytes = randomBytes(inputs.length);
            // The id says nothing of the bytes, as the provider's "none".
            return { id: "none", outputs: { ...inputs, base64: bytes.toString("base64"), hex: bytes.toString("hex"), id: "none" } };
        },
        computed: ["base64", "hex"],
    },
    "random:index/randomInteger:RandomInteger": {
        ...replaceAlways,
        create: async (_ctx, inputs) => {
            const { min, max } = inputs;
            if (typeof min !== "number" || typeof max !== "number" || max < min) throw new Error("min and max are required, max >= min");
            const span = max - min + 1;
            const result =
                typeof inputs.seed === "string"
                    ? min + Number(BigInt(`0x${createHash("sha256").update(inputs.seed).digest("hex")}`) % BigInt(span))
                    : min + randomInt(span);
            return { id: String(result), outputs: { ...inputs, result, id: String(result) } };
        },
        computed: ["result", "id"],
    },
};
