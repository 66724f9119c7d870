// From the recorded registrations to what a reviewer reads: per host the files written and the
// steps run, the in-cluster objects, the certificates and the releases. Everything sorted, so
// the result depends only on what the program declared.
import { renderWriteFileScript } from "../../components/host/remote-file";
import type { ClusterSpec } from "../../components/spec";
import { containsSecret, isSecret, unwrap, type Registration } from "./mocks";
import { SECRET_PLACEHOLDER, type Substitutions } from "./placeholders";
import { assignment, parseRemoteScript, unquoteWord } from "./shell-words";

/** A file a step writes on a host. */
export interface RenderedFile {
    path: string;
    mode: string;
    owner: string;
    group: string;
    /** The content, placeholders in place of keys, certificates and random values. */
    content: string;
    /** Whether the content is secret at deploy (a Pulumi secret, or holding a key or random placeholder). */
    secret: boolean;
    /** The step that writes it. */
    resource: string;
}

/** A step run on a host. */
export interface RenderedStep {
    /** Position in the deployment order: a topological order of the dependencies, ties by name. */
    order: number;
    resource: string;
    type: string;
    sudo: boolean;
    /** The scripts, by when they run: create, update, delete. */
    scripts: { when: "create" | "update" | "delete"; body: string }[];
    /** What the step reads on stdin, if anything; for a file write, the path it writes. */
    stdin?: { text: string; secret: boolean } | { file: string };
    /** For an upload: the file on the machine running Pulumi and where it lands. */
    upload?: { from: string; to: string };
    /** Other resources this step waits for itself. */
    after: string[];
    /** How many more it waits for through its components' dependencies. */
    inheritedCount: number;
}

export interface RenderedHost {
    name: string;
    address: string;
    roles: string[];
    files: RenderedFile[];
    steps: RenderedStep[];
}

/** A certificate and the authority that signs it, as the program requests them. */
export interface RenderedCertificate {
    /** The component's name (Certificate or CertificateAuthority). */
    name: string;
    /** The signing authority's name; "self-signed" for an authority. */
    issuer: string;
    commonName: string;
    organization: string[];
    dnsNames: string[];
    ipAddresses: string[];
    allowedUses: string[];
    validityHours: number;
    /** "host:path" of every file holding the certificate. */
    installedAt: string[];
}

/** A release as a host installs it. */
export interface RenderedRelease {
    name: string;
    version: string;
    source: string;
    checksum: string;
    hosts: string[];
}

export interface GraphNode {
    name: string;
    type: string;
    parent?: string;
    dependencies: string[];
    /** Inputs that are (or hold) Pulumi secrets, besides the connection (secret through the SSH key). */
    secretInputs: string[];
    /** Depth in the parent tree: 0 for the program's top-level resources. */
    depth: number;
}

export interface Rendered {
    hosts: RenderedHost[];
    /** `kubernetes:*` resources: their inputs, by type and name. */
    clusterObjects: { type: string; name: string; inputs: unknown }[];
    certificates: RenderedCertificate[];
    releases: RenderedRelease[];
    graph: GraphNode[];
    /** Remote resources whose host could not be told from their connection. */
    unplaced: string[];
}

const byName = (a: { name: string }, b: { name: string }) => compare(a.name, b.name);
/** Code-point order: the same on every machine and locale. */
export function compare(a: string, b: string): number {
    return a < b ? -1 : a > b ? 1 : 0;
}

/** A readable label of a resource: its name, and its type's last segment. */
export function label(r: Pick<Registration, "name" | "type">): string {
    return `${r.name} (${r.type.split(":").pop()})`;
}

/** Deployment order: Kahn's algorithm over the dependencies, a child also waiting for its ancestors' (the SDK registers it only after its parent), ties broken by name. */
function deploymentOrder(regs: Registration[], waitsFor: Map<string, Set<string>>): Map<string, number> {
    const key = new Map(regs.map((r) => [r.urn, `${r.name}\u0000${r.type}`]));
    const remaining = new Map(regs.map((r) => [r.urn, new Set([...waitsFor.get(r.urn)!].filter((d) => d !== r.urn && key.has(d)))]));
    const order = new Map<string, number>();
    while (remaining.size > 0) {
        const ready = [...remaining].filter(([, deps]) => deps.size === 0).map(([urn]) => urn);
        // A cycle cannot come from a Pulumi program; should one appear, place the rest by name.
        const next = (ready.length > 0 ? ready : [...remaining.keys()]).sort((a, b) => compare(key.get(a)!, key.get(b)!))[0];
        order.set(next, order.size);
        remaining.delete(next);
        for (const deps of remaining.values()) deps.delete(next);
    }
    return order;
}

