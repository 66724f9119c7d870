import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { argsError, WaitFor } from "../host";
import type { LBEndpoint, NginxKeepalivedLBArgs } from "./args";
import { NginxKeepalivedLBMember } from "./member";
import { planLB, restartOrder } from "./plan";
import { renderVipAnswersCheck, renderVipHeldCheck } from "./render-checks";
import { AUTH_PASS_LENGTH } from "./render-keepalived";

/** How long a deploy waits for the VIP after keepalived (re)started: elections take ~3 adverts. */
const VIP_WAIT_SECONDS = 60;

/**
 * An nginx L4 load balancer on two or more hosts in front of the apiservers, with a keepalived
 * VRRP VIP. Each host (an `NginxKeepalivedLBMember`) gets nginx and keepalived from its package
 * manager and runs them as its own units (`k8s-apiserver-lb.service`, `k8s-apiserver-vip.service`)
 * with configs under /etc/k8s-binary/lb, leaving the distribution's nginx.service and
 * keepalived.service alone.
 *
 * Changes roll safely: new backends reload nginx (the VIP stays put); new keepalived settings
 * restart every BACKUP, lowest priority first, and the MASTER last. `endpoint` resolves only once
 * the VIP is on the MASTER (with preemption) and a connection to VIP:port from the
 * lowest-priority host is accepted.
 */
export class NginxKeepalivedLB extends pulumi.ComponentResource {
    /** Where clients reach the apiservers; known only once the VIP answers on the listen port. */
    readonly endpoint: pulumi.Output<LBEndpoint>;
    /** The virtual IP. */
    readonly vip: pulumi.Output<string>;
    /** The port nginx listens on. */
    readonly port: pulumi.Output<number>;
    /** Name of the host that holds the VIP while all are healthy (the highest priority). */
    readonly master: pulumi.Output<string>;

    constructor(name: string, args: NginxKeepalivedLBArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:NginxKeepalivedLB", name, {}, opts);
        const { plan, issues } = planLB(args);
        if (!plan) throw argsError(this, "NginxKeepalivedLB", name, issues);

        // VRRP v2 PASS auth: 8 characters at most; letters and digits need no quoting in keepalived.conf.
        const authPass = new random.RandomPassword(`${name}-vrrp-auth`, { length: AUTH_PASS_LENGTH, special: false }, { parent: this });

        // Declared in restart order, each member's keepalived after the previous one's: BACKUPs
        // first (lowest priority first), the MASTER last, so the VIP only moves to a host that
        // already runs the new settings.
        const members: NginxKeepalivedLBMember[] = [];
        for (const self of restartOrder(plan)) {
            members.push(
                new NginxKeepalivedLBMember(
                    `${name}-${self.host.name}`,
                    {
                        plan,
                        self,
                        authPass: authPass.result,
                        rollAfter: members.at(-1)?.keepalived.activation,
                    },
                    { parent: this },
                ),
            );
        }
        const last = members.at(-1)!.keepalived.activation;

        const endpoint: LBEndpoint = { host: plan.vip, port: plan.listenPort, url: `https://${plan.vip}:${plan.listenPort}` };
        // The waits run again whenever any unit was (re)started.
        const triggers = [endpoint.url, ...members.flatMap((m) => [m.nginx, m.keepalived].map((u) => u.activation.stdin.apply((s) => s ?? "")))];
        // keepalived starts every instance as BACKUP and claims MASTER only after ~3 advert
        // intervals, so right after a (re)start the VIP may still sit on a BACKUP. With
        // preemption the run waits until it is back on the MASTER, where it will stay.
        const master = plan.hosts[0];
        const onMaster = plan.preempt
            ? new WaitFor(
                  `${name}-vip-on-master`,
                  {
                      host: master.host,
                      description: `VIP ${plan.vip} held by the MASTER ${master.host.name}`,
                      check: renderVipHeldCheck(plan.vip, master.interface),
                      timeoutSeconds: VIP_WAIT_SECONDS,
                      intervalSeconds: 1,
                      triggers,
                  },
                  { parent: this, dependsOn: [last] },
              )
            : undefined;
        // Checked from the lowest-priority host, so (with preemption) the connection crosses the network.
        const checker = plan.hosts[plan.hosts.length - 1];
        const answers = new WaitFor(
            `${name}-vip-answers`,
            {
                host: checker.host,
                description: `${endpoint.url} accepting connections`,
                check: renderVipAnswersCheck(plan.vip, plan.listenPort),
                timeoutSeconds: VIP_WAIT_SECONDS,
                intervalSeconds: 1,
                triggers,
            },
            { parent: this, dependsOn: [onMaster ? onMaster.command : last] },
        );

        // Derived from the check's output, so it carries the dependency: whoever takes the endpoint runs after the VIP answers.
        this.endpoint = answers.command.stdout.apply(() => endpoint);
        this.vip = pulumi.output(plan.vip);
        this.port = pulumi.output(plan.listenPort);
        this.master = pulumi.output(master.host.name);
        this.registerOutputs({ endpoint: this.endpoint, vip: this.vip, port: this.port, master: this.master });
    }
}
