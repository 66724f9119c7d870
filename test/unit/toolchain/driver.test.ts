// scripts/toolchain.sh on stand-in families (no Go builds): the cache, its key, and failures.
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const SCRIPT = join(__dirname, "..", "..", "..", "scripts", "toolchain.sh");

test("the toolchain driver builds a family once, keys it by what it reads, and keeps failures out of the cache", { timeout: 60_000 }, async (t) => {
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-toolchain-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const families = join(work, "toolchain");
    const cache = join(work, "cache");
    const counter = join(work, "builds");
    mkdirSync(join(families, "tool"), { recursive: true });
    mkdirSync(join(families, "broken"), { recursive: true });
    writeFileSync(join(families, "lib.sh"), "# helpers\n");
    writeFileSync(join(families, "versions.env"), "TOOL=1.0.0\n");
    // Counts its runs and leaves a tool whose text is the pinned version.
    writeFileSync(join(families, "tool", "build.sh"), `build() { echo run >> ${counter}; echo "$TOOL" > "$OUT/bin/tool"; }\n`);
    // Fails halfway: what follows the failing command must not run, and nothing may be cached.
    writeFileSync(join(families, "broken", "build.sh"), `build() { echo half > "$OUT/bin/half"; false; echo after >> ${counter}.broken; }\n`);
    const run = (...args: string[]) =>
        spawnSync("bash", [SCRIPT, ...args], {
            encoding: "utf8",
            // Go and the Debian packages are the machine's; the driver only needs `go env` here.
            env: { ...process.env, K8S_BINARY_TOOLCHAIN_DIR: families, K8S_BINARY_TOOLCHAIN_CACHE: cache },
        });
    const builds = () => (existsSync(counter) ? readFileSync(counter, "utf8").trim().split("\n").length : 0);

    assert.equal(run("path", "tool").status, 1, "nothing is built before the first build");
    const first = run("build", "tool");
    assert.equal(first.status, 0, first.stderr);
    const path = run("path", "tool").stdout.trim();
    assert.equal(readFileSync(join(path, "bin", "tool"), "utf8"), "1.0.0\n");
    assert.equal(builds(), 1);

    assert.equal(run("build", "tool").status, 0);
    assert.equal(builds(), 1, "a second build is a cache hit");

    writeFileSync(join(families, "versions.env"), "TOOL=1.0.1\n");
    assert.equal(run("build", "tool").status, 0);
    assert.equal(builds(), 2, "a changed pin is a new key");
    const bumped = run("path", "tool").stdout.trim();
    assert.notEqual(bumped, path);
    assert.equal(readFileSync(join(bumped, "bin", "tool"), "utf8"), "1.0.1\n");

    assert.equal(existsSync(path), false, "the build of the earlier pin is pruned");

    writeFileSync(join(families, "tool", "build.sh"), readFileSync(join(families, "tool", "build.sh"), "utf8") + "# a changed recipe\n");
    assert.equal(run("build", "tool").status, 0);
    assert.equal(builds(), 3, "a changed recipe is a new key");

    const broken = run("build", "broken");
    assert.notEqual(broken.status, 0);
    assert.match(broken.stderr, /building broken failed/);
    assert.equal(existsSync(`${counter}.broken`), false, "the build stopped at the failing command");
    assert.equal(run("path", "broken").status, 1, "a failed build is not in the cache");

    // Two builds of one key at once: the second waits for the first and finds it built.
    mkdirSync(join(families, "slow"));
    writeFileSync(
        join(families, "slow", "build.sh"),
        `build() { echo run >> ${counter}.slow; while [ ! -e ${join(work, "go")} ]; do sleep 0.05; done; echo ok > "$OUT/bin/slow"; }\n`,
    );
    const env = { ...process.env, K8S_BINARY_TOOLCHAIN_DIR: families, K8S_BINARY_TOOLCHAIN_CACHE: cache };
    const both = [0, 1].map(
        () => new Promise<number | null>((resolve) => spawn("bash", [SCRIPT, "build", "slow"], { env, stdio: "ignore" }).on("exit", resolve)),
    );
    // Let the first build start (it waits for the go file), then release it.
    while (!existsSync(`${counter}.slow`)) await new Promise((r) => setTimeout(r, 20));
    writeFileSync(join(work, "go"), "");
    assert.deepEqual(await Promise.all(both), [0, 0]);
    assert.equal(readFileSync(`${counter}.slow`, "utf8"), "run\n", "built once");

    const unknown = run("build", "nosuch");
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /no family 'nosuch' \(one of: .*broken.*tool/);
});
