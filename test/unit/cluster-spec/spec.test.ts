import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { parseClusterSpec, SpecError, formatPath, type SpecIssue } from "../../../components/cluster-spec";
import { DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE, DEFAULT_FLANNEL_IMAGE } from "../../../components/flannel";
import { baseSpec, pin, SHA256, SHA512, type RawSpec } from "./fixtures/base";

type Raw = RawSpec;

function parse(raw: Raw, privateKeySecret = false) {
    return parseClusterSpec(raw, { privateKeySecret, source: "test" });
}

/** Asserts the spec is rejected and that every expected path (and message part) is among the problems, in the message too. */
function rejects(raw: Raw, expected: { path: string; message?: RegExp }[], privateKeySecret = false): SpecError {
    let error: unknown;
    try {
        parse(raw, privateKeySecret);
    } catch (e) {
        error = e;
    }
    assert.ok(error instanceof SpecError, `expected a SpecError, got ${String(error)}`);
    for (const want of expected) {
        const hit = error.issues.find((i: SpecIssue) => i.path === want.path && (!want.message || want.message.test(i.message)));
        assert.ok(hit, `no issue at ${want.path} matching ${want.message}; got:\n${error.message}`);
        assert.ok(hit.hint.length > 0, `issue at ${want.path} has no hint`);
        assert.ok(error.message.includes(`  - ${want.path}: `), `message does not list ${want.path}`);
    }
    return error;
}

function warningsOf(raw: Raw): SpecIssue[] {
    return parse(raw).warnings;
}

describe("cluster spec: valid input and defaults", () => {
    it("accepts the base spec without warnings and applies documented defaults", () => {
        const { spec, warnings } = parse(baseSpec());
        assert.deepEqual(warnings, []);
        assert.equal(spec.arch, "amd64");
        assert.equal(spec.containerRuntime, "containerd");
        assert.deepEqual(spec.ssh, { user: "root", port: 22, agent: false, privateKeyPath: "/keys/id_ed25519" });
        assert.deepEqual(spec.network, {
            hostSubnets: ["192.168.10.0/24"],
            podCidr: "10.244.0.0/16",
            serviceCidr: "10.96.0.0/12",
            clusterDns: "10.96.0.10",
            clusterDomain: "cluster.local",
            apiserverPort: 6443,
            proxyMode: "iptables",
        });
        assert.deepEqual(spec.flannel, {
            mode: "daemonset",
            backend: "vxlan",
            directRouting: false,
            ipMasq: true,
            subnetLen: 24,
            etcdPrefix: "/coreos.com/network",
            image: DEFAULT_FLANNEL_IMAGE,
            cniPluginImage: DEFAULT_FLANNEL_CNI_PLUGIN_IMAGE,
        });
        assert.deepEqual(spec.loadBalancer, { vip: "192.168.10.100", interface: "eth0", virtualRouterId: 51, port: 6443 });
        assert.deepEqual(spec.pki, { keyAlgorithm: "ECDSA", caValidityHours: 87600, certValidityHours: 8760, rotation: 0, caRotation: 0 });
        assert.deepEqual(spec.hosts[0].labels, {});
        assert.deepEqual(spec.hosts[0].taints, []);
    });

    it("strips a leading v from versions and lowercases digests", () => {
        const raw = baseSpec();
        raw.binaries.kubernetes.version = "v1.33.5";
        raw.binaries.etcd.sha256 = "AB".repeat(32);
        const { spec } = parse(raw);
        assert.equal(spec.binaries.kubernetes.version, "1.33.5");
        assert.equal(spec.binaries.etcd.sha256, "ab".repeat(32));
    });

    it("derives the DNS address from a custom service block", () => {
        const raw = baseSpec();
        raw.network.serviceCidr = "10.0.0.0/24";
        assert.equal(parse(raw).spec.network.clusterDns, "10.0.0.10");
    });

    it("accepts host keys as ssh-keyscan prints them, with or without a comment", () => {
        const raw = baseSpec();
        raw.hosts[0].hostKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEoOCynpPlnXHCp0MNxr/L6NZORBfkOl19hdsizm/b8n root@cp1";
        raw.hosts[1].hostKey = "ecdsa-sha2-nistp256 AAAAE2VjZHNhLXNoYTItbmlzdHAyNTY=";
        const { spec } = parseClusterSpec(raw, { privateKeySecret: false });
        assert.equal(spec.hosts[0].hostKey, raw.hosts[0].hostKey);
    });

    it("accepts a single host holding etcd, control plane and worker", () => {
        const raw = baseSpec();
        raw.hosts = [{ name: "solo", address: "192.168.10.5", roles: ["etcd", "control-plane", "worker"] }];
        delete raw.loadBalancer;
        const { spec, warnings } = parse(raw);
        assert.equal(spec.hosts.length, 1);
        assert.deepEqual(warnings, []);
    });

    it("accepts lb hosts that are also control planes, with the lb port moved off the apiserver's", () => {
        const raw = baseSpec();
        raw.hosts = raw.hosts.filter((h: Raw) => !h.roles.includes("lb"));
        raw.hosts[0].roles.push("lb");
        raw.hosts[1].roles.push("lb");
        raw.loadBalancer.port = 8443;
        assert.deepEqual(parse(raw).warnings, []);
    });

    it("accepts the secret key alone as credentials", () => {
        const raw = baseSpec();
        delete raw.ssh;
        assert.equal(parse(raw, true).spec.ssh.user, "root");
    });
});

