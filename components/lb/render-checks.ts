/** Bash that succeeds while `vip` is an address of `iface` on the host it runs on. */
export function renderVipHeldCheck(vip: string, iface: string): string {
    return `ip -4 -o address show dev ${iface} | grep -qF ' ${vip}/32 '`;
}

/** Bash that succeeds once a TCP connection to `vip:port` is accepted. */
export function renderVipAnswersCheck(vip: string, port: number): string {
    return `timeout 2 bash -c '</dev/tcp/${vip}/${port}'`;
}
