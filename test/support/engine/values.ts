import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Property values as they cross the wire between the SDK and the engine (a protobuf Struct turned
 * into JSON), and the plain form the engine stores: secrets unwrapped with their paths kept aside,
 * assets given the content hash the real engine computes, unknowns left as the SDK's sentinel.
 */

export const SIG_KEY = "4dabf18193072939515e22adb298388d";
export const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
export const ASSET_SIG = "c44067f5952c0a294b673a41bacd8c17";
export const ARCHIVE_SIG = "0def7320c3a5731c473e5ecbe6d01bc7";
/** What the SDK sends for a value not known yet (preview only) and reads back as unknown. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export type Plain = null | boolean | number | string | Plain[] | { [key: string]: Plain };
export type PropertyMap = Record<string, Plain>;

/** A property path such as `connection.privateKey` or `triggers[0]`. */
export type PropertyPath = string;

function childPath(parent: string, key: string | number): string {
    if (typeof key === "number") return `${parent}[${key}]`;
    return parent === "" ? key : `${parent}.${key}`;
}

/** Removes secret wrappers, recording where they were; hashes path-based assets and archives. */
export function decode(raw: unknown): { value: PropertyMap; secretPaths: PropertyPath[] } {
    const secretPaths: PropertyPath[] = [];
    const walk = (v: unknown, at: string): Plain => {
        if (v === null || v === undefined) return null;
        if (Array.isArray(v)) return v.map((x, i) => walk(x, childPath(at, i)));
        if (typeof v !== "object") return v as Plain;
        const obj = v as Record<string, unknown>;
        const sig = obj[SIG_KEY];
        if (sig === SECRET_SIG) {
            secretPaths.push(at);
            return walk(obj.value, at);
        }
        if (sig === ASSET_SIG || sig === ARCHIVE_SIG) return withHash(obj);
        const out: Record<string, Plain> = {};
        for (const [k, x] of Object.entries(obj)) out[k] = walk(x, childPath(at, k));
        return out;
    };
    const value: PropertyMap = {};
    for (const [k, x] of Object.entries((raw ?? {}) as Record<string, unknown>)) value[k] = walk(x, k);
    return { value, secretPaths };
}

/** Wraps the values at the given paths as secrets, the form the SDK turns into secret Outputs. */
export function encode(value: PropertyMap, secretPaths: PropertyPath[]): Record<string, unknown> {
    const secret = new Set(secretPaths);
    const walk = (v: Plain, at: string): unknown => {
        let out: unknown = v;
        if (Array.isArray(v)) out = v.map((x, i) => walk(x, childPath(at, i)));
        else if (v !== null && typeof v === "object" && v[SIG_KEY] === undefined) {
            const o: Record<string, unknown> = {};
            for (const [k, x] of Object.entries(v)) o[k] = walk(x, childPath(at, k));
            out = o;
        }
        return secret.has(at) ? { [SIG_KEY]: SECRET_SIG, value: out } : out;
    };
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(value)) out[k] = walk(x, k);
    return out;
}

/**
 * The engine hashes assets so that a changed file content is a changed input. Only path-based
 * assets and archives and string assets are modelled; remote ones and AssetArchives are refused.
 */
function withHash(obj: Record<string, unknown>): Plain {
    const h = createHash("sha256");
    if (typeof obj.text === "string") h.update(obj.text);
    else if (typeof obj.path === "string") hashPath(h, path.resolve(obj.path));
    else throw new Error(`asset or archive ${JSON.stringify(obj)} is not modelled (only path-based and string assets)`);
    const out: Record<string, Plain> = {};
    for (const [k, x] of Object.entries(obj)) out[k] = x as Plain;
    out.hash = h.digest("hex");
    return out;
}

function hashPath(h: ReturnType<typeof createHash>, p: string): void {
    const st = fs.statSync(p);
    if (!st.isDirectory()) {
        h.update(fs.readFileSync(p));
        return;
    }
    for (const name of fs.readdirSync(p).sort()) {
        h.update(`\0${name}\0`);
        hashPath(h, path.join(p, name));
    }
}

export function isUnknownOrContainsUnknown(v: Plain): boolean {
    if (v === UNKNOWN) return true;
    if (Array.isArray(v)) return v.some(isUnknownOrContainsUnknown);
    if (v !== null && typeof v === "object") return Object.values(v).some(isUnknownOrContainsUnknown);
    return false;
}

/** Deep equality of plain values; an unknown never equals anything (it may change). */
export function equal(a: Plain | undefined, b: Plain | undefined): boolean {
    if (a === UNKNOWN || b === UNKNOWN) return false;
    if (a === b) return true;
    if (a === null || b === null || a === undefined || b === undefined) return false;
    if (typeof a !== "object" || typeof b !== "object") return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => equal(x, b[i]));
    const ao = a as Record<string, Plain>;
    const bo = b as Record<string, Plain>;
    const keys = new Set([...Object.keys(ao), ...Object.keys(bo)]);
    for (const k of keys) if (!equal(ao[k] ?? null, bo[k] ?? null)) return false;
    return true;
}

/** Top-level properties whose values differ. */
export function changedKeys(olds: PropertyMap, news: PropertyMap): string[] {
    const keys = [...new Set([...Object.keys(olds), ...Object.keys(news)])].sort();
    return keys.filter((k) => !equal(olds[k] ?? null, news[k] ?? null));
}

/** Splits `a.b[0].c` into ["a", "b", 0, "c"]; `[*]` becomes "*". */
export function parsePath(p: PropertyPath): Array<string | number> {
    const parts: Array<string | number> = [];
    for (const m of p.matchAll(/([^.[\]]+)|\[(\d+|\*|"[^"]*")\]/g)) {
        if (m[1] !== undefined) parts.push(m[1]);
        else if (m[2] === "*") parts.push("*");
        else if (m[2].startsWith('"')) parts.push(m[2].slice(1, -1));
        else parts.push(Number(m[2]));
    }
    return parts;
}

export function getPath(v: PropertyMap, p: PropertyPath): Plain | undefined {
    let cur: Plain | undefined = v;
    for (const part of parsePath(p)) {
        if (cur === null || cur === undefined || typeof cur !== "object") return undefined;
        cur = (cur as Record<string | number, Plain>)[part as string];
    }
    return cur;
}

/** Sets (or, with `undefined`, removes) the value at a path, creating objects on the way. */
export function setPath(v: PropertyMap, p: PropertyPath, value: Plain | undefined): void {
    const parts = parsePath(p);
    let cur = v as Record<string | number, Plain>;
    for (const part of parts.slice(0, -1)) {
        const next = cur[part as string];
        if (next === null || next === undefined || typeof next !== "object") cur[part as string] = {};
        cur = cur[part as string] as Record<string | number, Plain>;
    }
    const last = parts[parts.length - 1] as string;
    if (value === undefined) delete cur[last];
    else cur[last] = value;
}

export function clone<T extends Plain | PropertyMap>(v: T): T {
    return JSON.parse(JSON.stringify(v)) as T;
}
