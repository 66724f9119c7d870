/**
 * The key of a remote step across programs and clusters: its resource name with the host's name
 * replaced by `<host>` and the name of the component instance it belongs to (the first of
 * `instancePrefixes` it starts with) dropped, so a duration measured on test hosts weighs the
 * same step of a synthetic cluster: `etcd-h1-etcd-install` (instance `etcd`) and
 * `bench-etcd-etcd001-etcd-install` (instance `bench-etcd`) are both `<host>-etcd-install`.
 */
export function stepKey(name: string, hosts: ReadonlySet<string>, instancePrefixes: readonly string[] = []): string {
    const key = name
        .split("-")
        .map((t) => (hosts.has(t) ? "<host>" : t))
        .join("-");
    const prefix = instancePrefixes.find((p) => key.startsWith(`${p}-`));
    return prefix === undefined ? key : key.slice(prefix.length + 1);
}
