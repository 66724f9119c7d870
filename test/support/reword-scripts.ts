/**
 * Preload (`node --import tsx --import ./test/support/reword-scripts.ts …`) that rewords every
 * remote script without changing what it does: a comment line after strict mode, and the shell
 * variables path, dest, want and src renamed. What a harmless refactor of the primitives'
 * scripts looks like to a tool that reads them: test/unit/render/command-wording.test.ts
 * renders with it to show the render does not depend on the scripts' wording.
 */
import type * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";

type CommandClass = typeof command.remote.Command;
type CommandArgs = command.remote.CommandArgs;

/** A remote command line with the same steps in other words. */
export function reword(commandLine: string): string {
    return commandLine
        .replace("set -euo pipefail\n", "set -euo pipefail\n# the same steps, worded otherwise\n")
        .replace(/\$(path|dest|want|src)\b/g, "$$$1_reworded")
        .replace(/^(\s*)(path|dest|want|src)=/gm, "$1$2_reworded=");
}

// @pulumi/command's `remote.Command` is a getter reading this module's export at each use.
// The export is replaced in place, which an import binding (read-only) cannot do.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- patches the module's exports object
const commandModule = require("@pulumi/command/remote/command") as { Command: CommandClass };
const Original = commandModule.Command;
commandModule.Command = class extends Original {
    constructor(name: string, args: CommandArgs, opts?: pulumi.CustomResourceOptions) {
        const rewritten =
            args &&
            Object.fromEntries(
                Object.entries(args).map(([k, v]) => [
                    k,
                    ["create", "update", "delete"].includes(k) && v !== undefined ? pulumi.output(v as pulumi.Input<string>).apply(reword) : v,
                ]),
            );
        super(name, rewritten as CommandArgs, opts);
    }
} as CommandClass;