/** Reads a RemoteFile write back from its script; undefined when the step is anything else. */
function fileWrite(body: string): Omit<RenderedFile, "content" | "secret" | "resource"> | undefined {
    const script = body.replace(/^set -euo pipefail\n/, "").replace(/\n$/, "");
    const path = assignment(script, "path");
    const owned = /^echo (\S+) > /m.exec(script);
    const chown = /^chown (\S+) "\$tmp"$/m.exec(script);
    const chmod = /^chmod (\S+) "\$tmp"$/m.exec(script);
    if (path === undefined || !owned || !chown || !chmod) return undefined;
    const [resource, ownerGroup, mode] = [unquoteWord(owned[1]), unquoteWord(chown[1]), unquoteWord(chmod[1])];
    if (resource === undefined || ownerGroup === undefined || mode === undefined) return undefined;
    const [owner, group] = ownerGroup.split(":");
    // Only the exact script RemoteFile renders counts as a file write.
    if (renderWriteFileScript(path, mode, owner, group ?? owner, resource) !== script) return undefined;
    return { path, mode, owner, group: group ?? owner };
}

export function collect(spec: ClusterSpec, regs: Registration[], subs: Substitutions): Rendered {
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const nameOf = (urn: string) => byUrn.get(urn) ? label(byUrn.get(urn)!) : urn;
    const waitsFor = new Map<string, Set<string>>();
    const inherited = (urn: string): Set<string> => {
        const known = waitsFor.get(urn);
        if (known) return known;
        const r = byUrn.get(urn);
        const deps = new Set(r ? [...r.dependencies, ...(r.parent && byUrn.has(r.parent) ? inherited(r.parent) : [])] : []);
        waitsFor.set(urn, deps);
        return deps;
    };
    for (const r of regs) inherited(r.urn);
    const order = deploymentOrder(regs, waitsFor);

    const hostByAddress = new Map(spec.hosts.map((h) => [h.address, h]));
    const hosts = new Map<string, RenderedHost>(spec.hosts.map((h) => [h.name, { name: h.name, address: h.address, roles: [...h.roles], files: [], steps: [] }]));
    const unplaced: string[] = [];
    const text = (value: unknown) => subs.apply(String(unwrap(value)));

    for (const r of regs) {
        if (!r.custom || !r.type.startsWith("command:remote:")) continue;
        const connection = unwrap(r.inputs.connection) as { host?: string } | undefined;
        const spot = connection?.host !== undefined ? hostByAddress.get(connection.host) : undefined;
        const host = spot ? hosts.get(spot.name)! : undefined;
        if (!host) {
            unplaced.push(label(r));
            continue;
        }
        const scripts: RenderedStep["scripts"] = [];
        let sudo = false;
        for (const when of ["create", "update", "delete"] as const) {
            const line = r.inputs[when];
            if (line === undefined) continue;
            const parsed = parseRemoteScript(text(line));
            sudo ||= parsed?.sudo ?? false;
            scripts.push({ when, body: parsed?.body ?? `# not a remoteScript command line, run as given:\n${text(line)}\n` });
        }
        let upload: RenderedStep["upload"];
        if (r.type === "command:remote:CopyToRemote") {
            const source = unwrap(r.inputs.source) as { asset?: string; value?: string } | undefined;
            upload = { from: source?.asset === "file" ? String(source.value) : `a ${source?.asset ?? "unknown"} asset`, to: String(unwrap(r.inputs.remotePath)) };
            scripts.push({ when: "create", body: `# uploads ${upload.from} over SFTP to ${upload.to}\n` });
        }
        const step: RenderedStep = {
            order: order.get(r.urn)!, resource: r.name, type: r.type, sudo, scripts, upload,
            after: r.dependencies.map(nameOf).sort(compare),
            inheritedCount: [...waitsFor.get(r.urn)!].filter((d) => !r.dependencies.includes(d)).length,
        };
        const written = scripts[0]?.when === "create" ? fileWrite(scripts[0].body) : undefined;
        if (written && r.inputs.stdin !== undefined) {
            const content = text(r.inputs.stdin);
            host.files.push({ ...written, content, secret: isSecret(r.inputs.stdin) || SECRET_PLACEHOLDER.test(content), resource: r.name });
            step.stdin = { file: written.path };
        } else if (r.inputs.stdin !== undefined) {
            const stdin = text(r.inputs.stdin);
            step.stdin = { text: stdin, secret: isSecret(r.inputs.stdin) || SECRET_PLACEHOLDER.test(stdin) };
        }
        host.steps.push(step);
    }
    for (const h of hosts.values()) {
        h.files.sort((a, b) => compare(a.path, b.path) || compare(a.resource, b.resource));
        h.steps.sort((a, b) => a.order - b.order);
    }

    const clusterObjects = regs
        .filter((r) => r.type.startsWith("kubernetes:"))
        .map((r) => ({ type: r.type, name: r.name, inputs: JSON.parse(subs.apply(JSON.stringify(unwrap(r.inputs)))) as unknown }))
        .sort((a, b) => compare(a.type, b.type) || byName(a, b));

    return {
        hosts: [...hosts.values()],
        clusterObjects,
        certificates: certificates(regs, byUrn, [...hosts.values()]),
        releases: releases([...hosts.values()]),
        graph: graph(regs, byUrn, nameOf),
        unplaced: unplaced.sort(compare),
    };
}

