/**
 * A Kubernetes cluster on this machine, deployed by this program: hosts in network namespaces,
 * the toolchain's releases, the Pulumi engine (docs/sandbox.md).
 *   npm run sandbox -- up [--topology seed001|small] [--flannel ...] [--backend ...]
 *   npm run sandbox -- preview | status | down
 */
import { down, preview, status, up } from "./sandbox/commands";
import { parseArgs } from "./sandbox/options";
import { sandboxPaths } from "./sandbox/paths";

async function main(argv: string[]): Promise<void> {
    const { command, options } = parseArgs(argv);
    const paths = sandboxPaths();
    const log = (line: string) => console.log(line);
    if (command === "up") await up(paths, options, log);
    else if (command === "preview") await preview(paths, log);
    else if (command === "status") status(paths, log);
    else await down(paths, log);
}

main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
});
