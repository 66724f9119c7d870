import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Host, remoteScript, shellQuote } from "./connection";
import { argsError } from "./issues";
import { fingerprint } from "./fingerprint";

/** Arguments of {@link WaitFor}. */
export interface WaitForArgs {
    /** The host the check runs on. */
    host: Host;
    /** What is awaited, in words ("etcd cluster healthy"): it heads the timeout error. */
    description: string;
    /** A bash snippet; the wait is over when it exits 0. Its last output is shown on timeout. */
    check: pulumi.Input<string>;
    /** How long to keep trying, in seconds. Default: 120. */
    timeoutSeconds?: number;
    /** Pause between tries, in seconds. Default: 2. */
    intervalSeconds?: number;
    /** Values whose change makes the wait run again (e.g. the restart it follows). Default: []. */
    triggers?: pulumi.Input<string>[];
    /** Steps the first try waits for (e.g. the restart it follows). Default: none. */
    after?: pulumi.Resource[];
}

/** Renders the poll loop. The check runs in a subshell so its `exit` or `set -e` cannot end the loop. */
export function renderWaitScript(description: string, check: string, timeoutSeconds: number, intervalSeconds: number): string {
    return [
        `cat > /dev/null`,
        `deadline=$(( $(date +%s) + ${timeoutSeconds} ))`,
        `out=$(mktemp)`,
        `trap 'rm -f "$out"' EXIT`,
        `until ( ${check.trim()} ) > "$out" 2>&1; do`,
        `  if [ "$(date +%s)" -ge "$deadline" ]; then`,
        `    echo ${shellQuote(`timed out after ${timeoutSeconds}s waiting for: ${description}`)}" on $(hostname). Last check output:" >&2`,
        `    tail -n 20 "$out" >&2`,
        `    exit 1`,
        `  fi`,
        `  sleep ${intervalSeconds}`,
        `done`,
    ].join("\n");
}

/** A readiness poll on a host: succeeds once `check` passes, fails clearly after the timeout. */
export class WaitFor extends pulumi.ComponentResource {
    /** The polling step (for `dependsOn`). */
    readonly command: command.remote.Command;

    constructor(name: string, args: WaitForArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:WaitFor", name, {}, opts);
        const timeout = args.timeoutSeconds ?? 120;
        const interval = args.intervalSeconds ?? 2;
        const issues = Object.entries({ timeoutSeconds: timeout, intervalSeconds: interval })
            .filter(([, v]) => !(v > 0))
            .map(([path, v]) => ({ path, message: `${v} must be positive`, hint: `waiting for "${args.description}" needs a time to wait` }));
        if (issues.length > 0) throw argsError(this, "WaitFor", name, issues);
        this.command = new command.remote.Command(
            `${name}-wait`,
            {
                connection: args.host.connection,
                create: pulumi.output(args.check).apply((check) => remoteScript(args.host, renderWaitScript(args.description, check, timeout, interval))),
                // Re-runs in place when a trigger changes, e.g. after the restart it follows.
                stdin: fingerprint(args.triggers ?? []),
                logging: "stderr",
            },
            { parent: this, dependsOn: args.after },
        );
        this.registerOutputs({});
    }

    /** `value`, once the wait is over: a readiness gate for what may use the thing awaited. */
    whenReady<T>(value: pulumi.Input<T>): pulumi.Output<T> {
        return pulumi.all([this.command.urn, value]).apply(([, v]) => v as T);
    }
}

/**
 * `value`, once every one of `after` is known: makes a resource wait for others without changing
 * what it receives. `value` derives from none of them, so it does not inherit their secrecy (a
 * key's hash among `after` must not hide a unit file from the preview).
 */
export function gate<T>(after: pulumi.Input<unknown>[], value: T): pulumi.Output<T> {
    return pulumi.unsecret(pulumi.all(after).apply(() => value));
}
