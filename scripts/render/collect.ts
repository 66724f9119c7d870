// From the recorded registrations to what a reviewer reads: per host the files written, the
// units and the steps run, the in-cluster objects, the certificates, releases and images. Files,
// units, releases and images are the facts the host primitives registered (components/host/facts.ts),
// never read back from scripts. Everything sorted, so the result depends only on what the
// program declared.
import { FACT_KINDS, FACTS_OUTPUT, type ArtifactOrigin, type HostFacts } from "../../components/host/facts";
import type { ClusterSpec } from "../../components/cluster-spec";
import type { MockRuntime, Registration } from "../lib/mock-runtime";
import { containsSecret, isSecret, unwrap } from "../lib/rpc-values";
import { SECRET_PLACEHOLDER, type Substitutions } from "./placeholders";
import { parseRemoteScript } from "./shell-words";

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

/** A systemd unit on a host. */
export interface RenderedUnit {
    /** Unit name, e.g. "etcd.service". */
    unit: string;
    /** Whether it is enabled and started. */
    enabled: boolean;
    /** The SystemdUnit resource. */
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
    units: RenderedUnit[];
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

/** A release as the hosts install it. */
export interface RenderedRelease {
    name: string;
    version: string;
    /** The URL the hosts fetch, or the local file uploaded. */
    source: string;
    /** "<algorithm>:<hex>". */
    checksum: string;
    hosts: string[];
}

/** A container image as the hosts import it. */
export interface RenderedImage {
    ref: string;
    /** The manifest digest containerd must list. */
    digest: string;
    /** The URL the hosts fetch, or the local file uploaded. */
    source: string;
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
    images: RenderedImage[];
    graph: GraphNode[];
    /** Remote resources whose host could not be told from their connection, and host primitives naming no host of the stack. */
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
    const urns = [...key.keys()];
    const rank = new Map(urns.map((urn, i) => [urn, i]));
    // By name, equal names in registration order.
    const precedes = (a: string, b: string) => compare(key.get(a)!, key.get(b)!) || rank.get(a)! - rank.get(b)!;
    const waiting = new Map(urns.map((urn) => [urn, new Set([...waitsFor.get(urn)!].filter((d) => d !== urn && key.has(d)))]));
    const dependents = new Map<string, string[]>();
    for (const [urn, deps] of waiting) {
        for (const d of deps) {
            const list = dependents.get(d);
            if (list) list.push(urn);
            else dependents.set(d, [urn]);
        }
    }
    // The resources waiting for nothing, the next one last: each placement touches only its
    // dependents (a scan of every resource per placement made large stacks quadratic).
    const ready: string[] = [];
    const makeReady = (urn: string) => {
        let lo = 0;
        let hi = ready.length;
        while (lo < hi) {
            const mid = (lo + hi) >> 1;
            if (precedes(ready[mid], urn) > 0) lo = mid + 1;
            else hi = mid;
        }
        ready.splice(lo, 0, urn);
    };
    for (const [urn, deps] of waiting) if (deps.size === 0) makeReady(urn);
    const order = new Map<string, number>();
    while (order.size < urns.length) {
        // A cycle cannot come from a Pulumi program; should one appear, place the rest by name.
        const next = ready.pop() ?? urns.filter((urn) => !order.has(urn)).sort(precedes)[0];
        order.set(next, order.size);
        for (const urn of dependents.get(next) ?? []) {
            const deps = waiting.get(urn)!;
            if (deps.delete(next) && deps.size === 0 && !order.has(urn)) makeReady(urn);
        }
    }
    return order;
}

/** The facts a host primitive registered; throws when one of FACT_KINDS' types registered none (the render would silently miss what it puts on a host). */
function factsOf(r: Registration, outputs: MockRuntime["outputs"]): HostFacts | undefined {
    const kind = (Object.keys(FACT_KINDS) as HostFacts["kind"][]).find((k) => FACT_KINDS[k] === r.type);
    if (kind === undefined) return undefined;
    const facts = outputs.get(r.urn)?.[FACTS_OUTPUT];
    if (isSecret(facts)) throw new Error(`${label(r)} registered its facts as a secret: facts must hold no secret content (components/host/facts.ts)`);
    if (facts?.kind !== kind)
        throw new Error(`${label(r)} registered no ${kind} facts (output "${FACTS_OUTPUT}"): the render cannot show what it puts on its host`);
    return facts as HostFacts;
}

/** How a reviewer reads an artifact's origin. */
function originText(source: ArtifactOrigin): string {
    return "url" in source ? source.url : `uploaded from ${source.localPath} (machine running Pulumi)`;
}

export function collect(spec: ClusterSpec, recording: MockRuntime, subs: Substitutions): Rendered {
    const regs = recording.registrations;
    const byUrn = new Map(regs.map((r) => [r.urn, r]));
    const nameOf = (urn: string) => (byUrn.get(urn) ? label(byUrn.get(urn)!) : urn);
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
    const hosts = new Map<string, RenderedHost>(
        spec.hosts.map((h) => [h.name, { name: h.name, address: h.address, roles: [...h.roles], files: [], units: [], steps: [] }]),
    );
    const unplaced: string[] = [];
    const text = (value: unknown) => subs.apply(String(unwrap(value)));

    // Files, units, releases and images: the primitives' facts. A file's step is the RemoteFile's command.
    const writtenBy = new Map<string, string>();
    const releases: (RenderedRelease & { key: string })[] = [];
    const images: (RenderedImage & { key: string })[] = [];
    for (const r of regs) {
        const facts = factsOf(r, recording.outputs);
        if (!facts) continue;
        const host = hosts.get(facts.host);
        if (!host) {
            unplaced.push(label(r));
            continue;
        }
        if (facts.kind === "file") {
            const writer = regs.find((c) => c.parent === r.urn && c.type === "command:remote:Command");
            if (!writer) throw new Error(`${label(r)} has no command that writes ${facts.path}`);
            // A secret file's text is the placeholder text the step's stdin holds under the render.
            const content = facts.secret ? text(writer.inputs.stdin) : subs.apply(facts.content);
            host.files.push({
                path: facts.path,
                mode: facts.mode,
                owner: facts.owner,
                group: facts.group,
                content,
                secret: facts.secret || SECRET_PLACEHOLDER.test(content),
                resource: writer.name,
            });
            writtenBy.set(writer.urn, facts.path);
        } else if (facts.kind === "unit") {
            host.units.push({ unit: facts.unit, enabled: facts.enabled, resource: r.name });
        } else if (facts.kind === "release") {
            const source = originText(facts.source);
            releases.push({
                key: [facts.name, facts.version, source, facts.checksum].join("\u0000"),
                name: facts.name,
                version: facts.version,
                source,
                checksum: facts.checksum,
                hosts: [host.name],
            });
        } else {
            const source = originText(facts.source);
            images.push({ key: [facts.ref, facts.digest, source].join("\u0000"), ref: facts.ref, digest: facts.digest, source, hosts: [host.name] });
        }
    }

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
            upload = {
                from: source?.asset === "file" ? String(source.value) : `a ${source?.asset ?? "unknown"} asset`,
                to: String(unwrap(r.inputs.remotePath)),
            };
            scripts.push({ when: "create", body: `# uploads ${upload.from} over SFTP to ${upload.to}\n` });
        }
        const step: RenderedStep = {
            order: order.get(r.urn)!,
            resource: r.name,
            type: r.type,
            sudo,
            scripts,
            upload,
            after: r.dependencies.map(nameOf).sort(compare),
            inheritedCount: [...waitsFor.get(r.urn)!].filter((d) => !r.dependencies.includes(d)).length,
        };
        const written = writtenBy.get(r.urn);
        if (written !== undefined) {
            step.stdin = { file: written };
        } else if (r.inputs.stdin !== undefined) {
            const stdin = text(r.inputs.stdin);
            step.stdin = { text: stdin, secret: isSecret(r.inputs.stdin) || SECRET_PLACEHOLDER.test(stdin) };
        }
        host.steps.push(step);
    }
    for (const h of hosts.values()) {
        h.files.sort((a, b) => compare(a.path, b.path) || compare(a.resource, b.resource));
        h.units.sort((a, b) => compare(a.unit, b.unit) || compare(a.resource, b.resource));
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
        releases: merged(
            releases,
            spec.hosts.map((h) => h.name),
        ).sort((a, b) => compare(a.name, b.name) || compare(a.version, b.version) || compare(a.source, b.source)),
        images: merged(
            images,
            spec.hosts.map((h) => h.name),
        ).sort((a, b) => compare(a.ref, b.ref) || compare(a.digest, b.digest) || compare(a.source, b.source)),
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
                secretInputs: Object.keys(r.inputs)
                    .filter((k) => k !== "connection" && containsSecret(r.inputs[k]))
                    .sort(compare),
                depth,
            });
            visit(r.urn, depth + 1);
        }
    };
    visit("", 0);
    return out;
}

