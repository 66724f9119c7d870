# etcd, etcdctl and etcdutl, released as etcd-vX-linux-amd64.tar.gz (folder etcd-vX-linux-amd64/)
# with the SHA256SUMS file etcd publishes beside it.
tidy() {
    wrapper_gomod "etcd $ETCD" "go.etcd.io/etcd/server/v3 v$ETCD" "go.etcd.io/etcd/etcdctl/v3 v$ETCD" "go.etcd.io/etcd/etcdutl/v3 v$ETCD" -- \
        go.etcd.io/etcd/server/v3 go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3
}

build() {
    local name=etcd-v$ETCD-linux-amd64 m
    for m in server etcdctl etcdutl; do pin "go.etcd.io/etcd/$m/v3" "v$ETCD"; done
    # The server's main package is go.etcd.io/etcd/server/v3 itself: name its binary etcd.
    go build -trimpath -ldflags "-s -w" -o "$OUT/bin/etcd" go.etcd.io/etcd/server/v3
    go build -trimpath -ldflags "-s -w" -o "$OUT/bin/" go.etcd.io/etcd/etcdctl/v3 go.etcd.io/etcd/etcdutl/v3
    mkdir -p "$OUT/stage/$name" "$OUT/release/etcd/v$ETCD"
    cp "$OUT"/bin/{etcd,etcdctl,etcdutl} "$OUT/stage/$name/"
    cp "$(module_dir go.etcd.io/etcd/etcdctl/v3 "v$ETCD")/README.md" "$OUT/stage/$name/README-etcdctl.md"
    cp "$(module_dir go.etcd.io/etcd/etcdutl/v3 "v$ETCD")/README.md" "$OUT/stage/$name/README-etcdutl.md"
    tgz "$OUT/stage" "$OUT/release/etcd/v$ETCD/$name.tar.gz" "$name"
    rm -rf "$OUT/stage"
    sums sha256 "$OUT/release/etcd/v$ETCD/$name.tar.gz" > "$OUT/release/etcd/v$ETCD/SHA256SUMS"
}
