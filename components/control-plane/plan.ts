/**
 * The checked, defaulted form of ControlPlane's Args (pure): every problem is collected as an
 * Issue with its Args path, so one error lists them all before anything touches a host.
 */
import { controlPlaneVersionProblem } from "./versions";
import * as ipaddr from "ipaddr.js";
import { parse as parseYaml } from "yaml";
import type { Issue } from "../host/issues";
import { checkedBlock, inside, numberAddress, overlaps, span } from "../host/ipv4-blocks";
import { memberNameIssue } from "../host/member-names";
import { DNS_NAME, hostAddressProblem, hostNameProblem } from "../host/value-checks";
import {
    DEFAULT_AUDIT_LOG,
    DEFAULT_BOOTSTRAP_TOKEN_TTL_HOURS,
    DEFAULT_CLUSTER_DOMAIN,
    DEFAULT_CSR_SIGNING_HOURS,
    DEFAULT_NODE_CIDR_MASK_SIZE,
    DEFAULT_POD_CIDR,
    DEFAULT_READY_TIMEOUT_SECONDS,
    DEFAULT_SERVICE_CIDR,
    type ControlPlaneArgs,
} from "./args";
import type { ControlPlaneMember } from "./layout";
import { CONTROLLER_MANAGER_PORT, DEFAULT_APISERVER_PORT, SCHEDULER_PORT } from "./needs";

/** The control-plane binaries every member runs. */
export const CONTROL_PLANE_BINARIES = ["kube-apiserver", "kube-controller-manager", "kube-scheduler"] as const;

/** Flags the component sets itself, per binary: `extraFlags` may not override them. */
export const MANAGED_FLAGS = {
    apiserver: [
        "advertise-address",
        "secure-port",
        "allow-privileged",
        "authorization-mode",
        "enable-admission-plugins",
        "enable-bootstrap-token-auth",
        "client-ca-file",
        "tls-cert-file",
        "tls-private-key-file",
        "kubelet-client-certificate",
        "kubelet-client-key",
        "kubelet-certificate-authority",
        "kubelet-preferred-address-types",
        "etcd-servers",
        "etcd-cafile",
        "etcd-certfile",
        "etcd-keyfile",
        "service-cluster-ip-range",
        "service-account-issuer",
        "service-account-key-file",
        "service-account-signing-key-file",
        "requestheader-client-ca-file",
        "requestheader-allowed-names",
        "requestheader-extra-headers-prefix",
        "requestheader-group-headers",
        "requestheader-username-headers",
        "proxy-client-cert-file",
        "proxy-client-key-file",
        "encryption-provider-config",
        "shutdown-watch-termination-grace-period",
        "shutdown-delay-duration",
        "audit-policy-file",
        "audit-log-path",
        "audit-log-maxage",
        "audit-log-maxbackup",
        "audit-log-maxsize",
    ],
    controllerManager: [
        "kubeconfig",
        "authentication-kubeconfig",
        "authorization-kubeconfig",
        "bind-address",
        "allocate-node-cidrs",
        "cluster-cidr",
        "node-cidr-mask-size",
        "service-cluster-ip-range",
        "cluster-signing-cert-file",
        "cluster-signing-key-file",
        "cluster-signing-duration",
        "root-ca-file",
        "service-account-private-key-file",
        "use-service-account-credentials",
        "leader-elect",
        "controllers",
        "requestheader-client-ca-file",
        "client-ca-file",
        "cluster-name",
    ],
    scheduler: ["config", "authentication-kubeconfig", "authorization-kubeconfig", "bind-address"],
} as const satisfies Record<string, readonly string[]>;

/** The default audit Policy: metadata of every request (never a body, so no Secret reaches the log), without the RequestReceived stage. */
export const DEFAULT_AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
# One event per request and stage after the request is received; request and response bodies are
# never logged (level Metadata), so Secret data stays out of the audit log.
omitStages:
  - RequestReceived
rules:
  - level: Metadata
