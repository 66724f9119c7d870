import * as pulumi from "@pulumi/pulumi";
import { BinaryRelease, releaseArgsFor, type InstalledRelease } from "./binary-release";
import type { Host } from "./connection";
import { HostPrep, type HostPrepArgs } from "./host-prep";
import { firewallEntry, releaseKey, type HostNeeds } from "./needs";

/** Arguments of {@link HostPlan}. */
export interface HostPlanArgs {
    /** The host. */
    host: Host;
    /** The merged needs of every component on the host (from `mergeHostNeeds`). */
    needs: HostNeeds;
    /** Host preparation settings the needs do not decide (hosts entries, firewall, swap, time sync). Default: HostPrep's. */
    prep?: Omit<HostPrepArgs, "host" | "openPorts" | "packages" | "requiredModules" | "optionalModules" | "sysctl">;
    /** Steps every install waits for (the cluster's version guards): an install switches the binaries' links, so a refused change must come first. Default: none. */
    guards?: pulumi.Resource[];
}

/**
 * Everything host-level on one host, once whatever its roles: one preparation from the merged
 * needs, then one install per release, handed to the components that run its binaries. A release
 * leaves the host when no declaration names it any more (its BinaryRelease is deleted).
 */
export class HostPlan extends pulumi.ComponentResource {
    /** The host's preparation; installs and services run after `prep.ready`. */
    readonly prep: HostPrep;
    /** The installed releases, by "<name>@<version>". */
    readonly releases: Record<string, InstalledRelease>;

    constructor(name: string, args: HostPlanArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:HostPlan", name, {}, opts);
        const { host, needs } = args;
        this.prep = new HostPrep(
            `${name}-prep`,
            {
                ...args.prep,
                host,
                openPorts: needs.ports.map(firewallEntry),
                packages: needs.packages,
                requiredModules: needs.requiredModules,
                optionalModules: needs.optionalModules,
                sysctl: needs.sysctl,
            },
            { parent: this },
        );
        this.releases = Object.fromEntries(
            needs.releases.map((r) => [
                releaseKey(r),
                new BinaryRelease(`${name}-${r.name}-${r.version}`, releaseArgsFor(host, r), {
                    parent: this,
                    dependsOn: [this.prep.ready, ...(args.guards ?? [])],
                }),
            ]),
        );
        this.registerOutputs({});
    }

    /** The installed release of that name and version; throws when no declaration asked for it (a wiring bug). */
    release(name: string, version: string): InstalledRelease {
        const found = this.releases[releaseKey({ name, version })];
        if (!found) throw new pulumi.ResourceError(`no release ${name} ${version} is planned on this host; its component must declare it`, this);
        return found;
    }
}