describe("cluster spec: shape errors name the path, what and how", () => {
    const cases: [string, (r: Raw) => void, { path: string; message?: RegExp }[]][] = [
        ["missing hosts", (r) => delete r.hosts, [{ path: "hosts", message: /required/ }]],
        ["empty hosts", (r) => (r.hosts = []), [{ path: "hosts", message: /at least one host/ }]],
        ["bad address", (r) => (r.hosts[2].address = "192.168.10.300"), [{ path: "hosts[2].address", message: /IPv4/ }]],
        ["shorthand address", (r) => (r.hosts[2].address = "192.168.10"), [{ path: "hosts[2].address" }]],
        ["unknown role", (r) => (r.hosts[1].roles = ["etcd", "master"]), [{ path: "hosts[1].roles[1]", message: /one of "etcd"/ }]],
        ["no roles", (r) => (r.hosts[1].roles = []), [{ path: "hosts[1].roles", message: /at least one role/ }]],
        ["upper-case name", (r) => (r.hosts[0].name = "CP1"), [{ path: "hosts[0].name", message: /DNS label/ }]],
        ["typo field", (r) => (r.hosts[3].label = {}), [{ path: "hosts[3].label", message: /not a known field/ }]],
        [
            "bad label key",
            (r) => (r.hosts[4].labels = { "bad key": "x" }),
            [{ path: 'hosts[4].labels["bad key"]', message: /not a valid key: is not a Kubernetes label key/ }],
        ],
        ["bad taint effect", (r) => (r.hosts[4].taints[0].effect = "NoWay"), [{ path: "hosts[4].taints[0].effect" }]],
        ["port out of range", (r) => (r.hosts[0].sshPort = 70000), [{ path: "hosts[0].sshPort", message: /is 70000; it must be at most 65535/ }]],
        ["bad host key", (r) => (r.hosts[0].hostKey = "not-a-key"), [{ path: "hosts[0].hostKey", message: /SSH public host key/ }]],
        ["short sha256", (r) => (r.binaries.etcd.sha256 = "abc"), [{ path: "binaries.etcd.sha256", message: /64 hexadecimal/ }]],
        ["missing sha256", (r) => delete r.binaries.runc.sha256, [{ path: "binaries.runc.sha256", message: /required/ }]],
        ["sha256 read as a number", (r) => (r.binaries.runc.sha256 = 1e63), [{ path: "binaries.runc.sha256", message: /must be a string/ }]],
        ["bad version", (r) => (r.binaries.kubernetes.version = "1.33"), [{ path: "binaries.kubernetes.version", message: /release version/ }]],
        [
            "bad kubernetes binary name",
            (r) => (r.binaries.kubernetes.sha256["kube-apiservr"] = SHA256),
            [{ path: "binaries.kubernetes.sha256.kube-apiservr", message: /not a known field/ }],
        ],
        ["bad CIDR", (r) => (r.network.podCidr = "10.244.0.0/33"), [{ path: "network.podCidr", message: /IPv4 block/ }]],
        ["missing network", (r) => delete r.network, [{ path: "network", message: /required/ }]],
        ["bad flannel mode", (r) => (r.flannel = { mode: "host" }), [{ path: "flannel.mode" }]],
        ["bad backend", (r) => (r.flannel = { backend: "ipip" }), [{ path: "flannel.backend", message: /"vxlan"/ }]],
        ["mtu too small", (r) => (r.flannel = { mtu: 100 }), [{ path: "flannel.mtu", message: /at least 576/ }]],
        ["fractional prefix", (r) => (r.flannel = { subnetLen: 24.5 }), [{ path: "flannel.subnetLen", message: /must be an integer/ }]],
        ["list instead of a map", (r) => (r.binaries.kubernetes.sha256 = []), [{ path: "binaries.kubernetes.sha256", message: /must be a map, not a list/ }]],
        ["vrid out of range", (r) => (r.loadBalancer.virtualRouterId = 300), [{ path: "loadBalancer.virtualRouterId" }]],
        ["bad key algorithm", (r) => (r.pki = { keyAlgorithm: "ED25519" }), [{ path: "pki.keyAlgorithm", message: /"ECDSA", "RSA"/ }]],
        ["http-less mirror", (r) => (r.binaries.etcd.baseUrl = "ftp://mirror/etcd"), [{ path: "binaries.etcd.baseUrl" }]],
        ["secure value in a plain field", (r) => (r.hosts[0].address = { secure: "v1:abc" }), [{ path: "hosts[0].address", message: /not a secret field/ }]],
        ["unknown top-level field", (r) => (r.netwrk = {}), [{ path: "netwrk", message: /not a known field/ }]],
    ];
    for (const [name, mutate, expected] of cases) {
        it(name, () => {
            const raw = baseSpec();
            mutate(raw);
            rejects(raw, expected);
        });
    }

    it("suggests the closest known field", () => {
        const raw = baseSpec();
        raw.loadBalancer.vipp = "1.2.3.4";
        const e = rejects(raw, [{ path: "loadBalancer.vipp" }]);
        assert.match(e.issues[0].hint, /`vip`/);
    });

    it("hints at quoting a digest YAML read as a number", () => {
        const raw = baseSpec();
        raw.binaries.runc.sha256 = 1e63;
        assert.match(rejects(raw, [{ path: "binaries.runc.sha256" }]).issues[0].hint, /quote/);
    });

    it("reports every shape problem at once, one per line", () => {
        const raw = baseSpec();
        raw.hosts[1].address = "nope";
        raw.hosts[6].roles = ["balancer"];
        raw.binaries.etcd.sha256 = "x";
        raw.network.serviceCidr = "10.96.0.0";
        const e = rejects(raw, [
            { path: "hosts[1].address" },
            { path: "hosts[6].roles[0]" },
            { path: "binaries.etcd.sha256" },
            { path: "network.serviceCidr" },
        ]);
        assert.equal(e.issues.length, 4);
        const lines = e.message.split("\n");
        assert.equal(lines[0], "Invalid cluster spec in test: 4 problems");
        assert.equal(lines.length, 5);
    });
});

