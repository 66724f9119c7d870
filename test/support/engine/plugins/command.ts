/**
 * Stand-in for pulumi-resource-command (the real plugin is not in any registry this project
 * reaches): remote.Command, remote.CopyToRemote and local.Command performed by ../command.ts.
 *
 * As the real provider (pulumi-command v1, an infer provider):
 * - Diff: any changed input is an in-place update (create/update/delete scripts, stdin,
 *   environment, connection, logging), except `triggers`, which replaces (the schema's
 *   replaceOnChanges; the SDK also sends replaceOnChanges: ["triggers[*]"]);
 * - Update runs `update`, or `create` when unset; Delete runs `delete` with the last state;
 * - secrets: every input echoed as an output keeps its secretness (connection is always secret),
 *   and stdout/stderr are secret when `create` or `update` is (WireDependencies); a secret
 *   `stdin` alone does not make stdout secret.
 */
import { commandProviders } from "../command";
import { sdkVersion, serve } from "./server";

const secretFrom = { stdout: ["create", "update"], stderr: ["create", "update"] };

serve({
    version: sdkVersion("command"),
    types: {
        "command:remote:Command": { performer: commandProviders["command:remote:Command"], secretFrom, replaceOn: ["triggers"] },
        "command:local:Command": { performer: commandProviders["command:local:Command"], secretFrom, replaceOn: ["triggers"] },
        "command:remote:CopyToRemote": { performer: commandProviders["command:remote:CopyToRemote"], replaceOn: ["triggers"] },
    },
}).catch((e) => {
    process.stderr.write(`${e instanceof Error ? e.stack : String(e)}\n`);
    process.exit(1);
});
