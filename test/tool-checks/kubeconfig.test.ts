import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { renderKubeconfig } from "../../components/pki";

function run(cmd: string, args: string[], cwd: string) {
    const r = spawnSync(cmd, args, { cwd, encoding: "utf8" });
    assert.equal(r.status, 0, `${cmd} ${args.join(" ")}: ${r.stderr}`);
    return r.stdout;
}

test("a rendered kubeconfig is accepted by kubectl config view --minify and carries the exact PEMs", (t) => {
    const dir = mkdtempSync(join(tmpdir(), "k8s-binary-kubeconfig-"));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    run(
        "openssl",
        [
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
            "-subj",
            "/CN=kubernetes",
            "-days",
            "1",
        ],
        dir,
    );
    run(
        "openssl",
        [
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-keyout",
            "admin.key",
            "-out",
            "admin.csr",
            "-subj",
            "/CN=admin/O=system:masters",
        ],
        dir,
    );
    run("openssl", ["x509", "-req", "-in", "admin.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "admin.pem", "-days", "1"], dir);
    const pem = (f: string) => readFileSync(join(dir, f), "utf8");
    const text = renderKubeconfig({
        clusterName: "k8s-binary",
        server: "https://10.77.0.100:6443",
        caPem: pem("ca.pem"),
        user: "admin",
        clientCertPem: pem("admin.pem"),
        clientKeyPem: pem("admin.key"),
    });
    writeFileSync(join(dir, "admin.kubeconfig"), text);
    const view = JSON.parse(run("kubectl", ["config", "view", "--minify", "--raw", "-o", "json", "--kubeconfig", "admin.kubeconfig"], dir));
    assert.equal(view["current-context"], "admin@k8s-binary");
    assert.equal(view.clusters[0].cluster.server, "https://10.77.0.100:6443");
    assert.equal(Buffer.from(view.clusters[0].cluster["certificate-authority-data"], "base64").toString(), pem("ca.pem"));
    assert.equal(Buffer.from(view.users[0].user["client-key-data"], "base64").toString(), pem("admin.key"));
    // The client certificate in the file verifies against the CA in the file.
    writeFileSync(join(dir, "from-file.pem"), Buffer.from(view.users[0].user["client-certificate-data"], "base64"));
    run("openssl", ["verify", "-CAfile", "ca.pem", "from-file.pem"], dir);
    assert.equal(
        renderKubeconfig({
            clusterName: "k8s-binary",
            server: "https://10.77.0.100:6443",
            caPem: pem("ca.pem"),
            user: "admin",
            clientCertPem: pem("admin.pem"),
            clientKeyPem: pem("admin.key"),
        }),
        text,
        "deterministic",
    );
});

test("a token kubeconfig works and bad combinations are refused", () => {
    const text = renderKubeconfig({
        clusterName: "c",
        server: "https://10.77.0.100:6443",
        caPem: "CA",
        user: "kubelet-bootstrap",
        token: "abcdef.0123456789abcdef",
    });
    assert.match(text, /token: abcdef.0123456789abcdef/);
    assert.throws(
        () => renderKubeconfig({ clusterName: "c", server: "https://x:6443", caPem: "CA", user: "u" }),
        /either a client certificate and key or a token/,
    );
    assert.throws(() => renderKubeconfig({ clusterName: "c", server: "https://x:6443", caPem: "CA", user: "u", clientCertPem: "C" }), /needs its key/);
    assert.throws(() => renderKubeconfig({ clusterName: "c", server: "http://x:6443", caPem: "CA", user: "u", token: "t" }), /https:\/\//);
});
