import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { Host, remoteScript, shellQuote } from "./connection";
import { fingerprint } from "./fingerprint";
import { WaitFor } from "./wait-for";

/** One host's link in a {@link RestartChain}. */
export interface RollingRestartArgs {
    /** The host whose service restarts. */
    host: Host;
    /** The systemd unit restarted, e.g. "etcd.service". Its first start is SystemdUnit's job. */
    unit: string;
    /** Fingerprints of what the service runs on (config hashes, release checksum): a change restarts it, in chain order. */
    restartOn: pulumi.Input<string>[];
    /** The readiness check that must pass after the restart before the next link may restart. */
    ready: {
        /** What is awaited, in words: it heads the timeout error. */
        description: string;
        /** Bash that exits 0 once the service (or the whole cluster) is ready. */
        check: pulumi.Input<string>;
        /** Default: WaitFor's. */
        timeoutSeconds?: number;
    };
    /** Steps the restart comes after besides the previous link, e.g. the unit's SystemdUnit. Default: none. */
    after?: pulumi.Resource[];
    /**
     * A TCP port whose new connections are refused (iptables, reset) while the unit restarts, so a
     * load balancer in front passes them to another backend. Default: none.
     */
    refuseConnectionsOn?: number;
}

/** One link: the restart step and the readiness gate that follows it. */
export interface RollingRestartStep {
    /** Runs only on update (a changed fingerprint); nothing on create. */
    restart: command.remote.Command;
    /** Passes once the service is ready again; the next link starts after it. */
    ready: WaitFor;
    /** The fingerprint that drives the restart. */
    fingerprint: pulumi.Output<string>;
}

/**
 * Restarts a unit, failing with its journal when it does not come back active. Reads (and drops)
 * the fingerprint on stdin. With `refusePort`, new connections to that port are refused from
 * before the stop until the unit runs again: a connection the kernel completes while a stopping
 * service closes its listener is reset, and one accepted just before is closed unanswered; a
 * refused one the load balancer passes on. Established connections finish.
 */
export function renderUnitRestartScript(unit: string, refusePort?: number): string {
    const u = shellQuote(unit);
    const restart = [`systemctl restart ${u}`, `systemctl is-active --quiet ${u} || { journalctl -u ${u} -n 30 --no-pager >&2; exit 1; }`];
    if (refusePort === undefined) return ["cat > /dev/null", ...restart].join("\n");
    const comment = shellQuote(`k8s-binary: ${unit} restarting`);
    return [
        "cat > /dev/null",
        `rule=(INPUT -p tcp --dport ${refusePort} --syn -m comment --comment ${comment} -j REJECT --reject-with tcp-reset)`,
        // A rule left behind by an interrupted run goes first.
        `while iptables -w -D "\${rule[@]}" 2>/dev/null; do :; done`,
        `trap 'iptables -w -D "\${rule[@]}"' EXIT`,
        `iptables -w -I "\${rule[@]}"`,
        ...restart,
    ].join("\n");
}

/**
 * Rolling restarts, one host at a time: each link's restart runs after the previous link's
 * readiness gate, so at most one host is down and the next goes only once the service (say, the
 * whole etcd cluster) is ready again. Links are added in the order they roll; anything else that
 * must take its turn (an etcd member joining) depends on {@link last}.
 */
export class RestartChain {
    private tail: WaitFor | undefined;

    /** The last link's readiness gate, or undefined before the first link. */
    get last(): WaitFor | undefined {
        return this.tail;
    }

    /** Adds the next link: `<name>-restart`, then `<name>-healthy`, both children of `opts.parent`. */
    add(name: string, args: RollingRestartArgs, opts: pulumi.ComponentResourceOptions): RollingRestartStep {
        const previous = this.tail ? [this.tail] : [];
        const print = fingerprint(args.restartOn);
        const restart = new command.remote.Command(
            `${name}-restart`,
            {
                connection: args.host.connection,
                // A changed fingerprint is an in-place update, which restarts; the first start is the unit's.
                update: remoteScript(args.host, renderUnitRestartScript(args.unit, args.refuseConnectionsOn)),
                stdin: print,
                logging: "stderr",
            },
            { ...opts, dependsOn: [...(args.after ?? []), ...previous] },
        );
        const ready = new WaitFor(
            `${name}-healthy`,
            {
                host: args.host,
                description: args.ready.description,
                check: args.ready.check,
                triggers: [print],
                timeoutSeconds: args.ready.timeoutSeconds,
                after: [restart],
            },
            opts,
        );
        this.tail = ready;
        return { restart, ready, fingerprint: print };
    }
}
