# CoreDNS with its default plugin set, released as coredns_X_linux_amd64.tgz with a .sha256 file.
tidy() { wrapper_gomod "CoreDNS $COREDNS" "github.com/coredns/coredns v$COREDNS" -- github.com/coredns/coredns; }

build() {
    local name=coredns_${COREDNS}_linux_amd64.tgz rel=$OUT/release/coredns/v$COREDNS
    pin github.com/coredns/coredns "v$COREDNS"
    go build -trimpath -ldflags "-s -w -X github.com/coredns/coredns/coremain.GitCommit=v$COREDNS" \
        -o "$OUT/bin/coredns" github.com/coredns/coredns
    mkdir -p "$rel"
    tgz "$OUT/bin" "$rel/$name" coredns
    sums sha256 "$rel/$name" > "$rel/$name.sha256"
}
