// The tools and releases scripts/toolchain.sh built from Go modules, for tests: where a family's
// binaries are, and a download mirror holding every release in its upstream layout.
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { ImageRecord } from "./node-runtime";

const SCRIPT = join(__dirname, "..", "..", "scripts", "toolchain.sh");

/** Shell-style KEY=value pins of toolchain/versions.env. */
export const versions: Readonly<Record<string, string>> = Object.fromEntries(
    readFileSync(join(__dirname, "..", "..", "toolchain", "versions.env"), "utf8")
        .split("\n")
        .map((l) => /^([A-Z0-9_]+)=(\S+)$/.exec(l.trim()))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => [m[1], m[2]]),
);

/** A family's cache folder (bin/, release/); throws, saying how to build it, when it is not built. */
export function familyPath(family: string): string {
    try {
        return execFileSync("bash", [SCRIPT, "path", family], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
    } catch (e) {
        const stderr = (e as { stderr?: string }).stderr ?? String(e);
        throw new Error(`the toolchain's ${family} is not available: ${stderr.trim()} (npm test builds it; or run: npm run toolchain -- build ${family})`, {
            cause: e,
        });
    }
}

/** The path of a built tool, e.g. tool("etcd", "etcdctl"). */
export function tool(family: string, name: string): string {
    return join(familyPath(family), "bin", name);
}

/** Makes `dir` a mirror of every built release (hard links; the cache is on the same disk). */
export function makeMirror(dir: string): string {
    execFileSync("bash", [SCRIPT, "mirror", dir], { stdio: ["ignore", "ignore", "pipe"] });
    return dir;
}

/** The image archives a mirror holds (its images/images.json). */
export function mirrorImages(mirror: string): ImageRecord[] {
    return JSON.parse(readFileSync(join(mirror, "images", "images.json"), "utf8")) as ImageRecord[];
}

/** The hex digest in a published checksum file: a bare digest, or `<hex>  <name>` lines. */
export function publishedDigest(checksumFile: string, fileName: string): string {
    const lines = readFileSync(checksumFile, "utf8").trim().split("\n");
    const line = lines.length === 1 && /^[0-9a-f]+$/.test(lines[0]) ? lines[0] : lines.find((l) => l.trim().split(/\s+\*?/)[1] === fileName);
    const digest = line?.trim().split(/\s+/)[0];
    if (!digest || !/^[0-9a-f]{64}([0-9a-f]{64})?$/.test(digest)) throw new Error(`${checksumFile} holds no digest for ${fileName}`);
    return digest;
}
