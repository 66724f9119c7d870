// kubectl (the toolchain's) with one kubeconfig, for tests: returns stdout, fails the test on an error.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tool } from "./toolchain";

/** kubectl with this kubeconfig: `(args, input?) => stdout` (trimmed); asserts a zero exit. */
export function kubectlWith(kubeconfigFile: string): (args: string[], input?: string) => string {
    const kubectl = tool("kubernetes", "kubectl");
    return (args, input) => {
        const r = spawnSync(kubectl, ["--kubeconfig", kubeconfigFile, "--request-timeout=20s", ...args], { encoding: "utf8", timeout: 60_000, input });
        assert.equal(r.status, 0, `kubectl ${args.join(" ")}: ${r.stderr}`);
        return r.stdout.trim();
    };
}
