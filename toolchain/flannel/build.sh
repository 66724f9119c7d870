# flanneld, released as flannel-vX-linux-amd64.tar.gz (flanneld, mk-docker-opts.sh, README.md), and
# install-conf, which the images family puts beside it (the DaemonSet's install-cni init container).
# cgo on amd64, as upstream builds it: the udp backend's proxy is C. Static, with Go's own resolver
# and user lookup (netgo, osusergo), since glibc's would want its shared NSS modules at run time.
#
# flanneld links every backend, tencent-vpc among them, and the Go module proxy does not serve that
# backend's github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc (any version). The wrapper
# replaces it with ./tencentcloud-vpc-unavailable: the same API surface, every call an error, so that
# backend alone fails ("not part of this build") and the rest of flanneld is upstream's.
pkg=github.com/flannel-io/flannel
vpc=github.com/tencentcloud/tencentcloud-sdk-go/tencentcloud/vpc

# wrapper_gomod's go.mod plus the replace, which it has no place for.
tidy() {
    {
        echo "// flannel $FLANNEL, built from its Go module by scripts/toolchain.sh (\`tidy\` writes this file)."
        echo "module k8s-binary.invalid/toolchain/flannel"; echo
        echo "go $(go env GOVERSION | sed 's/^go//')"; echo
        printf 'require (\n\t%s v%s\n)\n\n' "$pkg" "$FLANNEL"
        echo "// Not served by the module proxy: a stub whose every call fails (see build.sh)."
        printf 'replace %s => ./tencentcloud-vpc-unavailable\n\n' "$vpc"
        printf 'tool (\n\t%s\n\t%s/cmd/install_conf\n)\n' "$pkg" "$pkg"
    } > go.mod
    go mod tidy
}

build() {
    local src name=flannel-v$FLANNEL-linux-amd64.tar.gz rel=$OUT/release/flannel/v$FLANNEL
    pin "$pkg" "v$FLANNEL"
    src=$(module_dir "$pkg" "v$FLANNEL")
    CGO_ENABLED=1 go build -trimpath -tags "netgo osusergo" \
        -ldflags "-s -w -X $pkg/pkg/version.Version=v$FLANNEL -extldflags -static" \
        -o "$OUT/bin/flanneld" "$pkg"
    go build -trimpath -ldflags "-s -w" -o "$OUT/bin/install-conf" "$pkg/cmd/install_conf"
    mkdir -p "$OUT/stage" "$rel"
    cp "$OUT/bin/flanneld" "$OUT/stage/"
    install -m 0755 "$src/dist/mk-docker-opts.sh" "$OUT/stage/mk-docker-opts.sh"
    install -m 0644 "$src/README.md" "$OUT/stage/README.md"
    tgz "$OUT/stage" "$rel/$name" flanneld mk-docker-opts.sh README.md
    rm -rf "$OUT/stage"
    # flannel publishes no checksum file; the same line format as its siblings, for the mirror.
    sums sha256 "$rel/$name" > "$rel/$name.sha256"
}
