// Writes a render to its folder, replacing an earlier render there and nothing else.
import * as fs from "node:fs";
import * as path from "node:path";
import YAML from "yaml";
import type { Rendered } from "./collect";
import { renderFileIndex, renderGraph, renderUnitIndex, renderStep, renderSummary, stepFileName, type RunNotes } from "./report";

const SUMMARY = "summary.md";

/** Throws unless `dir` is absent, empty, or holds an earlier render (which `writeRender` replaces). */
export function checkOutDir(dir: string): void {
    if (!fs.existsSync(dir)) return;
    if (!fs.statSync(dir).isDirectory()) throw new Error(`${dir} is not a folder: choose another --out`);
    const entries = fs.readdirSync(dir);
    if (entries.length === 0) return;
    if (!entries.includes(SUMMARY) || !fs.readFileSync(path.join(dir, SUMMARY), "utf8").startsWith("# Render of stack ")) {
        throw new Error(`${dir} is not empty and holds no earlier render: choose another --out folder`);
    }
}

/** Empties `dir` when it holds an earlier render. */
function prepare(dir: string): void {
    checkOutDir(dir);
    if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true });
}

function write(file: string, text: string): void {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, text);
}

/** Writes every file of the render; returns how many. */
export function writeRender(dir: string, r: Rendered, notes: RunNotes): number {
    prepare(dir);
    let count = 0;
    const put = (rel: string, text: string) => {
        write(path.join(dir, rel), text);
        count++;
    };
    put(SUMMARY, renderSummary(r, notes));
    put("graph.txt", renderGraph(r));
    for (const h of r.hosts) {
        const base = path.posix.join("hosts", h.name);
        put(path.posix.join(base, "files.txt"), renderFileIndex(h));
        put(path.posix.join(base, "units.txt"), renderUnitIndex(h));
        for (const f of h.files) put(path.posix.join(base, "files", f.path), f.content);
        h.steps.forEach((s, i) => put(path.posix.join(base, "steps", stepFileName(i, s)), renderStep(h, s)));
    }
    for (const o of r.clusterObjects) {
        const kind = o.type.replace(/^kubernetes:/, "").replace(/[^A-Za-z0-9._-]+/g, "-");
        put(path.posix.join("cluster", kind, `${o.name.replace(/[^A-Za-z0-9._-]+/g, "_")}.yaml`), YAML.stringify(o.inputs, { sortMapEntries: true }));
    }
    return count;
}
