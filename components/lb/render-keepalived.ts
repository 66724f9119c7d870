import type { LBHostPlan, LBPlan } from "./plan";
import { NGINX_UNIT } from "./render-nginx";

/** Paths and names of the LB's own keepalived instance (the distribution's keepalived.service stays unused). */
export const KEEPALIVED_UNIT = "k8s-apiserver-vip.service";
export const KEEPALIVED_CONF_PATH = "/etc/k8s-binary/lb/keepalived.conf";
export const KEEPALIVED_RUN_DIR = "k8s-apiserver-vip";
/** VRRP v2 PASS authentication uses at most 8 characters; keepalived silently cuts longer ones. */
export const AUTH_PASS_LENGTH = 8;

/** Track script timing: nginx down is noticed after 1–2 s; it must be up for 2 s before the host is eligible again. */
const TRACK_INTERVAL = 1;
const TRACK_FALL = 2;
const TRACK_RISE = 2;

const AUTH_PASS = /^[A-Za-z0-9]{1,8}$/;

/** The VRRP instance name: one per virtual router id, so two LBs on one segment stay distinguishable in logs. */
export function vrrpInstanceName(plan: LBPlan): string {
    return `K8S_APISERVER_${plan.virtualRouterId}`;
}

/**
 * keepalived.conf of one LB host. The track script has no weight: when nginx is not active the
 * instance goes to FAULT, releases the VIP and sends a priority-0 advert, so a BACKUP takes over
 * at once whatever the priorities. Scripts run with script security on, as root only because
 * `systemctl is-active` needs the system manager's private socket when D-Bus is absent.
 * `authPass` is the VRRP secret: alphanumeric, at most 8 characters.
 */
export function renderKeepalivedConfig(plan: LBPlan, self: LBHostPlan, authPass: string): string {
    if (!AUTH_PASS.test(authPass)) {
        throw new Error(`NginxKeepalivedLB: the VRRP auth secret must be 1-${AUTH_PASS_LENGTH} letters or digits`);
    }
    // nopreempt works only when every host starts as BACKUP; the highest priority still wins the first election.
    const state = plan.preempt ? self.role : "BACKUP";
    const unicast = plan.unicast
        ? `
    unicast_src_ip ${self.host.address}
    unicast_peer {
${self.peers.map((p) => `        ${p}`).join("\n")}
    }`
        : "";
    return `# VRRP for the Kubernetes API VIP on ${self.host.name}. Rendered by k8s-binary; edits are overwritten.
global_defs {
    router_id ${self.host.name}
    enable_script_security
    script_user root
}

vrrp_script check_nginx {
    script "/usr/bin/systemctl is-active --quiet ${NGINX_UNIT}"
    interval ${TRACK_INTERVAL}
    fall ${TRACK_FALL}
    rise ${TRACK_RISE}
}

vrrp_instance ${vrrpInstanceName(plan)} {
    state ${state}
    interface ${self.interface}
    virtual_router_id ${plan.virtualRouterId}
    priority ${self.priority}
    advert_int ${plan.advertIntervalSeconds}${plan.preempt ? "" : "\n    nopreempt"}${unicast}
    authentication {
        auth_type PASS
        auth_pass ${authPass}
    }
    virtual_ipaddress {
        ${plan.vip}/32 dev ${self.interface}
    }
    track_script {
        check_nginx
    }
}
`;
}

/**
 * systemd unit of the LB's keepalived (VRRP only). keepalived removes the VIP itself when it
 * stops, but not when it is SIGKILLed or OOM-killed: the dead MASTER then keeps answering ARP
 * for the VIP while a BACKUP takes it too. ExecStopPost runs after every stop, killed or not, and
 * deletes a VIP left behind; Restart=always brings keepalived back a second later.
 */
export function renderKeepalivedUnit(plan: LBPlan, self: LBHostPlan): string {
    const run = `/run/${KEEPALIVED_RUN_DIR}`;
    return `[Unit]
Description=keepalived VRRP holding the Kubernetes API VIP ${plan.vip}
Documentation=man:keepalived(8) man:keepalived.conf(5)
After=network-online.target ${NGINX_UNIT}
Wants=network-online.target

[Service]
Type=notify
# The VRRP child, not the parent, reports readiness.
NotifyAccess=all
ExecStart=/usr/sbin/keepalived --dont-fork --vrrp --log-console --no-syslog --use-file=${KEEPALIVED_CONF_PATH} --pid=${run}/keepalived.pid --vrrp_pid=${run}/vrrp.pid
ExecReload=/bin/kill -s HUP $MAINPID
ExecStopPost=-ip address del ${plan.vip}/32 dev ${self.interface}
Restart=always
RestartSec=1
RuntimeDirectory=${KEEPALIVED_RUN_DIR}

[Install]
WantedBy=multi-user.target
`;
}
