/**
 * A resource-name fragment for a host path or unit, stable and readable:
 * "/etc/etcd/etcd.env" -> "etc-etcd-etcd.env".
 */
export function pathSlug(path: string): string {
    return path.replace(/^\/+/, "").replace(/[^A-Za-z0-9._-]+/g, "-");
}
