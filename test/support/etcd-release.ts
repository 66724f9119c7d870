import { execFile, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, mkdirSync, readFileSync, rmSync } from "node:fs";
import { join } from "node:path";

/** A release tarball made for the bench, and what BinaryRelease needs to install it. */
export interface EtcdRelease {
    /** The tarball's file name, e.g. "etcd-v3.4.23-linux-amd64.tar.gz". */
    file: string;
    version: string;
    sha256: string;
}

/** The version of the machine's etcd, from `etcd --version` ("3.4.23"). */
export function installedEtcdVersion(etcd = "/usr/bin/etcd"): string {
    const r = spawnSync(etcd, ["--version"], { encoding: "utf8" });
    const m = /etcd Version: (\d+\.\d+\.\d+)/.exec(r.stdout ?? "");
    if (r.status !== 0 || !m) throw new Error(`cannot read the etcd version from ${etcd} --version: ${r.stderr || r.stdout}`);
    return m[1];
}

/**
 * Packs Debian's etcd binaries (etcd-server, etcd-client) into a tarball laid out like an
 * upstream release, `etcd-v<version>-linux-amd64/{etcd,etcdctl}`, in `dir`. The machine cannot
 * download upstream releases; this gives the component the same kind of artefact to fetch and
 * verify by sha256.
 */
export async function packEtcdRelease(dir: string, binDir = "/usr/bin"): Promise<EtcdRelease> {
    const version = installedEtcdVersion(join(binDir, "etcd"));
    const top = `etcd-v${version}-linux-amd64`;
    const staging = join(dir, `.${top}`);
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(join(staging, top), { recursive: true });
    for (const b of ["etcd", "etcdctl"]) copyFileSync(join(binDir, b), join(staging, top, b));
    const file = `${top}.tar.gz`;
    // gzip -1: the tarball is made on every test run; -9 would add seconds for nothing.
    // Asynchronous, so a test can pack while its bench boots.
    await new Promise<void>((resolve, reject) => {
        execFile("tar", ["-cf", join(dir, file), "--use-compress-program=gzip -1", "--owner=0", "--group=0", "-C", staging, top], (error, _out, stderr) => {
            rmSync(staging, { recursive: true, force: true });
            if (error) reject(new Error(`packing ${file}: ${stderr || error.message}`));
            else resolve();
        });
    });
    const sha256 = createHash("sha256").update(readFileSync(join(dir, file))).digest("hex");
    return { file, version, sha256 };
}