describe("cluster spec: cross-field checks", () => {
    const cases: [string, (r: Raw) => void, { path: string; message?: RegExp }[], boolean?][] = [
        [
            "no etcd host",
            (r) => r.hosts.forEach((h: Raw) => (h.roles = h.roles.filter((x: string) => x !== "etcd"))),
            [{ path: "hosts", message: /`etcd` role/ }],
        ],
        [
            "no control-plane host",
            (r) => (r.hosts = r.hosts.map((h: Raw) => ({ ...h, roles: h.roles.map((x: string) => (x === "control-plane" ? "worker" : x)) }))),
            [{ path: "hosts", message: /`control-plane` role/ }],
        ],
        ["duplicate name", (r) => (r.hosts[4].name = "w1"), [{ path: "hosts[4].name", message: /also the name of hosts\[3\]/ }]],
        ["duplicate address", (r) => (r.hosts[2].address = "192.168.10.11"), [{ path: "hosts[2].address", message: /also the address of hosts\[0\]/ }]],
        ["repeated role", (r) => (r.hosts[3].roles = ["worker", "worker"]), [{ path: "hosts[3].roles[1]", message: /repeats/ }]],
        ["labels on a non-worker", (r) => (r.hosts[0].labels = { a: "b" }), [{ path: "hosts[0].labels", message: /workers only/ }]],
        ["address outside host subnets", (r) => (r.hosts[3].address = "192.168.11.21"), [{ path: "hosts[3].address", message: /none of network.hostSubnets/ }]],
        ["broadcast address", (r) => (r.hosts[3].address = "192.168.10.255"), [{ path: "hosts[3].address", message: /broadcast/ }]],
        ["host bits set", (r) => (r.network.podCidr = "10.244.1.0/16"), [{ path: "network.podCidr", message: /host bits/ }]],
        ["pods overlap services", (r) => (r.network.podCidr = "10.96.0.0/16"), [{ path: "network.serviceCidr", message: /overlaps network.podCidr/ }]],
        ["pods overlap hosts", (r) => (r.network.podCidr = "192.168.0.0/16"), [{ path: "network.podCidr", message: /overlaps network.hostSubnets\[0\]/ }]],
        [
            "service block too large",
            (r) => (r.network.serviceCidr = "10.0.0.0/8"),
            [{ path: "network.serviceCidr", message: /larger than kube-apiserver accepts/ }],
        ],
        ["DNS outside services", (r) => (r.network.clusterDns = "10.244.0.10"), [{ path: "network.clusterDns", message: /outside network.serviceCidr/ }]],
        ["DNS is the kubernetes Service", (r) => (r.network.clusterDns = "10.96.0.1"), [{ path: "network.clusterDns", message: /first address/ }]],
        ["DNS is the network address", (r) => (r.network.clusterDns = "10.96.0.0"), [{ path: "network.clusterDns", message: /network or broadcast/ }]],
        [
            "pod block too small for the nodes",
            (r) => ((r.network.podCidr = "10.244.0.0/24"), (r.flannel = { subnetLen: 25 }), r.hosts[5].roles.push("worker")),
            [{ path: "network.podCidr", message: /2 node subnets of \/25, fewer than the 6 nodes/ }],
        ],
        ["node subnet not inside the pod block", (r) => (r.flannel = { subnetLen: 16 }), [{ path: "flannel.subnetLen" }]],
        ["lb hosts without a VIP", (r) => delete r.loadBalancer, [{ path: "loadBalancer", message: /`lb` role but no loadBalancer/ }]],
        [
            "VIP outside the lb subnet",
            (r) => (r.loadBalancer.vip = "192.168.20.100"),
            [{ path: "loadBalancer.vip", message: /not in 192.168.10.0\/24, the subnet of lb host lb1/ }],
        ],
        ["VIP is a host's address", (r) => (r.loadBalancer.vip = "192.168.10.31"), [{ path: "loadBalancer.vip", message: /address of host lb1/ }]],
        ["a single lb host", (r) => (r.hosts = r.hosts.filter((h: Raw) => h.name !== "lb2")), [{ path: "hosts", message: /only lb1 has the `lb` role/ }]],
        [
            "lb port collides with the apiserver",
            (r) => (r.hosts[0].roles = ["etcd", "control-plane", "lb"]),
            [{ path: "loadBalancer.port", message: /kube-apiserver port on cp1/ }],
        ],
        [
            "lb port collides with etcd",
            (r) => ((r.hosts[0].roles = ["etcd", "lb"]), (r.loadBalancer.port = 2379)),
            [{ path: "loadBalancer.port", message: /etcd clients/ }],
        ],
        ["apiserver port taken by etcd", (r) => (r.network.apiserverPort = 2379), [{ path: "network.apiserverPort", message: /etcd clients port on cp1/ }]],
        ["apiserver port taken by the scheduler", (r) => (r.network.apiserverPort = 10259), [{ path: "network.apiserverPort", message: /kube-scheduler/ }]],
        [
            "node-role label the kubelet may not set",
            (r) => (r.hosts[3].labels = { "node-role.kubernetes.io/worker": "" }),
            [{ path: 'hosts[3].labels["node-role.kubernetes.io/worker"]', message: /NodeRestriction/ }],
        ],
        [
            "repeated taint",
            (r) => r.hosts[4].taints.push({ key: "dedicated", effect: "NoSchedule" }),
            [{ path: "hosts[4].taints[1]", message: /repeats taints\[0\]/ }],
        ],
        [
            "docker on a new release",
            (r) => ((r.containerRuntime = "docker"), (r.binaries.docker = { version: "20.10.24", sha256: SHA256 })),
            [{ path: "containerRuntime", message: /dockershim/ }],
        ],
        [
            "docker without its release",
            (r) => (r.containerRuntime = "docker"),
            [
                { path: "containerRuntime", message: /dockershim/ },
                { path: "binaries.docker", message: /required/ },
            ],
        ],
        [
            "kubelet newer than the apiserver",
            (r) => (r.binaries.kubernetesNode = { version: "1.34.0", serverTarball: { sha512: SHA512 } }),
            [{ path: "binaries.kubernetesNode.version", message: /newer than the apiserver/ }],
        ],
        [
            "kubelet four minors behind",
            (r) => (r.binaries.kubernetesNode = { version: "1.29.0", serverTarball: { sha512: SHA512 } }),
            [{ path: "binaries.kubernetesNode.version", message: /4 minors older/ }],
        ],
        [
            "kubelet three minors behind before 1.28",
            (r) => ((r.binaries.kubernetes.version = "1.27.3"), (r.binaries.kubernetesNode = { version: "1.24.0", serverTarball: { sha512: SHA512 } })),
            [{ path: "binaries.kubernetesNode.version", message: /at most 2/ }],
        ],
        ["etcd 3.4 with Kubernetes 1.33", (r) => (r.binaries.etcd.version = "3.4.26"), [{ path: "binaries.etcd.version", message: /3\.5\.x/ }]],
        ["etcd 3.5 with Kubernetes 1.20", (r) => (r.binaries.kubernetes.version = "1.20.15"), [{ path: "binaries.etcd.version", message: /3\.4\.x/ }]],
        ["Kubernetes too old", (r) => (r.binaries.kubernetes.version = "1.19.16"), [{ path: "binaries.kubernetes.version", message: /older than 1.20/ }]],
        [
            "missing control-plane checksum",
            (r) => delete r.binaries.kubernetes.sha256["kube-scheduler"],
            [{ path: "binaries.kubernetes.sha256.kube-scheduler", message: /pinned/ }],
        ],
        ["missing node checksum", (r) => delete r.binaries.kubernetes.sha256.kubelet, [{ path: "binaries.kubernetes.sha256.kubelet" }]],
        ["no checksums at all", (r) => delete r.binaries.kubernetes.sha256, [{ path: "binaries.kubernetes.sha256", message: /required/ }]],
        ["both checksum forms", (r) => (r.binaries.kubernetes.serverTarball = { sha512: SHA512 }), [{ path: "binaries.kubernetes", message: /both sha256/ }]],
        ["containerd missing with workers", (r) => delete r.binaries.containerd, [{ path: "binaries.containerd", message: /required/ }]],
        ["CNI plugins missing with workers", (r) => delete r.binaries.cniPlugins, [{ path: "binaries.cniPlugins" }]],
        [
            "mirror and local path",
            (r) => (r.binaries.runc = { version: "1.3.1", sha256: SHA256, baseUrl: "https://mirror.example/runc", localPath: "/srv" }),
            [{ path: "binaries.runc", message: /both baseUrl and localPath/ }],
        ],
        [
            "DirectRouting with host-gw",
            (r) => (r.flannel = { backend: "host-gw", directRouting: true }),
            [{ path: "flannel.directRouting", message: /vxlan option/ }],
        ],
        [
            "host-gw across subnets",
            (r) => ((r.flannel = { backend: "host-gw" }), r.network.hostSubnets.push("192.168.20.0/24"), (r.hosts[4].address = "192.168.20.22")),
            [{ path: "flannel.backend", message: /192.168.10.0\/24, 192.168.20.0\/24/ }],
        ],
        [
            "systemd flannel without flanneld",
            (r) => (r.flannel = { mode: "systemd-etcd" }),
            [{ path: "binaries.flannel" }, { path: "binaries.flannelCniPlugin" }],
        ],
        ["certs outlive the CA", (r) => (r.pki = { caValidityHours: 100, certValidityHours: 200 }), [{ path: "pki.certValidityHours", message: /outlives/ }]],
        [
            "an initial etcd member that is no etcd host",
            (r) => (r.etcd = { initialMembers: ["cp1", "w1"] }),
            [{ path: "etcd.initialMembers[1]", message: /`w1` is not the name of a host with the `etcd` role/ }],
        ],
        [
            "a repeated initial etcd member",
            (r) => (r.etcd = { initialMembers: ["cp1", "cp1"] }),
            [{ path: "etcd.initialMembers[1]", message: /repeats initialMembers\[0\]/ }],
        ],
        ["no credentials", (r) => delete r.ssh, [{ path: "ssh", message: /no SSH credentials/ }]],
        ["two credentials", (r) => (r.ssh.agent = true), [{ path: "ssh", message: /ssh.privateKeyPath, ssh.agent/ }]],
        ["secret key and a key file", () => undefined, [{ path: "ssh", message: /secret k8s-binary:sshPrivateKey, ssh.privateKeyPath/ }], true],
        ["agent socket without the agent", (r) => (r.ssh.agentSocketPath = "/run/agent.sock"), [{ path: "ssh.agentSocketPath" }]],
    ];
    for (const [name, mutate, expected, secret] of cases) {
        it(name, () => {
            const raw = baseSpec();
            mutate(raw);
            rejects(raw, expected, secret ?? false);
        });
    }

    it("reports every cross-field problem at once, with the warnings", () => {
        const raw = baseSpec();
        raw.hosts[1].address = "192.168.10.11";
        raw.hosts[2].roles = ["control-plane"];
        raw.network.clusterDns = "10.96.0.1";
        raw.loadBalancer.vip = "192.168.10.21";
        raw.flannel = { backend: "udp", directRouting: true };
        const e = rejects(raw, [{ path: "hosts[1].address" }, { path: "network.clusterDns" }, { path: "loadBalancer.vip" }, { path: "flannel.directRouting" }]);
        assert.equal(e.issues.length, 4);
        assert.deepEqual(e.warnings.map((w) => w.path).sort(), ["flannel.backend", "hosts"]);
    });

    it("accepts the labels a kubelet may set on itself", () => {
        const raw = baseSpec();
        raw.hosts[3].labels = { "node.kubernetes.io/pool": "a", "topology.kubernetes.io/zone": "z1", "example.com/team": "db", plain: "x" };
        assert.equal(Object.keys(parse(raw).spec.hosts[3].labels).length, 4);
    });

    it("refuses docker even on kubelets that still had dockershim: the nodes run 1.31 or newer", () => {
        const raw = baseSpec();
        raw.containerRuntime = "docker";
        raw.binaries.kubernetesNode = { version: "1.23.17", serverTarball: { sha512: SHA512 } };
        raw.binaries.docker = { version: "20.10.24", sha256: SHA256 };
        delete raw.binaries.containerd;
        delete raw.binaries.runc;
        rejects(raw, [
            { path: "containerRuntime", message: /dockershim, which left the kubelet in Kubernetes 1\.24; the nodes this project configures run 1\.31/ },
        ]);
    });

    it("accepts a node release up to three minors behind since 1.28", () => {
        const raw = baseSpec();
        raw.binaries.kubernetes.version = "1.34.1";
        raw.binaries.kubernetesNode = { version: "1.31.14", serverTarball: { sha512: SHA512 } };
        assert.equal(parse(raw).spec.binaries.kubernetesNode?.version, "1.31.14");
    });

    it("accepts etcd 3.6 from Kubernetes 1.34", () => {
        const raw = baseSpec();
        raw.binaries.kubernetes.version = "1.34.1";
        raw.binaries.etcd.version = "3.6.4";
        assert.equal(parse(raw).spec.binaries.etcd.version, "3.6.4");
    });

    it("needs no control-plane checksums from the node release", () => {
        const raw = baseSpec();
        raw.binaries.kubernetesNode = { version: "1.33.0", sha256: { kubelet: pin("kubelet 1.33.0"), "kube-proxy": pin("kube-proxy 1.33.0") } };
        assert.ok(parse(raw).spec.binaries.kubernetesNode);
    });
});

