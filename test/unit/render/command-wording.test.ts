// The render shows what the program puts on hosts from the primitives' facts, not from their
// scripts' wording: rendered with every remote script reworded (test/support/reword-scripts.ts:
// same steps, other words), the seed 001 stack gives the same files, units, releases, summary
// and graph; only the step scripts differ.
import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";

const root = join(__dirname, "../../..");
const work = mkdtempSync(join(tmpdir(), "k8s-binary-render-wording-"));
after(() => rmSync(work, { recursive: true, force: true }));

/** Runs the render command with extra node options; resolves with its exit code and stderr. */
function render(out: string, preload: string[]): Promise<{ code: number | null; stderr: string }> {
    return new Promise((resolve) => {
        const child = spawn(
            process.execPath,
            ["--import", "tsx", ...preload.flatMap((p) => ["--import", p]), "scripts/render.ts", "stacks/Pulumi.seed001.yaml", "--out", out],
            { cwd: root },
        );
        let stderr = "";
        child.stderr.on("data", (d) => (stderr += d));
        child.on("close", (code) => resolve({ code, stderr }));
    });
}

/** Every file under a folder, by relative path. */
function tree(dir: string): Map<string, string> {
    const out = new Map<string, string>();
    const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
            const p = join(d, e.name);
            if (e.isDirectory()) walk(p);
            else out.set(relative(dir, p), readFileSync(p, "utf8"));
        }
    };
    walk(dir);
    return new Map([...out].sort(([a], [b]) => (a < b ? -1 : 1)));
}

test("reworded scripts: the same files, units, releases, summary and graph; only the steps' text differs", async () => {
    const [plainDir, rewordedDir] = [join(work, "plain"), join(work, "reworded")];
    const [plain, reworded] = await Promise.all([render(plainDir, []), render(rewordedDir, ["./test/support/reword-scripts.ts"])]);
    assert.equal(plain.code, 0, plain.stderr);
    assert.equal(reworded.code, 0, reworded.stderr);
    const [a, b] = [tree(plainDir), tree(rewordedDir)];
    assert.deepEqual([...b.keys()], [...a.keys()], "the same files");
    const isStep = (f: string) => /\/steps\/\d{3}-[^/]+\.sh$/.test(f);
    for (const [file, text] of a) if (!isStep(file)) assert.equal(b.get(file), text, `${file} is the same`);
    assert.ok([...a.keys()].filter((f) => f.endsWith("/files.txt") && a.get(f)!.split("\n").length > 10).length >= 3, "hosts with files");
    assert.match(a.get("summary.md")!, /^\| etcd \| 3\.6\.14 \| https:\/\/\S+ \| `sha256:[0-9a-f]{64}` \| master01, node01, node02 \|$/m, "releases listed");

    // The rewording reached the scripts, and they are still valid bash.
    const steps = [...a.keys()].filter(isStep);
    const changed = steps.filter((f) => b.get(f) !== a.get(f));
    assert.equal(changed.length, steps.length, "every step's text is reworded");
    assert.ok(
        changed.some((f) => b.get(f)!.includes("path_reworded=")),
        "file writes reworded",
    );
    assert.ok(
        changed.some((f) => b.get(f)!.includes("dest_reworded=")),
        "release installs reworded",
    );
    const r = spawnSync("bash", ["-c", 'for f in "$@"; do bash -n "$f" || echo "invalid: $f"; done', "check", ...changed], {
        cwd: rewordedDir,
        encoding: "utf8",
    });
    assert.equal(`${r.stdout}${r.stderr}`, "");
});
