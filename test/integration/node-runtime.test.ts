// The node runtime on testbed hosts, from what the toolchain built: containerd, runc, the CNI plugins,
// crictl and the kubelet installed from a mirror on the testbed's bridge by BinaryRelease's install
// script with the checksums the releases publish; the locally built images imported and pinned; a
// pod sandbox and a container through the CRI, exec landing inside the container; a standalone
// kubelet (no apiserver) running a static pod on a CNI bridge that answers HTTP from the other host.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { renderInstallScript, type InstallPlan } from "../../components/host/binary-release";
import { PINNED_LABEL, renderImageImportScript, type ImageImportPlan } from "../../components/host/image-archive";
import { requireTestbed, startTestbed, type Testbed } from "../support/testbed";
import { makeMirror, mirrorImages, publishedDigest, versions } from "../support/toolchain";
import { bridgeConflist, containerdFiles, podSubnets, standaloneKubeletFiles, type ImageRecord } from "../support/node-runtime";

const V = versions;

test("node runtime from the toolchain's releases on testbed hosts", { timeout: 15 * 60_000 }, async (t) => {
    if (!requireTestbed(t)) return;
    const work = mkdtempSync(join(tmpdir(), "k8s-binary-node-runtime-"));
    t.after(() => rmSync(work, { recursive: true, force: true }));
    const mirror = makeMirror(join(work, "mirror"));
    const testbed: Testbed = await startTestbed({ hosts: ["n1", "n2"] });
    t.after(() => testbed.stop());
    const baseUrl = await testbed.serveDirectory(mirror);
    const names = testbed.hosts.map((h) => h.name);
    const subnets = podSubnets(testbed.podCidr, names);

    const run = async (host: string, script: string, input?: string): Promise<string> => {
        const r = await testbed.exec(host, `set -euo pipefail\n${script}`, { input, timeoutMs: 120_000 });
        assert.equal(r.code, 0, `${host}: ${script.split("\n")[0]}…: ${r.stderr}${r.stdout}`);
        return r.stdout.trim();
    };
    const writeFile = (host: string, path: string, content: string, mode = "0644") =>
        run(host, `mkdir -p "$(dirname ${path})" && cat > ${path} && chmod ${mode} ${path}`, content);
    const until = async (what: string, check: () => Promise<boolean>, timeoutMs = 90_000): Promise<void> => {
        const start = Date.now();
        while (!(await check())) {
            if (Date.now() - start > timeoutMs) throw new Error(`timed out after ${timeoutMs / 1000} s waiting for ${what}`);
            await new Promise((r) => setTimeout(r, 250));
        }
    };

    // Each release as BinaryRelease installs it, its digest read from the file the release publishes.
    const releases: (Omit<InstallPlan, "source" | "binDir" | "archivePaths" | "checksum" | "owner"> & {
        path: string;
        digestFile: string;
        algorithm: "sha256" | "sha512";
    })[] = [
        {
            name: "containerd",
            version: V.CONTAINERD,
            archive: "tar.gz",
            binaries: ["containerd", "containerd-shim-runc-v2", "ctr"],
            path: `containerd/v${V.CONTAINERD}/containerd-${V.CONTAINERD}-linux-amd64.tar.gz`,
            digestFile: ".sha256sum",
            algorithm: "sha256",
        },
        {
            name: "runc",
            version: V.RUNC,
            archive: "binary",
            binaries: ["runc"],
            path: `runc/v${V.RUNC}/runc.amd64`,
            digestFile: "runc.sha256sum",
            algorithm: "sha256",
        },
        {
            name: "cri-tools",
            version: V.CRI_TOOLS,
            archive: "tar.gz",
            binaries: ["crictl"],
            path: `cri-tools/v${V.CRI_TOOLS}/crictl-v${V.CRI_TOOLS}-linux-amd64.tar.gz`,
            digestFile: ".sha256",
            algorithm: "sha256",
        },
        // The server tarball for kubelet (sha512, as Kubernetes publishes it) …
        {
            name: "kubernetes",
            version: V.KUBERNETES,
            archive: "tar.gz",
            binaries: ["kubelet"],
            path: `kubernetes/v${V.KUBERNETES}/kubernetes-server-linux-amd64.tar.gz`,
            digestFile: ".sha512",
            algorithm: "sha512",
        },
        // … and a single binary from bin/linux/amd64, the other layout stacks can pin.
        {
            name: "kubectl",
            version: V.KUBERNETES,
            archive: "binary",
            binaries: ["kubectl"],
            path: `kubernetes/v${V.KUBERNETES}/bin/linux/amd64/kubectl`,
            digestFile: ".sha256",
            algorithm: "sha256",
        },
    ];
    const cniDir = `cni-plugins/v${V.CNI_PLUGINS}`;
    const cniFile = `cni-plugins-linux-amd64-v${V.CNI_PLUGINS}.tgz`;

    await t.test("every release installs from the mirror, verified by its published checksum, and reports its real version", async () => {
        await Promise.all(
            names.map(async (host) => {
                for (const r of releases) {
                    const fileName = r.path.split("/").pop()!;
                    const digestPath = r.digestFile.startsWith(".") ? `${r.path}${r.digestFile}` : join(r.path, "..", r.digestFile);
                    const digest = publishedDigest(join(mirror, digestPath), fileName);
                    await run(
                        host,
                        renderInstallScript({
                            name: r.name,
                            version: r.version,
                            archive: r.archive,
                            binaries: r.binaries,
                            archivePaths: {},
                            binDir: "/usr/local/bin",
                            owner: `${host}-${r.name}`,
                            checksum: { algorithm: r.algorithm, digest },
                            source: { url: `${baseUrl}/${r.path}` },
                        }),
                    );
                }
                // The CNI plugins go where containerd and kubelet look for them.
                await run(
                    host,
                    renderInstallScript({
                        name: "cni-plugins",
                        version: V.CNI_PLUGINS,
                        archive: "tar.gz",
                        binaries: ["bridge", "host-local", "loopback", "portmap"],
                        archivePaths: {},
                        binDir: "/opt/cni/bin",
                        owner: `${host}-cni-plugins`,
                        source: { url: `${baseUrl}/${cniDir}/${cniFile}` },
                        checksum: { algorithm: "sha256", digest: publishedDigest(join(mirror, cniDir, `${cniFile}.sha256`), cniFile) },
                    }),
                );
            }),
        );
        // Each tool's own word for its version: the stamps the toolchain's builds set.
        const firstLine = async (cmd: string) => (await run("n1", cmd)).split("\n")[0];
        const escaped = (v: string) => v.replace(/\./g, "\\.");
        assert.equal(await firstLine("kubelet --version"), `Kubernetes v${V.KUBERNETES}`);
        assert.equal(await firstLine("kubectl version --client"), `Client Version: v${V.KUBERNETES}`);
        assert.match(await firstLine("containerd --version"), new RegExp(` v${escaped(V.CONTAINERD)}\\b`));
        assert.equal(await firstLine("runc --version"), `runc version ${V.RUNC}`);
        assert.equal(await firstLine("crictl --version"), `crictl version v${V.CRI_TOOLS}`);
        assert.equal(await firstLine("/opt/cni/bin/bridge --version 2>&1"), `CNI bridge plugin v${V.CNI_PLUGINS}`);
    });

    const images = mirrorImages(mirror);
    const image = (prefix: string): ImageRecord => {
        const found = images.find((i) => i.ref.startsWith(prefix));
        assert.ok(found, `the toolchain built no image ${prefix}* (images.json: ${images.map((i) => i.ref).join(", ")})`);
        return found;
    };
    const importPlan = (img: ImageRecord): ImageImportPlan => ({
        ref: img.ref,
        sha256: img.sha256,
        digest: img.digest,
        namespace: "k8s.io",
        source: { url: `${baseUrl}/images/${img.file}` },
    });
    const pause = image("registry.k8s.io/pause:");
    const agnhost = image("registry.k8s.io/e2e-test-images/agnhost:");

    await t.test("containerd runs under the host's systemd; the images import from the mirror, verified and pinned", async () => {
        await Promise.all(
            names.map(async (host) => {
                for (const f of containerdFiles({ sandboxImage: pause.ref })) await writeFile(host, f.path, f.content);
                await run(host, "systemctl daemon-reload && systemctl enable --now containerd");
                await until(`containerd on ${host}`, async () => (await testbed.exec(host, "ctr version >/dev/null 2>&1")).code === 0);
                for (const img of [pause, agnhost]) {
                    await run(host, renderImageImportScript(importPlan(img)));
                    const listed = await run(host, `ctr -n k8s.io images ls name==${img.ref}`);
                    assert.match(listed, new RegExp(`${img.digest}.*${PINNED_LABEL}`), `${host}: ${img.ref} imported as built, and pinned`);
                }
            }),
        );
    });

    await t.test("an image archive that fails its checks imports nothing; a second import changes nothing", async () => {
        const coredns = image("registry.k8s.io/coredns/coredns:");
        const wrongSum = await testbed.exec("n2", renderImageImportScript({ ...importPlan(coredns), sha256: "0".repeat(64) }));
        assert.notEqual(wrongSum.code, 0);
        assert.match(wrongSum.stderr, /sha256 mismatch for the archive of registry\.k8s\.io\/coredns\/coredns:.*nothing was imported/);
        assert.equal(await run("n2", `ctr -n k8s.io images ls -q name==${coredns.ref}`), "", "and indeed nothing was");
        // The right file under a digest it does not hold: imported, but refused as not the image pinned.
        const wrongDigest = await testbed.exec("n2", renderImageImportScript({ ...importPlan(coredns), digest: pause.digest }));
        assert.notEqual(wrongDigest.code, 0);
        assert.match(wrongDigest.stderr, new RegExp(`holds registry\\.k8s\\.io/coredns/coredns:\\S+ as ${coredns.digest}, not ${pause.digest}`));
        await run("n2", `ctr -n k8s.io images rm ${coredns.ref} >/dev/null`);
        // Again with the image in place: containerd already lists the digest, so nothing is fetched
        // (the URL would fail) and nothing changes.
        const before = await run("n1", "ctr -n k8s.io images ls");
        await run("n1", renderImageImportScript({ ...importPlan(agnhost), source: { url: `${baseUrl}/images/no-such-file.tar` } }));
        assert.equal(await run("n1", "ctr -n k8s.io images ls"), before);
    });

    await t.test("a pod sandbox and a container through the CRI; exec lands inside the container, not on the host", async () => {
        await writeFile("n1", "/etc/crictl.yaml", "runtime-endpoint: unix:///run/containerd/containerd.sock\ntimeout: 30\n");
        await writeFile("n1", "/etc/cni/net.d/10-bridge.conflist", bridgeConflist(subnets.n1));
        const pod = JSON.stringify({
            metadata: { name: "cri-probe", namespace: "default", uid: "cri-probe-uid", attempt: 1 },
            hostname: "cri-probe",
            log_directory: "/var/log/cri-probe",
            linux: { cgroup_parent: "system.slice" },
        });
        const ctr = JSON.stringify({ metadata: { name: "agnhost" }, image: { image: agnhost.ref }, args: ["pause"], log_path: "agnhost.log", linux: {} });
        await writeFile("n1", "/root/pod.json", pod);
        await writeFile("n1", "/root/ctr.json", ctr);
        const podId = await run("n1", "mkdir -p /var/log/cri-probe; crictl runp /root/pod.json");
        const ctrId = await run("n1", `crictl create ${podId} /root/ctr.json /root/pod.json`);
        await run("n1", `crictl start ${ctrId}`);
        const inside = await run("n1", `crictl exec ${ctrId} /bin/sh -c 'cat /etc/hostname; ls -d /agnhost'`);
        assert.equal(inside, "cri-probe\n/agnhost", "exec sees the container's own files");
        const hostSide = await run("n1", "cat /etc/hostname; test -e /agnhost && echo leaked || echo clean");
        assert.equal(hostSide, "n1\nclean");
        const podIp = await run("n1", `crictl inspectp -o go-template --template '{{.status.network.ip}}' ${podId}`);
        assert.ok(ipInSubnet(podIp, subnets.n1), `pod address ${podIp} from n1's pod subnet ${subnets.n1}`);
        await run("n1", `crictl stop ${ctrId} >/dev/null; crictl rm ${ctrId} >/dev/null; crictl stopp ${podId} >/dev/null; crictl rmp ${podId} >/dev/null`);
    });

    await t.test("a standalone kubelet runs a static pod on the CNI bridge, which answers HTTP from the other host", async () => {
        await Promise.all(
            names.map(async (host) => {
                const files = standaloneKubeletFiles(agnhost.ref);
                await writeFile(host, "/etc/cni/net.d/10-bridge.conflist", bridgeConflist(subnets[host]));
                await writeFile(host, "/var/lib/kubelet/config.yaml", files.config);
                await writeFile(host, "/etc/systemd/system/kubelet.service", files.unit);
                await writeFile(host, "/etc/kubernetes/manifests/netexec.yaml", files.staticPod);
                // Forwarding between eth0 and the pod bridge (HostPrep sets it on real workers).
                await run(host, "sysctl -qw net.ipv4.ip_forward=1 && systemctl daemon-reload && systemctl enable --now kubelet");
            }),
        );
        // Each host routes the other's pod subnet to it, as flannel's host-gw backend would.
        for (const [host, other] of [
            ["n1", "n2"],
            ["n2", "n1"],
        ]) {
            await run(host, `ip route replace ${subnets[other]} via ${testbed.host(other).address} dev eth0`);
        }
        const podIpOn = async (host: string): Promise<string> =>
            (
                await testbed.exec(
                    host,
                    "crictl pods --name netexec --state ready -q | head -1 | xargs -r crictl inspectp -o go-template --template '{{.status.network.ip}}'",
                )
            ).stdout.trim();
        let n1Pod = "";
        await until("the static pod on n1 to run", async () => (n1Pod = await podIpOn("n1")) !== "", 180_000);
        assert.ok(ipInSubnet(n1Pod, subnets.n1), `static pod address ${n1Pod} in ${subnets.n1}`);
        let answer = "";
        await until(`HTTP from n2 to the pod at ${n1Pod}`, async () => {
            const r = await testbed.exec("n2", `curl -fsS --max-time 2 http://${n1Pod}:8080/hostname`);
            answer = r.stdout.trim();
            return r.code === 0;
        });
        assert.equal(answer, "netexec-n1", "agnhost reports the pod's hostname: the static pod's name with the node suffix");
        for (const host of names) {
            console.log(`${host}: ${Math.round(testbed.memoryKiB(host) / 1024)} MiB (PSS) with containerd, kubelet and one pod running`);
        }
    });
});

function ipInSubnet(ip: string, cidr: string): boolean {
    const toInt = (a: string) => a.split(".").reduce((n, o) => (n << 8) + Number(o), 0) >>> 0;
    const [base, bits] = cidr.split("/");
    const mask = Number(bits) === 0 ? 0 : (~0 << (32 - Number(bits))) >>> 0;
    return /^\d+\.\d+\.\d+\.\d+$/.test(ip) && (toInt(ip) & mask) >>> 0 === (toInt(base) & mask) >>> 0;
}
