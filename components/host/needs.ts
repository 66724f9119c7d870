import type { Checksum } from "./binary-release";
import type { Issue } from "./issues";

/** A firewall opening a component needs, and what listens there. */
export type PortNeed =
    | {
          /** Transport protocol. */
          protocol: "tcp" | "udp";
          /** The port, or the first of a range. */
          port: number;
          /** Last port of a range (NodePorts). Default: `port`. */
          toPort?: number;
          /** What listens there, for messages: "etcd clients". */
          what: string;
          /** Config path of the setting that chose this port, where a clash with an earlier declaration is reported. Default: the declaration's path. */
          path?: string;
      }
    | {
          /** An IP protocol opened as a whole (keepalived's VRRP). */
          protocol: "vrrp";
          /** What uses it, for messages. */
          what: string;
      };

/** A release a component needs unpacked on a host; equal needs of several components install once. */
export interface ReleaseNeed {
    /** Release name, part of the install path: "etcd", "kubernetes-server". */
    name: string;
    /** Release version, part of the install path. */
    version: string;
    /** URL the host fetches the artifact from. Exactly one of `url` and `localPath`. */
    url?: string;
    /** Path of the artifact on the machine running Pulumi, uploaded to the host. */
    localPath?: string;
    /** The artifact's published digest. */
    checksum: Checksum;
    /** A gzipped tarball or a single executable. */
    archive: "tar.gz" | "binary";
    /** Executables this component uses from the artifact; the merged install holds every component's. */
    binaries: string[];
    /** Member paths of binaries named otherwise inside the tarball. Default: found by name. */
    archivePaths?: Record<string, string>;
}

/** What one component needs on one host. Every field is optional in a declaration. */
export interface HostNeeds {
    /** Firewall openings. */
    ports: PortNeed[];
    /** Packages installed through the host's package manager. */
    packages: string[];
    /** Kernel modules loaded now and at boot; a missing one fails the preparation. */
    requiredModules: string[];
    /** Kernel modules loaded when available. */
    optionalModules: string[];
    /** Kernel parameters, by key. */
    sysctl: Record<string, string>;
    /** Releases to unpack. */
    releases: ReleaseNeed[];
}

/** One component's declaration for one host. */
export interface NeedsDeclaration {
    /** Who declares it (a component name), for conflict messages. */
    owner: string;
    /** Config path of the owner, for issues: "etcd", "loadBalancer". */
    path: string;
    /** What it needs. */
    needs: Partial<HostNeeds>;
}

/** The merged needs of a host, with the conflicts found while merging. */
export interface MergedNeeds {
    needs: HostNeeds;
    /** Owners by release key "<name>@<version>", and by listening port "<port>/<protocol>". */
    owners: Record<string, string[]>;
    issues: Issue[];
}

/** A port need as a firewall entry: "2379/tcp", "30000-32767/tcp", "vrrp". */
export function firewallEntry(p: PortNeed): string {
    if (p.protocol === "vrrp") return "vrrp";
    const range = p.toPort !== undefined && p.toPort !== p.port ? `${p.port}-${p.toPort}` : String(p.port);
    return `${range}/${p.protocol}`;
}

/** The release's key on a host: one install per key. */
export function releaseKey(r: Pick<ReleaseNeed, "name" | "version">): string {
    return `${r.name}@${r.version}`;
}

/** Whether two openings share a port of one protocol (VRRP is shared by design). */
function overlaps(a: PortNeed, b: PortNeed): boolean {
    if (a.protocol === "vrrp" || b.protocol === "vrrp" || a.protocol !== b.protocol) return false;
    return a.port <= (b.toPort ?? b.port) && b.port <= (a.toPort ?? a.port);
}

const sortedUnique = (values: Iterable<string>) => [...new Set(values)].sort();

/**
 * Merges the declarations of the components sharing a host (pure): one install per release,
 * binaries united; one listener per port. Two owners claiming one port, one release key with two
 * digests or sources, or one sysctl key with two values are issues naming both owners.
 */
