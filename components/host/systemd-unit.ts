import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Host, remoteScript, shellQuote } from "./connection";
import { argsError } from "./issues";
import { contentFacts, type SystemdUnitFacts } from "./facts";
import { fingerprint } from "./fingerprint";
import { RemoteFile } from "./remote-file";

/** Arguments of {@link SystemdUnit}. */
export interface SystemdUnitArgs {
    /** The host the unit runs on. */
    host: Host;
    /** Unit name with its suffix, e.g. "etcd.service" or "etcd-backup.timer". */
    name: string;
    /** The unit file's text, written to /etc/systemd/system/<name>. */
    content: pulumi.Input<string>;
    /**
     * Fingerprints of what the unit uses (RemoteFile.contentHash of its config and certificates,
     * BinaryRelease.checksum): when any changes, the unit is restarted; when none does, nothing
     * runs. The unit's own text is always included. Default: [].
     */
    restartOn?: pulumi.Input<string>[];
    /** Enable the unit and start it now. Set false for units only started by others (a timer's service). Default: true. */
    enable?: boolean;
    /** How a change is applied: "restart", or "reload-or-restart" for daemons that reload their config on SIGHUP. Default: "restart". */
    restartCommand?: "restart" | "reload-or-restart";
}

const UNIT_DIR = "/etc/systemd/system";
const STATE_DIR = "/var/lib/k8s-binary/units";

/**
 * Renders the activation script: daemon-reload, enable, (re)start, and fail with the journal
 * when the unit is not active. `resource` is recorded as the unit's owner (see the removal script).
 */
export function renderActivateScript(name: string, enable: boolean, action: string, resource: string): string {
    const unit = shellQuote(name);
    const lines = [
        `mkdir -p ${STATE_DIR}`,
        // stdin carries the fingerprint that made this run; keep it on the host for operators.
        `cat > ${STATE_DIR}/${name}.fingerprint`,
        `echo ${shellQuote(resource)} > ${STATE_DIR}/${name}.owner`,
        `systemctl daemon-reload`,
    ];
    if (enable) {
        lines.push(
            `systemctl enable --quiet ${unit}`,
            `systemctl ${action} ${unit}`,
            `if ! systemctl is-active --quiet ${unit}; then`,
            `  echo "${name} is not active after ${action}:" >&2`,
            `  journalctl -u ${unit} -n 30 --no-pager >&2 || true`,
            `  exit 1`,
            `fi`,
        );
    }
    return lines.join("\n");
}

/**
 * Renders the removal script: stop and disable the unit, remove it, reload systemd. When a
 * renamed resource has already taken the unit over (Pulumi creates the new before deleting the
 * old), the old one's removal leaves it running.
 */
export function renderDeactivateScript(name: string, resource: string): string {
    const unit = shellQuote(name);
    return [
        `owner=$(cat ${STATE_DIR}/${name}.owner 2>/dev/null || true)`,
        `if [ -n "$owner" ] && [ "$owner" != ${shellQuote(resource)} ]; then echo "${name} now belongs to $owner: left running"; exit 0; fi`,
        `systemctl disable --now --quiet ${unit} 2>/dev/null || true`,
        `rm -f ${UNIT_DIR}/${name} ${STATE_DIR}/${name}.fingerprint ${STATE_DIR}/${name}.owner`,
        `systemctl daemon-reload`,
        `systemctl reset-failed ${unit} 2>/dev/null || true`,
    ].join("\n");
}

/**
 * A systemd unit on a host: its file, daemon-reload, `enable --now`; a restart exactly when the
 * unit or anything listed in `restartOn` changes; disable, stop and remove on delete.
 */
export class SystemdUnit extends pulumi.ComponentResource {
    /** The unit file. */
    readonly unitFile: RemoteFile;
    /** The step that enables and (re)starts the unit; depend on it to run after the unit is up. */
    readonly activation: command.remote.Command;
    /** What this puts on the host, registered as the `facts` output (unit text only when not secret). */
    readonly facts: pulumi.Output<SystemdUnitFacts>;

    constructor(name: string, args: SystemdUnitArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:SystemdUnit", name, {}, opts);
        if (!/^[A-Za-z0-9@._-]+\.(service|timer|socket|path|mount|target)$/.test(args.name))
            throw argsError(this, "SystemdUnit", name, [{ path: "name", message: `"${args.name}" is not a unit name`, hint: 'write it like "etcd.service"' }]);
        const enable = args.enable ?? true;
        this.unitFile = new RemoteFile(
            `${name}-file`,
            {
                host: args.host,
                path: `${UNIT_DIR}/${args.name}`,
                content: args.content,
            },
            { parent: this },
        );
        const script = renderActivateScript(args.name, enable, "restart", name);
        const updateScript = renderActivateScript(args.name, enable, args.restartCommand ?? "restart", name);
        this.activation = new command.remote.Command(
            `${name}-activate`,
            {
                connection: args.host.connection,
                create: remoteScript(args.host, script),
                update: remoteScript(args.host, updateScript),
                delete: remoteScript(args.host, renderDeactivateScript(args.name, name)),
                // A changed fingerprint is an in-place update: exactly one restart, no replacement.
                stdin: fingerprint([this.unitFile.contentHash, ...(args.restartOn ?? [])]),
                logging: "stderr",
            },
            {
                parent: this,
                dependsOn: [this.unitFile.command],
                // Never two resources for one unit name: the old one is removed before a new one starts.
                deleteBeforeReplace: true,
            },
        );
        this.facts = contentFacts(args.content).apply((c) => ({ kind: "unit" as const, host: args.host.name, unit: args.name, enabled: enable, ...c }));
        this.registerOutputs({ facts: this.facts });
    }
}
