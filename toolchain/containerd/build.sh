# containerd, its runc shim and ctr, released as containerd-X-linux-amd64.tar.gz (bin/...) with the
# .sha256sum file containerd publishes beside it. Static (no cgo), so no btrfs snapshotter.
tidy() {
    wrapper_gomod "containerd $CONTAINERD" "github.com/containerd/containerd/v2 v$CONTAINERD" -- \
        github.com/containerd/containerd/v2/cmd/containerd github.com/containerd/containerd/v2/cmd/containerd-shim-runc-v2 \
        github.com/containerd/containerd/v2/cmd/ctr
}

build() {
    local pkg=github.com/containerd/containerd/v2 name=containerd-$CONTAINERD-linux-amd64.tar.gz rel=$OUT/release/containerd/v$CONTAINERD
    pin "$pkg" "v$CONTAINERD"
    go build -trimpath -tags "urfave_cli_no_docs no_btrfs" \
        -ldflags "-s -w -X $pkg/version.Version=v$CONTAINERD -X $pkg/version.Package=$pkg" \
        -o "$OUT/bin/" "$pkg/cmd/containerd" "$pkg/cmd/containerd-shim-runc-v2" "$pkg/cmd/ctr"
    mkdir -p "$OUT/stage/bin" "$rel"
    cp "$OUT"/bin/* "$OUT/stage/bin/"
    tgz "$OUT/stage" "$rel/$name" bin
    rm -rf "$OUT/stage"
    sums sha256 "$rel/$name" > "$rel/$name.sha256sum"
    # Upstream's unit file, for operators who install by hand (the project writes its own).
    cp "$(module_dir "$pkg" "v$CONTAINERD")/containerd.service" "$rel/containerd.service"
}
