import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import * as random from "@pulumi/random";
import { remoteFileName, remoteScript, RemoteFile, SystemdUnit, WaitFor } from "../host";
import type { NginxKeepalivedLBArgs } from "./args";
import { planLB, restartOrder } from "./plan";
import { renderNginxConfig, renderNginxUnit, NGINX_CONF_PATH, NGINX_UNIT } from "./render-nginx";
import {
    renderKeepalivedConfig, renderKeepalivedUnit, AUTH_PASS_LENGTH, KEEPALIVED_CONF_PATH, KEEPALIVED_UNIT,
} from "./render-keepalived";
import { renderPackageInstallScript } from "./render-packages";

/** Bash that succeeds while `vip` is an address of `iface` on the host it runs on. */
export function renderVipHeldCheck(vip: string, iface: string): string {
    return `ip -4 -o address show dev ${iface} | grep -qF ' ${vip}/32 '`;
}

/** Bash that succeeds once a TCP connection to `vip:port` is accepted. */
export function renderVipAnswersCheck(vip: string, port: number): string {
    return `timeout 2 bash -c '</dev/tcp/${vip}/${port}'`;
}

/**
 * An nginx L4 load balancer on two or more hosts in front of the apiservers, with a keepalived
 * VRRP VIP. Each host gets nginx and keepalived from its package manager and runs them as its own
 * units (`k8s-apiserver-lb.service`, `k8s-apiserver-vip.service`) with configs under
 * /etc/k8s-binary/lb, leaving the distribution's nginx.service and keepalived.service alone.
 *
 * Changes roll safely: new backends reload nginx (the VIP stays put); new keepalived settings
 * restart every BACKUP, lowest priority first, and the MASTER last. `endpoint` resolves only once
 * the VIP is on the MASTER (with preemption) and a connection to VIP:port from the
 * lowest-priority host is accepted.
 */
export class NginxKeepalivedLB extends pulumi.ComponentResource {
    /** `https://<vip>:<port>`, for kubeconfigs and kubelets; known only once the VIP answers. */
    readonly endpoint: pulumi.Output<string>;
    /** The virtual IP. */
    readonly vip: pulumi.Output<string>;
    /** The port nginx listens on. */
    readonly port: pulumi.Output<number>;
    /** Name of the host that holds the VIP while all are healthy (the highest priority). */
    readonly master: pulumi.Output<string>;

    constructor(name: string, args: NginxKeepalivedLBArgs, opts?: pulumi.ComponentResourceOptions) {
        // Validated first: bad Args register nothing, not even the component.
        const plan = planLB(args);
        super("k8s-binary:index:NginxKeepalivedLB", name, {}, opts);

        // VRRP v2 PASS auth: 8 characters at most; letters and digits need no quoting in keepalived.conf.
        const authPass = new random.RandomPassword(`${name}-vrrp-auth`, {
            length: AUTH_PASS_LENGTH,
            special: false,
        }, { parent: this });

        const nginxConf = renderNginxConfig(plan);
        const perHost = new Map<string, { nginx: SystemdUnit; keepalivedFile: RemoteFile }>();
        for (const self of plan.hosts) {
            const host = self.host;
            const packages = new command.remote.Command(`${host.name}-lb-packages`, {
                connection: host.connection,
                create: remoteScript(host, renderPackageInstallScript()),
                logging: "stderr",
            }, { parent: this });

            const nginxFile = new RemoteFile(remoteFileName(host, NGINX_CONF_PATH), {
                host, path: NGINX_CONF_PATH, content: nginxConf,
            }, { parent: this, dependsOn: [packages] });
            // A backend change is a reload: nginx keeps running, the track script stays green, the VIP stays put.
            const nginx = new SystemdUnit(`${host.name}-k8s-apiserver-lb`, {
                host,
                name: NGINX_UNIT,
                content: renderNginxUnit(),
                restartOn: [nginxFile.contentHash],
                restartCommand: "reload-or-restart",
            }, { parent: this, dependsOn: [nginxFile.command] });

            const keepalivedFile = new RemoteFile(remoteFileName(host, KEEPALIVED_CONF_PATH), {
                host,
                path: KEEPALIVED_CONF_PATH,
                content: pulumi.secret(authPass.result.apply((pass) => renderKeepalivedConfig(plan, self, pass))),
                mode: "0600",
            }, { parent: this, dependsOn: [packages] });
            perHost.set(host.name, { nginx, keepalivedFile });
        }

        // keepalived restarts roll BACKUPs first (lowest priority first) and the MASTER last, so
        // the VIP moves at most twice and always to a host that is already running the new settings.
        const fingerprints: pulumi.Output<string>[] = [];
        let previous: SystemdUnit | undefined;
        for (const self of restartOrder(plan)) {
            const { nginx, keepalivedFile } = perHost.get(self.host.name)!;
            const keepalived: SystemdUnit = new SystemdUnit(`${self.host.name}-k8s-apiserver-vip`, {
                host: self.host,
                name: KEEPALIVED_UNIT,
                content: renderKeepalivedUnit(plan, self),
                restartOn: [keepalivedFile.contentHash],
                restartCommand: "restart",
            }, {
                parent: this,
                dependsOn: [keepalivedFile.command, nginx.activation, ...(previous ? [previous.activation] : [])],
            });
            fingerprints.push(nginx.activation.stdin.apply((s) => s ?? ""), keepalived.activation.stdin.apply((s) => s ?? ""));
            previous = keepalived;
        }

        const url = `https://${plan.vip}:${plan.listenPort}`;
        const triggers = [url, ...fingerprints];
        // keepalived starts every instance as BACKUP and claims MASTER only after ~3 advert
        // intervals, so right after a (re)start the VIP may still sit on a BACKUP. With
        // preemption the run waits until it is back on the MASTER, where it will stay.
        const master = plan.hosts[0];
        const onMaster = plan.preempt
            ? new WaitFor(`${name}-vip-on-master`, {
                host: master.host,
                description: `VIP ${plan.vip} held by the MASTER ${master.host.name}`,
                check: renderVipHeldCheck(plan.vip, master.interface),
                timeoutSeconds: 60,
                intervalSeconds: 1,
                triggers,
            }, { parent: this, dependsOn: [previous!.activation] })
            : undefined;
        // Checked from the lowest-priority host, so (with preemption) the connection crosses the network.
        const checker = plan.hosts[plan.hosts.length - 1];
        const wait = new WaitFor(`${name}-vip-answers`, {
            host: checker.host,
            description: `${url} accepting connections`,
            check: renderVipAnswersCheck(plan.vip, plan.listenPort),
            timeoutSeconds: 60,
            intervalSeconds: 1,
            triggers,
        }, { parent: this, dependsOn: [onMaster ? onMaster.command : previous!.activation] });

        this.endpoint = wait.command.stdout.apply(() => url);
        this.vip = pulumi.output(plan.vip);
        this.port = pulumi.output(plan.listenPort);
        this.master = pulumi.output(plan.hosts[0].host.name);
        this.registerOutputs({ endpoint: this.endpoint, vip: this.vip, port: this.port, master: this.master });
    }
}
