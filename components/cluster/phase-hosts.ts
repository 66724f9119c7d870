import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { HostPlan, remoteScript, type Host, type MergedNeeds } from "../host";
import type { ClusterSpec } from "../cluster-spec/schema";
import { isNodeHost } from "../cluster-spec/hosts";
import { renderVersionGuardScript, renderVersionRecordRemoval, versionRules } from "./version-guard";

/**
 * Phase 1: every host prepared once whatever its roles, from the merged declarations of the
 * components on it, and each release installed once per host — after every host's version guard,
 * so a refused upgrade installs nothing anywhere.
 */
export function prepareHosts(parent: pulumi.Resource, spec: ClusterSpec, hosts: Map<string, Host>, needs: Map<string, MergedNeeds>): Map<string, HostPlan> {
    const hostsEntries = spec.hosts.map((e) => ({ name: e.name, address: e.address }));
    const guards = versionGuards(parent, spec, hosts);
    return new Map(
        spec.hosts.map((h) => [
            h.name,
            new HostPlan(
                h.name,
                {
                    host: hosts.get(h.name)!,
                    needs: needs.get(h.name)!.needs,
                    prep: { hostsEntries },
                    guards,
                },
                { parent },
            ),
        ]),
    );
}

/** One version guard per host running Kubernetes (docs/upgrade.md): it runs whenever the versions asked of the host change. */
function versionGuards(parent: pulumi.Resource, spec: ClusterSpec, hosts: Map<string, Host>): command.remote.Command[] {
    const b = spec.binaries;
    return spec.hosts.flatMap((h) => {
        const rules = versionRules({
            host: h.name,
            apiserver: b.kubernetes.version,
            controlPlane: h.roles.includes("control-plane"),
            kubelet: isNodeHost(spec, h) ? (b.kubernetesNode ?? b.kubernetes).version : undefined,
            kubeletPath: b.kubernetesNode ? "binaries.kubernetesNode.version" : "binaries.kubernetes.version",
        });
        if (rules.length === 0) return [];
        const host = hosts.get(h.name)!;
        const script = remoteScript(host, renderVersionGuardScript(rules));
        return [
            new command.remote.Command(
                `${h.name}-kubernetes-version`,
                { connection: host.connection, create: script, update: script, delete: remoteScript(host, renderVersionRecordRemoval()), logging: "stderr" },
                // One record per host: a replacement removes the old one before the new one writes it.
                { parent, deleteBeforeReplace: true },
            ),
        ];
    });
}
