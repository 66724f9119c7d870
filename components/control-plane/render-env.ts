/** The flags of a control-plane service as one EnvironmentFile variable its unit expands (`ExecStart=<bin> $VAR`). */
import { flagValueProblem } from "./plan";

/** The variable kube-apiserver.service expands into its flags. */
export const APISERVER_ARGS_VAR = "KUBE_APISERVER_ARGS";
/** The variable kube-controller-manager.service expands into its flags. */
export const CONTROLLER_MANAGER_ARGS_VAR = "KUBE_CONTROLLER_MANAGER_ARGS";
/** The variable kube-scheduler.service expands into its flags. */
export const SCHEDULER_ARGS_VAR = "KUBE_SCHEDULER_ARGS";

/**
 * One EnvironmentFile line `VARIABLE="--a=1 --b=2"`, flags sorted by name (stable diffs). The unit
 * uses `$VARIABLE` unquoted, which systemd splits at whitespace into one argument per flag; so no
 * value may hold whitespace, quotes, backslashes or `$` (the plan refuses them in extra flags, and
 * this throws on them, naming the flag only, never the value).
 */
export function renderFlagsEnv(variable: string, flags: Record<string, string>): string {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(variable)) throw new Error(`"${variable}" is not an environment variable name`);
    const words = Object.keys(flags)
        .sort()
        .map((name) => {
            if (!/^[a-z0-9][a-z0-9-]*$/.test(name)) throw new Error(`"${name}" is not a flag name`);
            const problem = flagValueProblem(flags[name]);
            if (problem) throw new Error(`flag --${name}: ${problem}`);
            return `--${name}=${flags[name]}`;
        });
    return `# Read by the service's unit, which passes $${variable} as its flags: a change restarts the service.\n${variable}="${words.join(" ")}"\n`;
}

/**
 * The [Service] lines that run `binPath` with the flags of {@link renderFlagsEnv}'s `variable`,
 * read from `envFile`.
 */
export function renderFlagsExec(envFile: string, binPath: string, variable: string): string {
    return `EnvironmentFile=${envFile}
# Unquoted on purpose: systemd splits the variable at whitespace, one argument per flag.
ExecStart=${binPath} $${variable}`;
}
