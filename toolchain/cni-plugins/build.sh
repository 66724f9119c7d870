# The CNI reference plugins (Linux ones), released as cni-plugins-linux-amd64-vX.tgz (./NAME) with
# the .sha256 and .sha512 files containernetworking publishes beside it.
plugins=(main/bridge main/dummy main/host-device main/ipvlan main/loopback main/macvlan main/ptp main/tap main/vlan
    ipam/dhcp ipam/host-local ipam/static meta/bandwidth meta/firewall meta/portmap meta/sbr meta/tuning meta/vrf)
pkg=github.com/containernetworking/plugins

tidy() { wrapper_gomod "CNI plugins $CNI_PLUGINS" "$pkg v$CNI_PLUGINS" -- "${plugins[@]/#/$pkg/plugins/}"; }

build() {
    local name=cni-plugins-linux-amd64-v$CNI_PLUGINS.tgz rel=$OUT/release/cni-plugins/v$CNI_PLUGINS a
    pin "$pkg" "v$CNI_PLUGINS"
    go build -trimpath -ldflags "-s -w -X $pkg/pkg/utils/buildversion.BuildVersion=v$CNI_PLUGINS" \
        -o "$OUT/bin/" "${plugins[@]/#/$pkg/plugins/}"
    mkdir -p "$rel"
    tgz "$OUT/bin" "$rel/$name"
    for a in sha256 sha512; do sums $a "$rel/$name" > "$rel/$name.$a"; done
}
