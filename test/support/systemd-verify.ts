import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";

/** What `systemd-analyze verify` said of a unit. */
export interface UnitVerdict {
    code: number;
    /** Every line it printed: warnings such as "Unknown key" come with exit code 0, so read them. */
    problems: string[];
}

const EXEC_KEYS = /^(ExecStart|ExecStartPre|ExecStartPost|ExecReload|ExecStop|ExecStopPost|ExecCondition)=/;

/**
 * Runs the real `systemd-analyze verify` on a rendered unit. The release binaries a unit starts
 * (kube-apiserver, etcd under /usr/local/bin) are not installed on this machine, and verify fails
 * on a missing executable, so each absent one is replaced by an executable stub at a temporary
 * path; everything else in the unit is checked as written. Units the unit names (After=, a
 * timer's Unit=) may be given in `companions` and are verified together.
 */
export function verifyUnit(name: string, text: string, companions: Record<string, string> = {}): UnitVerdict {
    const dir = mkdtempSync(join(tmpdir(), "k8s-binary-unit-"));
    try {
        const stubs = join(dir, "stubs");
        mkdirSync(stubs);
        const rewrite = (unit: string) =>
            unit
                .split("\n")
                .map((line) => {
                    if (!EXEC_KEYS.test(line)) return line;
                    return line.replace(/=([-@:+!]*)(\/[^\s]+)/, (whole, prefixes: string, path: string) => {
                        if (existsSync(path)) return whole;
                        const stub = join(stubs, basename(path));
                        writeFileSync(stub, "#!/bin/sh\nexit 0\n");
                        chmodSync(stub, 0o755);
                        return `=${prefixes}${stub}`;
                    });
                })
                .join("\n");
        const files = { [name]: text, ...companions };
        for (const [file, unit] of Object.entries(files)) writeFileSync(join(dir, file), rewrite(unit));
        const r = spawnSync("systemd-analyze", ["verify", "--man=no", ...Object.keys(files).map((f) => join(dir, f))], { encoding: "utf8" });
        const problems = `${r.stdout}${r.stderr}`
            .split("\n")
            .map((l) => l.trim())
            .filter((l) => l.length > 0);
        return { code: r.status ?? -1, problems };
    } finally {
        rmSync(dir, { recursive: true, force: true });
    }
}