export function mergeHostNeeds(host: string, declarations: NeedsDeclaration[]): MergedNeeds {
    const issues: Issue[] = [];
    const owners: Record<string, string[]> = {};
    const ports = new Map<string, { need: PortNeed; owner: NeedsDeclaration }>();
    const releases = new Map<string, { need: ReleaseNeed; owner: NeedsDeclaration }>();
    const sysctl = new Map<string, { value: string; owner: NeedsDeclaration }>();
    const claim = (key: string, owner: string) => {
        const list = (owners[key] ??= []);
        if (!list.includes(owner)) list.push(owner);
    };

    for (const d of declarations) {
        for (const p of d.needs.ports ?? []) {
            const key = firewallEntry(p);
            claim(key, d.owner);
            // A declaration repeating its own opening is no clash; two listeners on one port are.
            const clash = [...ports.values()].find((s) => !(s.owner.owner === d.owner && s.need.what === p.what) && overlaps(s.need, p));
            if (clash) {
                issues.push({
                    path: (p.protocol !== "vrrp" && p.path) || d.path,
                    message: `${key} for ${p.what} (${d.owner}) is also the ${clash.need.what} port on ${host} (${clash.owner.owner})`,
                    hint: "move one of them to another port or host",
                });
            }
            if (!ports.has(key)) ports.set(key, { need: p, owner: d });
        }
        for (const r of d.needs.releases ?? []) {
            const key = releaseKey(r);
            claim(key, d.owner);
            const seen = releases.get(key);
            if (!seen) {
                releases.set(key, { need: { ...r, binaries: [...r.binaries], archivePaths: { ...r.archivePaths } }, owner: d });
                continue;
            }
            const a = seen.need;
            if (a.checksum.algorithm !== r.checksum.algorithm || a.checksum.digest.toLowerCase() !== r.checksum.digest.toLowerCase()) {
                issues.push({
                    path: d.path,
                    message: `${r.name} ${r.version} on ${host} has digest ${r.checksum.digest} for ${d.owner} but ${a.checksum.digest} for ${seen.owner.owner}`,
                    hint: "give both the same release (one digest per name and version)",
                });
            } else if (a.url !== r.url || a.localPath !== r.localPath || a.archive !== r.archive) {
                issues.push({
                    path: d.path,
                    message: `${r.name} ${r.version} on ${host} comes from ${r.url ?? r.localPath} for ${d.owner} but from ${a.url ?? a.localPath} for ${seen.owner.owner}`,
                    hint: "take both from the same source",
                });
            } else {
                a.binaries = sortedUnique([...a.binaries, ...r.binaries]);
                for (const [b, member] of Object.entries(r.archivePaths ?? {})) {
                    const had = a.archivePaths?.[b];
                    if (had !== undefined && had !== member)
                        issues.push({
                            path: d.path,
                            message: `${r.name} ${r.version}: ${b} is ${member} for ${d.owner} but ${had} for ${seen.owner.owner}`,
                            hint: "use one member path",
                        });
                    else a.archivePaths = { ...a.archivePaths, [b]: member };
                }
            }
        }
        for (const [key, value] of Object.entries(d.needs.sysctl ?? {})) {
            const seen = sysctl.get(key);
            if (!seen) sysctl.set(key, { value, owner: d });
            else if (seen.value !== value)
                issues.push({
                    path: d.path,
                    message: `sysctl ${key} on ${host} is ${value} for ${d.owner} but ${seen.value} for ${seen.owner.owner}`,
                    hint: "agree on one value",
                });
        }
    }
    const all = (pick: (n: Partial<HostNeeds>) => string[] | undefined) => sortedUnique(declarations.flatMap((d) => pick(d.needs) ?? []));
    const required = all((n) => n.requiredModules);
    return {
        needs: {
            ports: [...ports.values()].map((p) => p.need).sort((a, b) => firewallEntry(a).localeCompare(firewallEntry(b))),
            packages: all((n) => n.packages),
            requiredModules: required,
            optionalModules: all((n) => n.optionalModules).filter((m) => !required.includes(m)),
            sysctl: Object.fromEntries([...sysctl].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.value])),
            releases: [...releases.values()].map((r) => r.need).sort((a, b) => releaseKey(a).localeCompare(releaseKey(b))),
        },
        owners,
        issues,
    };
}
