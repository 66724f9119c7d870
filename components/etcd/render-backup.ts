/** Renderers of the scheduled snapshot: the backup script, its service and its timer. */
import { shellQuote } from "../host/connection";
import { BACKUP_SERVICE, ETCD_PATHS, ETCD_UNIT, LOAD_ETCDCTL_ENV, localClientUrl } from "./layout";

/** Backup settings as the renderers see them. */
export interface BackupSettings {
    /** systemd OnCalendar expression. */
    schedule: string;
    /** Snapshots kept on each member. */
    retention: number;
    /** Directory of the snapshots on each member. */
    directory: string;
}

/**
 * The backup script: a snapshot of the local member, verified with `snapshot status` before it
 * takes its final name, then pruning to the newest `retention` files. Names carry the member and
 * a UTC timestamp, so they sort by age and copies from several members never collide.
 */
export function renderBackupScript(memberName: string, clientPort: number, b: BackupSettings): string {
    const snapshotCli = "$(command -v etcdutl || command -v etcdctl)";
    return `#!/bin/bash
# etcd snapshot backup of member ${memberName}; run by ${BACKUP_SERVICE}.
set -euo pipefail
${LOAD_ETCDCTL_ENV}
dir=${shellQuote(b.directory)}
keep=${b.retention}
install -d -m 0700 "$dir"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
final="$dir/etcd-snapshot-${memberName}-$stamp.db"
tmp="$dir/.incomplete-${memberName}-$stamp.db"
trap 'rm -f "$tmp" "$tmp.part"' EXIT
etcdctl --endpoints=${localClientUrl(clientPort)} --command-timeout=5m snapshot save "$tmp" >/dev/null
# etcdutl takes over offline snapshot commands from 3.5 on; etcdctl still has them in 3.4.
${snapshotCli} snapshot status "$tmp" -w table
chmod 0600 "$tmp"
mv -f "$tmp" "$final"
trap - EXIT
shopt -s nullglob
snapshots=("$dir"/etcd-snapshot-${memberName}-*.db)
excess=$(( \${#snapshots[@]} - keep ))
for (( i = 0; i < excess; i++ )); do rm -f -- "\${snapshots[$i]}"; done
echo "saved $final; kept $(( \${#snapshots[@]} - (excess > 0 ? excess : 0) )) snapshot(s) in $dir"
`;
}

export function renderBackupService(): string {
    return `[Unit]
Description=etcd snapshot backup
After=${ETCD_UNIT}
Wants=${ETCD_UNIT}

[Service]
Type=oneshot
UMask=0077
ExecStart=${ETCD_PATHS.backupScript}
`;
}

export function renderBackupTimer(schedule: string): string {
    return `[Unit]
Description=Scheduled etcd snapshot backups

[Timer]
OnCalendar=${schedule}
# Fire on time (the default accuracy is one minute) and catch up on a run missed while down.
AccuracySec=1s
Persistent=true
Unit=${BACKUP_SERVICE}

[Install]
WantedBy=timers.target
`;
}
