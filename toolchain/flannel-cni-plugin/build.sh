# The flannel CNI plugin, released as flannel-io/cni-plugin lays it out:
# cni-plugin-flannel-linux-amd64-vX.tgz holding ./flannel-amd64, with a .sha256 file. Built from
# containernetworking/plugins' plugins/meta/flannel (see the pin's comment in versions.env).
pkg=github.com/containernetworking/plugins

tidy() { wrapper_gomod "flannel CNI plugin $FLANNEL_CNI_PLUGIN" "$pkg v$FLANNEL_CNI_PLUGIN" -- "$pkg/plugins/meta/flannel"; }

build() {
    local name=cni-plugin-flannel-linux-amd64-v$FLANNEL_CNI_PLUGIN.tgz rel=$OUT/release/flannel-cni-plugin/v$FLANNEL_CNI_PLUGIN
    pin "$pkg" "v$FLANNEL_CNI_PLUGIN"
    go build -trimpath -tags "netgo osusergo" -ldflags "-s -w -X $pkg/pkg/utils/buildversion.BuildVersion=v$FLANNEL_CNI_PLUGIN" \
        -o "$OUT/bin/flannel" "$pkg/plugins/meta/flannel"
    mkdir -p "$OUT/stage" "$rel"
    cp "$OUT/bin/flannel" "$OUT/stage/flannel-amd64"
    tgz "$OUT/stage" "$rel/$name"
    rm -rf "$OUT/stage"
    sums sha256 "$rel/$name" > "$rel/$name.sha256"
}
