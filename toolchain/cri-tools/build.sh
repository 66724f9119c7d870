# crictl, released as crictl-vX-linux-amd64.tar.gz with a .sha256 file, as cri-tools publishes it.
tidy() { wrapper_gomod "crictl $CRI_TOOLS" "sigs.k8s.io/cri-tools v$CRI_TOOLS" -- sigs.k8s.io/cri-tools/cmd/crictl; }

build() {
    local name=crictl-v$CRI_TOOLS-linux-amd64.tar.gz rel=$OUT/release/cri-tools/v$CRI_TOOLS
    pin sigs.k8s.io/cri-tools "v$CRI_TOOLS"
    go build -trimpath -ldflags "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=v$CRI_TOOLS" \
        -o "$OUT/bin/crictl" sigs.k8s.io/cri-tools/cmd/crictl
    mkdir -p "$rel"
    tgz "$OUT/bin" "$rel/$name" crictl
    sums sha256 "$rel/$name" > "$rel/$name.sha256"
}