`;

/** The audit log settings, defaults applied. */
export interface AuditPlan {
    enabled: boolean;
    /** The Policy YAML (the default one unless the Args gave one). */
    policy: string;
    maxAgeDays: number;
    maxBackups: number;
    maxSizeMegabytes: number;
}

/** What the component builds, with every default applied. */
export interface ControlPlanePlan {
    /** The members in Args order. */
    members: ControlPlaneMember[];
    version: string;
    /** The minor of `version` ("1.37.2" -> 37). */
    minor: number;
    apiserverPort: number;
    /** Where clients reach the apiservers: `url` is `https://host:port`. */
    endpoint: { host: string; port: number; url: string };
    serviceCidr: string;
    podCidr: string;
    nodeCidrMaskSize: number;
    clusterDomain: string;
    /** The `kubernetes` Service's ClusterIP: the first usable address of `serviceCidr`. */
    kubernetesServiceIp: string;
    /** `https://kubernetes.default.svc.<clusterDomain>`. */
    serviceAccountIssuer: string;
    /** The Args' extra SANs, split by kind. */
    extraSans: { dnsNames: string[]; ipAddresses: string[] };
    csrSigningHours: number;
    /** Encryption key names, newest (the writing one) first. */
    encryptionKeyNames: string[];
    audit: AuditPlan;
    bootstrapToken: { ttlHours: number; rotation?: string };
    /** Extra flags by bare name (no dashes), checked. */
    extraFlags: { apiserver: Record<string, string>; controllerManager: Record<string, string>; scheduler: Record<string, string> };
    readyTimeoutSeconds: number;
    certificateRotation?: string;
    /** Lifetime of the issued certificates, in hours (8760 unless the Args say otherwise). */
    certificateValidityHours: number;
    /** The controller-manager's `--cluster-name`: the component's name. */
    clusterName: string;
}

/** The plan and everything wrong (issues) or doubtful (warnings) in the Args. */
export interface ControlPlanePlanResult {
    plan: ControlPlanePlan;
    issues: Issue[];
    warnings: Issue[];
}

const VERSION = /^(\d+)\.(\d+)\.(\d+)$/;
const KEY_NAME = /^[a-z0-9-]{1,63}$/;
const FLAG_NAME = /^[a-z0-9][a-z0-9-]*$/;
/**
 * Characters a flag value may not hold: the value is one word of `$KUBE_..._ARGS`, which systemd
 * splits at whitespace and unquotes, after reading it from a double-quoted EnvironmentFile value.
 */