describe("cluster spec: warnings", () => {
    it("warns on an even etcd member count", () => {
        const raw = baseSpec();
        raw.hosts[2].roles = ["control-plane"];
        assert.deepEqual(
            warningsOf(raw).map((w) => [w.path, /tolerate/.test(w.message)]),
            [["hosts", true]],
        );
    });

    it("warns on several control planes without a load balancer", () => {
        const raw = baseSpec();
        delete raw.loadBalancer;
        raw.hosts = raw.hosts.filter((h: Raw) => !h.roles.includes("lb"));
        assert.match(warningsOf(raw)[0].message, /3 control-plane hosts but no load balancer/);
    });

    it("warns on a VIP without lb hosts, and on unused flannel binaries", () => {
        const raw = baseSpec();
        raw.hosts = raw.hosts.filter((h: Raw) => !h.roles.includes("lb"));
        raw.binaries.flannel = { version: "0.27.3", sha256: SHA256 };
        assert.deepEqual(
            warningsOf(raw).map((w) => w.path),
            ["loadBalancer", "binaries.flannel"],
        );
    });

    it("warns on a Kubernetes release newer than the checked ones", () => {
        const raw = baseSpec();
        raw.binaries.kubernetes.version = "1.40.0";
        raw.binaries.etcd.version = "3.6.4";
        assert.deepEqual(
            warningsOf(raw).map((w) => w.path),
            ["binaries.kubernetes.version"],
        );
    });
});

describe("formatPath", () => {
    it("writes paths in Pulumi's --path syntax", () => {
        assert.equal(formatPath(["hosts", 1, "roles", 0]), "hosts[1].roles[0]");
        assert.equal(formatPath(["hosts", 2, "labels", "node-role.kubernetes.io/edge"]), 'hosts[2].labels["node-role.kubernetes.io/edge"]');
        assert.equal(formatPath(["binaries", "kubernetes", "sha256", "kube-apiserver"]), "binaries.kubernetes.sha256.kube-apiserver");
        assert.equal(formatPath([]), "");
    });
});
