import type { LBPlan } from "./plan";

/** Paths and names of the LB's own nginx instance (separate from the distribution's nginx.service). */
export const NGINX_UNIT = "k8s-apiserver-lb.service";
export const NGINX_CONF_PATH = "/etc/k8s-binary/lb/nginx.conf";
export const NGINX_PID_FILE = "/run/k8s-apiserver-lb.pid";
export const NGINX_ACCESS_LOG = "/var/log/nginx/k8s-apiserver-lb.access.log";

/**
 * Module snippets the distributions ship: Debian's libnginx-mod-stream links
 * `50-mod-stream.conf` into modules-enabled, RHEL's nginx-mod-stream drops one into
 * /usr/share/nginx/modules. A glob that matches nothing is not an error, so both are included.
 */
const MODULE_INCLUDES = ["/etc/nginx/modules-enabled/*.conf", "/usr/share/nginx/modules/*.conf"];

/**
 * The whole nginx.conf of the LB: an L4 `stream` proxy from `listenPort` to the apiservers
 * (round robin, passive health checks with max_fails/fail_timeout, next backend on connect
 * failure) with an access log per session. TLS passes through untouched. The upstream's shared
 * memory zone makes every worker process see one backend state: without it each worker marks
 * and re-admits backends on its own, and a worker still counting a restarted apiserver out has
 * no backend left once the next one restarts.
 */
export function renderNginxConfig(plan: LBPlan): string {
    const servers = plan.backends
        .map((b) => `        server ${b.address}:${b.port} max_fails=${plan.maxFails} fail_timeout=${plan.failTimeoutSeconds}s;`)
        .join("\n");
    return `# Kubernetes API load balancer (L4). Rendered by k8s-binary; edits are overwritten.
${MODULE_INCLUDES.map((g) => `include ${g};`).join("\n")}

daemon off;
worker_processes auto;
worker_rlimit_nofile 65536;
pid ${NGINX_PID_FILE};
error_log stderr notice;

events {
    worker_connections 16384;
}

stream {
    log_format k8s_apiserver_lb '$remote_addr:$remote_port [$time_local] $status '
        'upstream=$upstream_addr connect=$upstream_connect_time '
        'sent=$bytes_sent received=$bytes_received session=$session_time';
    access_log ${NGINX_ACCESS_LOG} k8s_apiserver_lb;

    upstream kube_apiservers {
        zone kube_apiservers 64k;
${servers}
    }

    server {
        listen ${plan.listenPort} so_keepalive=on;
        proxy_connect_timeout ${plan.connectTimeoutSeconds}s;
        proxy_next_upstream on;
        proxy_pass kube_apiservers;
    }
}
`;
}

/**
 * systemd unit of the LB's nginx. `daemon off` in the config keeps nginx in the foreground;
 * reload checks the config first, so a bad file fails the reload instead of being logged and
 * ignored by the running master. A crash restarts it; an explicit stop does not (that is how
 * an operator drains a host, and the track script then moves the VIP away).
 */
export function renderNginxUnit(): string {
    return `[Unit]
Description=nginx TCP load balancer in front of the Kubernetes API servers
Documentation=man:nginx(8)
After=network-online.target
Wants=network-online.target

[Service]
Type=simple
ExecStartPre=/usr/sbin/nginx -t -q -c ${NGINX_CONF_PATH}
ExecStart=/usr/sbin/nginx -c ${NGINX_CONF_PATH}
ExecReload=/usr/sbin/nginx -t -q -c ${NGINX_CONF_PATH}
ExecReload=/bin/kill -s HUP $MAINPID
KillMode=mixed
TimeoutStopSec=5
Restart=on-failure
RestartSec=1
LimitNOFILE=65536

[Install]
WantedBy=multi-user.target
`;
}