const UNSAFE_VALUE = /[\s"'`\\$\0]/;

/** Whether a flag value survives the EnvironmentFile and the unit's `$VAR` splitting as one word (see {@link renderFlagsEnv}). */
export function flagValueProblem(value: string): string | undefined {
    if (/[\r\n]/.test(value)) return "the value contains a line break";
    if (UNSAFE_VALUE.test(value)) return "the value contains whitespace, a quote, a backslash or `$`, which the unit's flag variable cannot carry";
    return undefined;
}

const isPort = (p: number) => Number.isInteger(p) && p >= 1 && p <= 65535;
const isPositiveInteger = (n: number) => Number.isInteger(n) && n > 0;

/** Checks `args` and derives the plan; `name` is the component's (the controller-manager's cluster name). */
export function planControlPlane(name: string, args: ControlPlaneArgs): ControlPlanePlanResult {
    const issues: Issue[] = [];
    const warnings: Issue[] = [];
    const issue = (path: string, message: string, hint: string) => issues.push({ path, message, hint });

    // Members.
    const members = args.members.map((h): ControlPlaneMember => ({ name: h.name, address: h.address }));
    const names = members.map((m) => m.name);
    if (members.length === 0) issue("members", "is empty", "list at least one control-plane host (three for a fault-tolerant control plane)");
    const seenAddresses = new Set<string>();
    members.forEach((m, i) => {
        const nameIssue = memberNameIssue(names, i, { role: "names the node and is a certificate name", host: "control-plane host" });
        if (nameIssue) issues.push(nameIssue);
        const where = `members[${i}].address`;
        const problem = hostAddressProblem(m.address);
        if (problem) {
            issue(where, `${JSON.stringify(m.address)} ${problem}`, "give the IPv4 address the other hosts reach this one on");
            return;
        }
        if (seenAddresses.has(m.address)) issue(where, `${m.address} is used by more than one member`, "give every member its own address");
        seenAddresses.add(m.address);
    });

    // Version.
    const version = args.version;
    let minor = NaN;
    const v = VERSION.exec(version);
    if (!v) {
        issue("version", `"${version}" is not a version`, `write it as major.minor.patch, like "1.37.2"`);
    } else {
        minor = parseInt(v[2], 10);
        const problem = controlPlaneVersionProblem(parseInt(v[1], 10), minor);
        if (problem) (problem.level === "error" ? issues : warnings).push({ path: "version", message: `${version} ${problem.message}`, hint: problem.hint });
    }

    // Releases.
    if ((args.installed === undefined) === (args.release === undefined)) {
        issue(
            args.installed === undefined ? "release" : "installed",
            args.installed === undefined ? "neither `installed` nor `release` is given" : "both `installed` and `release` are given",
            "give the releases installed on the members (`installed`) or the ones to install (`release`), exactly one",
        );
    }
    if (args.installed !== undefined) {
        for (const [member, releases] of Object.entries(args.installed)) {
            const where = `installed.${member}`;
            if (!names.includes(member)) {
                issue(where, `"${member}" is not in members`, "key installed releases by member name");
                continue;
            }
            for (const binary of CONTROL_PLANE_BINARIES) {
                if (!releases.some((r) => r.paths[binary] !== undefined)) {
                    issue(where, `has no ${binary}`, `install a Kubernetes server release holding ${CONTROL_PLANE_BINARIES.join(", ")} on ${member}`);
                }
            }
        }
        for (const member of names) {
            if (!(member in args.installed)) issue("installed", `has no release for member ${member}`, "hand over every member's install");
        }
    }
    if (args.release !== undefined) {
        for (const binary of CONTROL_PLANE_BINARIES) {
            if (!args.release.some((r) => r.binaries.includes(binary))) {
                issue("release", `no release holds ${binary}`, `add ${binary} to the binaries of the Kubernetes server release`);
            }
        }
    }

    // Endpoint and ports.
    const endpointHost = args.endpoint.host;
    const hostProblem = hostNameProblem(endpointHost);
    if (hostProblem) issue("endpoint.host", `${JSON.stringify(endpointHost)} ${hostProblem}`, "give the load balancer's VIP or DNS name");
    else if (ipaddr.IPv4.isValidFourPartDecimal(endpointHost)) {
        const p = hostAddressProblem(endpointHost);
        if (p) issue("endpoint.host", `${endpointHost} ${p}`, "give the VIP the other hosts reach the apiservers on");
    }
    const endpointPort = args.endpoint.port;
    if (!isPort(endpointPort)) issue("endpoint.port", `${endpointPort} is not a TCP port`, "give a port in 1..65535");
    const apiserverPort = args.apiserverPort ?? DEFAULT_APISERVER_PORT;
    if (!isPort(apiserverPort))
        issue("apiserverPort", `${apiserverPort} is not a TCP port`, `give a port in 1..65535, or leave it unset for ${DEFAULT_APISERVER_PORT}`);
    else if (apiserverPort === CONTROLLER_MANAGER_PORT || apiserverPort === SCHEDULER_PORT) {
        issue("apiserverPort", `${apiserverPort} is the port of kube-controller-manager or kube-scheduler`, `leave it unset for ${DEFAULT_APISERVER_PORT}`);
    }

    // Networks.
    const serviceCidr = args.serviceCidr ?? DEFAULT_SERVICE_CIDR;
    const podCidr = args.podCidr ?? DEFAULT_POD_CIDR;
    const services = checkedBlock(issue, "serviceCidr", serviceCidr, DEFAULT_SERVICE_CIDR);
    const pods = checkedBlock(issue, "podCidr", podCidr, DEFAULT_POD_CIDR);
    let kubernetesServiceIp = "";
    if (services) {
        // kube-apiserver refuses service ranges wider than 20 host bits.
        if (services[1] < 12 || services[1] > 28) {
            issue("serviceCidr", `/${services[1]} is not a usable service block size`, "use a prefix between /12 and /28");
        }
        kubernetesServiceIp = numberAddress(span(services)[0] + 1);
    }
    if (services && pods && overlaps(services, pods)) {
        issue("podCidr", `${podCidr} overlaps serviceCidr ${serviceCidr}`, "give pods and services separate blocks");
    }
    members.forEach((m, i) => {
        for (const [label, b, text] of [
            ["serviceCidr", services, serviceCidr],
            ["podCidr", pods, podCidr],
        ] as const) {
            if (b && inside(m.address, b)) {
                issue(`members[${i}].address`, `${m.address} lies inside ${label} ${text}`, `keep the hosts' network apart from ${label}`);
            }
        }
    });
    const nodeCidrMaskSize = args.nodeCidrMaskSize ?? DEFAULT_NODE_CIDR_MASK_SIZE;
    if (!Number.isInteger(nodeCidrMaskSize) || nodeCidrMaskSize > 30 || (pods && nodeCidrMaskSize <= pods[1])) {
        issue(
            "nodeCidrMaskSize",
            `${nodeCidrMaskSize} is not a prefix length that splits podCidr ${podCidr} into node blocks`,
            `give a whole number above ${pods ? pods[1] : "podCidr's prefix"} and at most 30`,
        );
    } else if (pods && nodeCidrMaskSize - pods[1] > 16) {
        issue(
            "nodeCidrMaskSize",
            `/${nodeCidrMaskSize} splits ${podCidr} into more than 65536 node blocks, which kube-controller-manager refuses`,
            `give at most ${pods[1] + 16}`,
        );
    }
    const clusterDomain = args.clusterDomain ?? DEFAULT_CLUSTER_DOMAIN;
    if (!DNS_NAME.test(clusterDomain) || /^[0-9.]+$/.test(clusterDomain)) {
        issue("clusterDomain", `"${clusterDomain}" is not a lower-case DNS name`, `write it like "${DEFAULT_CLUSTER_DOMAIN}"`);
    }

    // Extra SANs.
    const extraSans = { dnsNames: [] as string[], ipAddresses: [] as string[] };
    (args.extraSans ?? []).forEach((san, i) => {
        if (ipaddr.isValid(san) && (ipaddr.IPv4.isValidFourPartDecimal(san) || san.includes(":"))) {
            extraSans.ipAddresses.push(ipaddr.parse(san).toString());
        } else if (DNS_NAME.test(san.replace(/^\*\./, "")) && !/^[0-9.]+$/.test(san)) {
            extraSans.dnsNames.push(san);
        } else {
            issue(
                `extraSans[${i}]`,
                `${JSON.stringify(san)} is not a DNS name or an IP address`,
                `write names like "k8s.example.com" and addresses like "203.0.113.10"`,
            );
        }
    });

    // Lifetimes.
    const csrSigningHours = args.csrSigningHours ?? DEFAULT_CSR_SIGNING_HOURS;
    if (!isPositiveInteger(csrSigningHours)) {
        issue("csrSigningHours", `${csrSigningHours} is not a positive whole number of hours`, `leave it unset for ${DEFAULT_CSR_SIGNING_HOURS} (one year)`);
    }
    const certificateValidityHours = args.certificateValidityHours ?? 8760;
    if (!isPositiveInteger(certificateValidityHours)) {
        issue("certificateValidityHours", `${certificateValidityHours} is not a positive whole number of hours`, "leave it unset for one year (8760)");
    }
    const certificateRotation = args.certificateRotation;
    if (certificateRotation !== undefined && /[\r\n]/.test(certificateRotation)) {
        issue("certificateRotation", "contains a line break", "give the lever on one line");
    }

    // Encryption at rest.
    const encryptionKeyNames = args.encryption?.keyNames ?? ["key1"];
    if (encryptionKeyNames.length === 0) issue("encryption.keyNames", "is empty", `name at least one key, like "key1"; the first encrypts new writes`);
    encryptionKeyNames.forEach((k, i) => {
        if (!KEY_NAME.test(k)) {
            issue(`encryption.keyNames[${i}]`, `${JSON.stringify(k)} is not a key name`, "use 1-63 lower-case letters, digits and '-'");
        } else if (encryptionKeyNames.indexOf(k) !== i) {
            issue(`encryption.keyNames[${i}]`, `"${k}" is listed more than once`, "give every key its own name");
        }
    });

    // Audit.
    const audit: AuditPlan = {
        enabled: args.audit?.enabled ?? true,
        policy: args.audit?.policy ?? DEFAULT_AUDIT_POLICY,
        maxAgeDays: args.audit?.maxAgeDays ?? DEFAULT_AUDIT_LOG.maxAgeDays,
        maxBackups: args.audit?.maxBackups ?? DEFAULT_AUDIT_LOG.maxBackups,
        maxSizeMegabytes: args.audit?.maxSizeMegabytes ?? DEFAULT_AUDIT_LOG.maxSizeMegabytes,
    };
    for (const key of ["maxAgeDays", "maxBackups", "maxSizeMegabytes"] as const) {
        if (!isPositiveInteger(audit[key])) {
            issue(`audit.${key}`, `${audit[key]} is not a positive whole number`, `leave it unset for ${DEFAULT_AUDIT_LOG[key]}`);
        }
    }
    if (args.audit?.policy !== undefined) {
        const problem = auditPolicyProblem(args.audit.policy);
        if (problem) issue("audit.policy", problem, "give an audit.k8s.io/v1 Policy as YAML text with at least one rule, or leave it unset for the default");
    }

    // Bootstrap token.
    const ttlHours = args.bootstrapToken?.ttlHours ?? DEFAULT_BOOTSTRAP_TOKEN_TTL_HOURS;
    if (!Number.isInteger(ttlHours) || ttlHours < 0) {
        issue(
            "bootstrapToken.ttlHours",
            `${ttlHours} is not a whole number of hours`,
            `give 0 for a token that never expires, or leave it unset for ${DEFAULT_BOOTSTRAP_TOKEN_TTL_HOURS}`,
        );
    }
    const rotation = args.bootstrapToken?.rotation;
    if (rotation !== undefined && /[\r\n]/.test(rotation)) issue("bootstrapToken.rotation", "contains a line break", "give the lever on one line");

    // Extra flags.
    const extraFlags = { apiserver: {}, controllerManager: {}, scheduler: {} } as ControlPlanePlan["extraFlags"];
    for (const binary of ["apiserver", "controllerManager", "scheduler"] as const) {
        const managed: readonly string[] = MANAGED_FLAGS[binary];
        for (const [flag, value] of Object.entries(args.extraFlags?.[binary] ?? {})) {
            const bare = flag.replace(/^--?/, "");
            const where = `extraFlags.${binary}.${flag}`;
            if (!FLAG_NAME.test(bare)) issue(where, `"${flag}" is not a flag name`, `write flags by name without dashes, like "max-requests-inflight"`);
            else if (managed.includes(bare))
                issue(where, `"${bare}" is set by the component`, "use the component's own argument instead, or leave it to the component");
            const problem = flagValueProblem(value);
            if (problem) issue(where, problem, "give the value as one word (lists comma-separated)");
            extraFlags[binary][bare] = value;
        }
    }

    const readyTimeoutSeconds = args.readyTimeoutSeconds ?? DEFAULT_READY_TIMEOUT_SECONDS;
    if (!(readyTimeoutSeconds > 0)) {
        issue("readyTimeoutSeconds", `${readyTimeoutSeconds} is not a positive number of seconds`, `leave it unset for ${DEFAULT_READY_TIMEOUT_SECONDS}`);
    }

    if (args.clusterName !== undefined && !DNS_NAME.test(args.clusterName)) {
        issue("clusterName", `"${args.clusterName}" is not a DNS name`, "use lower-case letters, digits, '-' and '.'");
    }
    const clusterName = args.clusterName ?? (DNS_NAME.test(name) ? name : "kubernetes");
    if (args.clusterName === undefined && !DNS_NAME.test(name)) {
        warnings.push({
            path: "(name)",
            message: `the component's name "${name}" is not a DNS name, so kube-controller-manager's --cluster-name stays "kubernetes"`,
            hint: "name the component with lower-case letters, digits and '-'",
        });
    }

    const plan: ControlPlanePlan = {
        members,
        version,
        minor,
        apiserverPort,
        endpoint: { host: endpointHost, port: endpointPort, url: `https://${endpointHost}:${endpointPort}` },
        serviceCidr,
        podCidr,
        nodeCidrMaskSize,
        clusterDomain,
        kubernetesServiceIp,
        serviceAccountIssuer: `https://kubernetes.default.svc.${clusterDomain}`,
        extraSans,
        csrSigningHours,
        encryptionKeyNames,
        audit,
        bootstrapToken: rotation === undefined ? { ttlHours } : { ttlHours, rotation },
        extraFlags,
        readyTimeoutSeconds,
        certificateValidityHours,
        clusterName,
    };
    if (certificateRotation !== undefined) plan.certificateRotation = certificateRotation;
    return { plan, issues, warnings };
}

/** What is wrong with an audit Policy text, or undefined: YAML, apiVersion audit.k8s.io/v1, kind Policy, at least one rule. */
export function auditPolicyProblem(text: string): string | undefined {
    if (text.trim() === "") return "is empty";
    let doc: unknown;
    try {
        doc = parseYaml(text);
    } catch (e) {
        return `is not YAML: ${(e as Error).message.split("\n")[0]}`;
    }
    if (typeof doc !== "object" || doc === null || Array.isArray(doc)) return "is not a YAML mapping";
    const d = doc as Record<string, unknown>;
    if (d.apiVersion !== "audit.k8s.io/v1" || d.kind !== "Policy") {
        return `is ${JSON.stringify(d.kind ?? "no kind")} of ${JSON.stringify(d.apiVersion ?? "no apiVersion")}, not a Policy of audit.k8s.io/v1`;
    }
    if (!Array.isArray(d.rules) || d.rules.length === 0) return "has no rules (kube-apiserver refuses a policy without rules)";
    return undefined;
}

/**
 * The names on a member's apiserver serving certificate: the `kubernetes` Service's names and
 * ClusterIP, the member's name and address, the endpoint, localhost, and the extra SANs.
 */
export function apiserverServingSans(plan: ControlPlanePlan, member: ControlPlaneMember): { dnsNames: string[]; ipAddresses: string[] } {
    const unique = (xs: string[]) => [...new Set(xs)];
    const endpointIsIp = ipaddr.isValid(plan.endpoint.host);
    return {
        dnsNames: unique([
            "kubernetes",
            "kubernetes.default",
            "kubernetes.default.svc",
            `kubernetes.default.svc.${plan.clusterDomain}`,
            member.name,
            "localhost",
            ...(endpointIsIp ? [] : [plan.endpoint.host]),
            ...plan.extraSans.dnsNames,
        ]),
        ipAddresses: unique([
            plan.kubernetesServiceIp,
            member.address,
            "127.0.0.1",
            ...(endpointIsIp ? [plan.endpoint.host] : []),
            ...plan.extraSans.ipAddresses,
        ]),
    };
}
