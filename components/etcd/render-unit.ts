/** Renderer of etcd.service. */
import { ETCD_PATHS } from "./layout";

/**
 * The etcd service. Identical on every member running the same binary: all that differs lives in
 * the environment files. `etcdPath` is the binary's stable link, so an upgrade leaves the text alone.
 */
export function renderEtcdUnit(etcdPath = `${ETCD_PATHS.binDir}/etcd`): string {
    const p = ETCD_PATHS;
    return `[Unit]
Description=etcd key-value store
Documentation=https://etcd.io/docs/
After=network-online.target
Wants=network-online.target

[Service]
# etcd tells systemd when it has joined the cluster and serves clients.
Type=notify
EnvironmentFile=${p.memberEnv}
EnvironmentFile=${p.bootstrapEnv}
ExecStart=${etcdPath}
Restart=on-failure
RestartSec=5s
LimitNOFILE=65536
# Files etcd creates (WAL, snapshots) are readable by root only.
UMask=0077

[Install]
WantedBy=multi-user.target
`;
}
