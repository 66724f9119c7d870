import * as pulumi from "@pulumi/pulumi";
import * as command from "@pulumi/command";
import { remoteScript, RemoteFile, SystemdUnit } from "../host";
import { pathSlug } from "../host/names";
import type { LBHostPlan, LBPlan } from "./plan";
import { renderNginxConfig, renderNginxUnit, NGINX_CONF_PATH, NGINX_UNIT } from "./render-nginx";
import { renderKeepalivedConfig, renderKeepalivedUnit, KEEPALIVED_CONF_PATH, KEEPALIVED_UNIT } from "./render-keepalived";
import { renderPackageInstallScript } from "./render-packages";

/** Arguments of {@link NginxKeepalivedLBMember}: its share of a validated LB plan. */
export interface NginxKeepalivedLBMemberArgs {
    /** The whole LB's plan (VIP, backends, VRRP settings), from `planLB`. */
    plan: LBPlan;
    /** This host's entry of `plan.hosts`. */
    self: LBHostPlan;
    /** The VRRP secret (1–8 letters or digits), the same on every member; kept secret. */
    authPass: pulumi.Input<string>;
    /** What keepalived's (re)start waits for: the previous member's keepalived in the roll. Default: nothing. */
    rollAfter?: pulumi.Resource;
}

/**
 * One LB host: packages (unless the caller installs them), nginx.conf and its unit, keepalived.conf
 * and its unit. Child resource names start with this component's name, so several LBs can share
 * a host's resource namespace.
 */
export class NginxKeepalivedLBMember extends pulumi.ComponentResource {
    /** nginx's unit; its activation is up once nginx listens. */
    readonly nginx: SystemdUnit;
    /** keepalived's unit; its activation is up once VRRP runs. */
    readonly keepalived: SystemdUnit;

    constructor(name: string, args: NginxKeepalivedLBMemberArgs, opts?: pulumi.ComponentResourceOptions) {
        super("k8s-binary:index:NginxKeepalivedLBMember", name, {}, opts);
        const { plan, self } = args;
        const host = self.host;
        const packages = plan.installPackages
            ? [
                  new command.remote.Command(
                      `${name}-packages`,
                      {
                          connection: host.connection,
                          create: remoteScript(host, renderPackageInstallScript()),
                          logging: "stderr",
                      },
                      { parent: this },
                  ),
              ]
            : [];

        const nginxFile = new RemoteFile(
            `${name}-${pathSlug(NGINX_CONF_PATH)}`,
            {
                host,
                path: NGINX_CONF_PATH,
                content: renderNginxConfig(plan),
            },
            { parent: this, dependsOn: packages },
        );
        // A backend change is a reload: nginx keeps running, the track script stays green, the VIP stays put.
        this.nginx = new SystemdUnit(
            `${name}-${pathSlug(NGINX_UNIT)}`,
            {
                host,
                name: NGINX_UNIT,
                content: renderNginxUnit(),
                restartOn: [nginxFile.contentHash],
                restartCommand: "reload-or-restart",
            },
            { parent: this, dependsOn: [nginxFile.command] },
        );

        const keepalivedFile = new RemoteFile(
            `${name}-${pathSlug(KEEPALIVED_CONF_PATH)}`,
            {
                host,
                path: KEEPALIVED_CONF_PATH,
                content: pulumi.secret(pulumi.output(args.authPass).apply((pass) => renderKeepalivedConfig(plan, self, pass))),
                mode: "0600",
            },
            { parent: this, dependsOn: packages },
        );
        this.keepalived = new SystemdUnit(
            `${name}-${pathSlug(KEEPALIVED_UNIT)}`,
            {
                host,
                name: KEEPALIVED_UNIT,
                content: renderKeepalivedUnit(plan, self),
                restartOn: [keepalivedFile.contentHash],
                restartCommand: "restart",
            },
            {
                parent: this,
                dependsOn: [keepalivedFile.command, this.nginx.activation, ...(args.rollAfter ? [args.rollAfter] : [])],
            },
        );
        this.registerOutputs({});
    }
}