/** The inputs of @pulumi/tls's certificates and requests that the render reports. */
interface TlsInputs {
    subject?: { commonName?: string; organization?: string | string[] };
    dnsNames?: string[];
    ipAddresses?: string[];
    allowedUses?: string[];
    validityPeriodHours?: number | string;
    caCertPem?: string;
}

function certificates(regs: Registration[], byUrn: Map<string, Registration>, hosts: RenderedHost[]): RenderedCertificate[] {
    const componentName = (r: Registration) => byUrn.get(r.parent)?.name ?? r.name;
    const certNameToComponent = new Map<string, string>();
    for (const r of regs) if (/Cert$/.test(r.type) && r.type.startsWith("tls:")) certNameToComponent.set(r.name, componentName(r));
    const installedAt = (certResource: string) =>
        hosts.flatMap((h) => h.files.filter((f) => f.content.includes(`<certificate ${certResource}:`)).map((f) => `${h.name}:${f.path}`));
    const out: RenderedCertificate[] = [];
    for (const r of regs) {
        const inputs = unwrap(r.inputs) as TlsInputs;
        let subjectFrom: TlsInputs | undefined;
        let issuer = "self-signed";
        if (r.type === "tls:index/selfSignedCert:SelfSignedCert") subjectFrom = inputs;
        else if (r.type === "tls:index/locallySignedCert:LocallySignedCert") {
            // The request it signs is its sibling in the Certificate component.
            const request = regs.find((c) => c.type === "tls:index/certRequest:CertRequest" && c.parent === r.parent);
            subjectFrom = request && (unwrap(request.inputs) as TlsInputs);
            const ca = /<certificate (\S+): issued at deploy>/.exec(String(inputs.caCertPem ?? ""));
            issuer = ca ? (certNameToComponent.get(ca[1]) ?? ca[1]) : "unknown";
        } else continue;
        const subject = subjectFrom?.subject ?? {};
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

/** One entry per distinct key, with every host that has it, hosts in the stack's order. */
function merged<T extends { key: string; hosts: string[] }>(entries: T[], hostOrder: string[]): Omit<T, "key">[] {
    const byKey = new Map<string, T>();
    for (const e of entries) {
        const seen = byKey.get(e.key);
        if (seen) seen.hosts.push(...e.hosts);
        else byKey.set(e.key, { ...e, hosts: [...e.hosts] });
    }
    return [...byKey.values()].map(({ key: _key, ...rest }) => ({ ...rest, hosts: hostOrder.filter((h) => rest.hosts.includes(h)) }));
}