/** Every resource, depth first through the parent tree, children by name. */
function graph(regs: Registration[], byUrn: Map<string, Registration>, nameOf: (urn: string) => string): GraphNode[] {
    const children = new Map<string, Registration[]>();
    for (const r of regs) {
        const parent = r.parent && byUrn.has(r.parent) ? r.parent : "";
        children.set(parent, [...(children.get(parent) ?? []), r]);
    }
    const out: GraphNode[] = [];
    const visit = (parent: string, depth: number) => {
        for (const r of (children.get(parent) ?? []).sort((a, b) => compare(label(a), label(b)))) {
            out.push({
                name: label(r),
                type: r.type,
                parent: parent ? nameOf(parent) : undefined,
                dependencies: r.dependencies.map(nameOf).sort(compare),
                secretInputs: Object.keys(r.inputs).filter((k) => k !== "connection" && containsSecret(r.inputs[k])).sort(compare),
                depth,
            });
            visit(r.urn, depth + 1);
        }
    };
    visit("", 0);
    return out;
}

function certificates(regs: Registration[], byUrn: Map<string, Registration>, hosts: RenderedHost[]): RenderedCertificate[] {
    const componentName = (r: Registration) => byUrn.get(r.parent)?.name ?? r.name;
    const certNameToComponent = new Map<string, string>();
    for (const r of regs) if (/Cert$/.test(r.type) && r.type.startsWith("tls:")) certNameToComponent.set(r.name, componentName(r));
    const installedAt = (certResource: string) => hosts.flatMap((h) => h.files
        .filter((f) => f.content.includes(`<certificate ${certResource}:`))
        .map((f) => `${h.name}:${f.path}`));
    const out: RenderedCertificate[] = [];
    for (const r of regs) {
        const inputs = unwrap(r.inputs) as Record<string, any>;
        let subjectFrom: Record<string, any> | undefined;
        let issuer = "self-signed";
        if (r.type === "tls:index/selfSignedCert:SelfSignedCert") subjectFrom = inputs;
        else if (r.type === "tls:index/locallySignedCert:LocallySignedCert") {
            // The request it signs is its sibling in the Certificate component.
            const request = regs.find((c) => c.type === "tls:index/certRequest:CertRequest" && c.parent === r.parent);
            subjectFrom = request && (unwrap(request.inputs) as Record<string, any>);
            const ca = /<certificate (\S+): issued at deploy>/.exec(String(inputs.caCertPem ?? ""));
            issuer = ca ? certNameToComponent.get(ca[1]) ?? ca[1] : "unknown";
        } else continue;
        const subject = (subjectFrom?.subject ?? {}) as { commonName?: string; organization?: string | string[] };
        out.push({
            name: componentName(r),
            issuer,
            commonName: subject.commonName ?? "",
            organization: [subject.organization ?? []].flat(),
            dnsNames: [...(subjectFrom?.dnsNames ?? [])],
            ipAddresses: [...(subjectFrom?.ipAddresses ?? [])],
            allowedUses: [...(inputs.allowedUses ?? [])],
            validityHours: Number(inputs.validityPeriodHours ?? 0),
            installedAt: installedAt(r.name).sort(compare),
        });
    }
    return out.sort(byName);
}

/** Releases as the hosts install them, read back from BinaryRelease install scripts. */
function releases(hosts: RenderedHost[]): RenderedRelease[] {
    const found = new Map<string, RenderedRelease>();
    for (const h of hosts) {
        for (const step of h.steps) {
            const body = step.scripts.find((s) => s.when === "create")?.body ?? "";
            const dest = assignment(body, "dest");
            const want = assignment(body, "want");
            const algorithm = /got=\$\((sha\d+)sum /.exec(body)?.[1];
            const m = dest !== undefined ? /^\/opt\/k8s-binary\/([^/]+)\/([^/]+)$/.exec(dest) : null;
            if (!m || want === undefined || !algorithm) continue;
            const src = assignment(body, "src") ?? "";
            const upload = h.steps.find((s) => s.upload?.to === src)?.upload;
            const source = upload ? `uploaded from ${upload.from} (machine running Pulumi)` : src;
            const key = [m[1], m[2], source, want].join("\u0000");
            const release = found.get(key) ?? { name: m[1], version: m[2], source, checksum: `${algorithm}:${want}`, hosts: [] };
            release.hosts.push(h.name);
            found.set(key, release);
        }
    }
    return [...found.values()].sort((a, b) => compare(a.name, b.name) || compare(a.version, b.version) || compare(a.source, b.source));
}
