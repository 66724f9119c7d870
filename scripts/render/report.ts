// The text files of a render: summary.md, graph.txt, each host's file index and step scripts.
// Pure: the same Rendered always gives the same bytes.
import YAML from "yaml";
import type { Rendered, RenderedFile, RenderedHost, RenderedStep, RenderedUnit } from "./collect";

/** What the summary says about the run itself. */
export interface RunNotes {
    stack: string;
    stackFile: string;
    /** Lines about what the render changed in the stack's config for the run. */
    configNotes: string[];
    /** Warnings of the spec checks. */
    warnings: string[];
    /** The program's stack outputs, placeholders in place. */
    outputs: Record<string, unknown>;
}

const cell = (s: string) => s.replace(/\|/g, "\\|");

export function renderSummary(r: Rendered, notes: RunNotes): string {
    const lines = [
        `# Render of stack ${notes.stack}`,
        "",
        `From \`${notes.stackFile}\`, offline: the program ran on Pulumi's mock runtime, no host was contacted.`,
        "Keys, certificates and random values are placeholders (`<... generated at deploy>`); see docs/render.md.",
        ...notes.configNotes.map((n) => `- ${n}`),
        ...notes.warnings.map((w) => `- spec warning: ${w}`),
        "",
        "## Hosts",
        "",
        "| host | address | roles | files | secret files | steps |",
        "|---|---|---|---|---|---|",
        ...r.hosts.map(
            (h) => `| ${h.name} | ${h.address} | ${h.roles.join(", ")} | ${h.files.length} | ${h.files.filter((f) => f.secret).length} | ${h.steps.length} |`,
        ),
        "",
        "## Certificates",
        "",
        "| certificate | issuer | CN | O | DNS SANs | IP SANs | allowed uses | validity (h) | installed at |",
        "|---|---|---|---|---|---|---|---|---|",
        ...r.certificates.map(
            (c) =>
                `| ${cell(c.name)} | ${cell(c.issuer)} | ${cell(c.commonName)} | ${cell(c.organization.join(", "))} | ${cell(c.dnsNames.join(", "))} | ${c.ipAddresses.join(", ")} | ${c.allowedUses.join(", ")} | ${c.validityHours} | ${c.installedAt.join("<br>")} |`,
        ),
        "",
        "## Releases",
        "",
        "| release | version | source | checksum | hosts |",
        "|---|---|---|---|---|",
        ...r.releases.map((x) => `| ${x.name} | ${x.version} | ${cell(x.source)} | \`${x.checksum}\` | ${x.hosts.join(", ")} |`),
        "",
        "## Images",
        "",
        ...(r.images.length === 0
            ? ["None imported from archives."]
            : [
                  "| image | digest | archive source | hosts |",
                  "|---|---|---|---|",
                  ...r.images.map((x) => `| ${cell(x.ref)} | \`${x.digest}\` | ${cell(x.source)} | ${x.hosts.join(", ")} |`),
              ]),
        "",
        "## In-cluster objects",
        "",
        ...(r.clusterObjects.length === 0 ? ["None declared."] : r.clusterObjects.map((o) => `- ${o.type} ${o.name}`)),
        "",
        "## Stack outputs",
        "",
        "```yaml",
        YAML.stringify(notes.outputs, { sortMapEntries: true }).trimEnd(),
        "```",
    ];
    if (r.unplaced.length > 0) lines.push("", "## Remote steps on no known host", "", ...r.unplaced.map((u) => `- ${u}`));
    return `${lines.join("\n")}\n`;
}

/** Every resource with its type, parent and dependencies. */
export function renderGraph(r: Rendered): string {
    const lines = [
        "# Every resource the program declares, indented under its parent: name (type), type token,",
        "# inputs that are secrets, what it waits for. A child also waits for all its ancestors wait for.",
    ];
    for (const n of r.graph) {
        const pad = "    ".repeat(n.depth);
        lines.push("", `${pad}${n.name}  ${n.type}${n.secretInputs.length ? `  [secret: ${n.secretInputs.join(", ")}]` : ""}`);
        if (n.parent) lines.push(`${pad}  parent: ${n.parent}`);
        for (const d of n.dependencies) lines.push(`${pad}  after:  ${d}`);
    }
    return `${lines.join("\n")}\n`;
}

/** A host's file index: mode, owner, path, whether secret, and the step that writes it. */
export function renderFileIndex(h: RenderedHost): string {
    const rows = h.files.map(
        (f: RenderedFile) => `${f.mode} ${f.owner}:${f.group} ${f.path}${f.secret ? "  [secret at deploy: placeholders shown]" : ""}  <- ${f.resource}`,
    );
    return `# mode owner:group path  <- step that writes it (files/<path> holds the content)\n${rows.join("\n")}${rows.length ? "\n" : ""}`;
}

/** A host's unit index: enabled or not, the unit, and the SystemdUnit that installs it (its file is in files.txt). */
export function renderUnitIndex(h: RenderedHost): string {
    const rows = h.units.map((u: RenderedUnit) => `${u.enabled ? "enabled " : "disabled"} ${u.unit}  <- ${u.resource}`);
    return `# enabled|disabled unit  <- SystemdUnit resource (the unit file: files/etc/systemd/system/<unit>)\n${rows.join("\n")}${rows.length ? "\n" : ""}`;
}

/** File name of a step script: its position on the host and its resource name. */
export function stepFileName(index: number, step: RenderedStep): string {
    return `${String(index + 1).padStart(3, "0")}-${step.resource.replace(/[^A-Za-z0-9._-]+/g, "_")}.sh`;
}

/** One step as a bash file: a header saying how and when it runs, then each script. */
export function renderStep(h: RenderedHost, step: RenderedStep): string {
    const lines = [`# ${step.resource} (${step.type}) on ${h.name} ${h.address}${step.sudo ? ", through sudo -n" : ""}`];
    if (step.after.length > 0) lines.push("# waits for:", ...step.after.map((a) => `#   ${a}`));
    if (step.inheritedCount > 0) lines.push(`# and for ${step.inheritedCount} more through its components (see graph.txt)`);
    if (step.stdin && "file" in step.stdin) lines.push(`# stdin: the content of ${step.stdin.file} (see ../files${step.stdin.file})`);
    for (const s of step.scripts) lines.push("", `# ---- ${s.when} ----`, s.body.replace(/\n$/, ""));
    if (step.stdin && "text" in step.stdin) {
        const body = step.stdin.text.replace(/\n$/, "").split("\n");
        lines.push("", `# ---- stdin${step.stdin.secret ? " (secret at deploy: placeholders shown)" : ""} ----`, ...body.map((l) => `# | ${l}`.trimEnd()));
    }
    return `${lines.join("\n")}\n`;
}
