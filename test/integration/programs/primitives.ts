// A program over the host primitives, driven by the testbed: a secret file, a
// service restarted by its config, a release installed from the testbed's HTTP server, and host
// preparation, on every testbed host it is given.
import * as pulumi from "@pulumi/pulumi";
import { BinaryRelease, Host, HostPrep, RemoteFile, SystemdUnit } from "../../../components/host";

export default async () => {
    const config = new pulumi.Config("testbed");
    const hosts = config.requireObject<Host[]>("hosts");
    const release = config.requireObject<{ url: string; sha256: string; version: string }>("release");
    const serviceConfig = config.require("serviceConfig");
    const secret = config.requireSecret("secret");
    // Renaming a resource (a refactor) creates the new one before deleting the old.
    const secretName = config.get("secretResourceName") ?? "secret";
    const unitName = config.get("unitResourceName") ?? "demo";

    const outputs: Record<string, pulumi.Output<string>> = {};
    for (const host of hosts) {
        new RemoteFile(`${host.name}-${secretName}`, { host, path: "/etc/k8s-binary-demo/secret.key", content: secret, mode: "0600" });
        const tool = new BinaryRelease(`${host.name}-demotool`, {
            host,
            name: "demotool",
            version: release.version,
            url: release.url,
            sha256: release.sha256,
            archive: "tar.gz",
            binaries: ["demotool", "demohelper"],
            archivePaths: { demohelper: "./demotool-linux-amd64/extra/helper-amd64" },
        });
        const conf = new RemoteFile(`${host.name}-demo-conf`, { host, path: "/etc/k8s-binary-demo/demo.conf", content: serviceConfig });
        new SystemdUnit(`${host.name}-${unitName}`, {
            host,
            name: "k8s-binary-demo.service",
            content: [
                "[Unit]",
                "Description=k8s-binary testbed demo service",
                "[Service]",
                `ExecStart=${tool.paths.demotool} /etc/k8s-binary-demo/demo.conf`,
                "Restart=on-failure",
                "[Install]",
                "WantedBy=multi-user.target",
                "",
            ].join("\n"),
            restartOn: [conf.contentHash, tool.checksum],
        });
        const prep = new HostPrep(`${host.name}-prep`, {
            host,
            hostsEntries: hosts.map((h) => ({ name: h.name, address: h.address })),
            // Test hosts share the machine's kernel: /proc/sys is read-only and IPVS is absent.
            sysctlFailure: "warn",
            requiredModules: ["overlay"],
            optionalModules: ["br_netfilter", "ip_vs"],
            packages: ["openssl"],
        });
        outputs[`${host.name}Report`] = prep.report;
    }
    return outputs;
};
