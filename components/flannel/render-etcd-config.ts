/** Mode systemd-etcd: the script that writes flannel's network config into etcd (v3 API). */
import { etcdctl, ETCD_PATHS } from "../etcd/layout";
import { shellQuote } from "../host/connection";
import type { FlannelPlan } from "./plan";
import { renderNetConfValue } from "./render-net-conf";

/**
 * The script (bash), run on an etcd member with etcdctl on PATH and its TLS settings in
 * `etcdctlEnv` (the etcd component's file, loaded like its own scripts do). flanneld 0.28 reads
 * the config with the v3 client from `<prefix>/config`, so it is written with `etcdctl put` (no
 * ETCDCTL_API: v3 is etcdctl's only API in 3.6). Idempotent: absent -> written; equal -> nothing;
 * different -> refused with exit 1 and how to change it (the running flanneld daemons keep the
 * config they started with, and a new Network moves every lease: see `planFlannelChange`).
 */
export function renderEtcdConfigScript(plan: FlannelPlan, etcdctlEnv: string = ETCD_PATHS.etcdctlEnv): string {
    if (plan.etcd === undefined) throw new Error(`FlannelNetwork ${plan.name}: no etcd, so no network config to write`);
    if (!/^\/[A-Za-z0-9_./-]+$/.test(etcdctlEnv)) throw new Error(`"${etcdctlEnv}" is not an absolute path`);
    const key = `${plan.etcd.prefix}/config`;
    const ctl = etcdctl(plan.etcd.endpoints.join(","));
    return `#!/bin/bash
# flannel's network config in etcd (FlannelNetwork ${plan.name}), written once and then only compared.
set -euo pipefail
set -a; . ${etcdctlEnv}; set +a
key=${shellQuote(key)}
want=${shellQuote(renderNetConfValue(plan))}
current=$(${ctl} get --print-value-only "$key")
if [ -z "$current" ]; then
    ${ctl} put "$key" "$want" >/dev/null
    echo "wrote $key: $want"
elif [ "$current" = "$want" ]; then
    echo "$key is up to date"
else
    echo "$key holds another network config than this plan's:" >&2
    echo "  in etcd: $current" >&2
    echo "  planned: $want" >&2
    echo "A running cluster's flanneld daemons keep the config they started with, and a new Network or backend moves or splits the pod network: change it by hand in a maintenance window (stop flanneld on every node, etcdctl put $key with the planned value, start flanneld again), or put the old settings back into the Args." >&2
    exit 1
fi
`;
}
