# Kubernetes server binaries, kubectl and agnhost from k8s.io/kubernetes, for the current minor and
# the one before it, released as dl.k8s.io lays them out: vX/kubernetes-server-linux-amd64.tar.gz
# (kubernetes/server/bin/...) with .sha256 and .sha512, and vX/bin/linux/amd64/NAME with the same.
# bin/ holds the current version's tools; bin/agnhost and pause.c feed the images family.
commands=(kube-apiserver kube-controller-manager kube-scheduler kubelet kube-proxy kubectl)

module_folder() { echo "v$(echo "$1" | cut -d. -f1,2)"; }

# The staging modules are required at v0.0.0 upstream (and replaced with ./staging there), so the
# wrapper replaces each with its published v0.MINOR.PATCH.
write_gomod() {
    local v=$1 dir minor patch upstream
    dir=$(module_folder "$v"); minor=$(echo "$v" | cut -d. -f2); patch=$(echo "$v" | cut -d. -f3)
    go mod download -json "k8s.io/kubernetes@v$v" >/dev/null
    upstream="$(go env GOMODCACHE)/cache/download/k8s.io/kubernetes/@v/v$v.mod"
    mkdir -p "$dir"
    {
        echo "// Kubernetes $v from k8s.io/kubernetes (toolchain/kubernetes/build.sh writes this file)."
        echo "module k8s-binary.invalid/toolchain/kubernetes/$dir"; echo
        grep -E '^(go|godebug) ' "$upstream"; echo
        echo "require k8s.io/kubernetes v$v"; echo
        echo "replace ("
        grep -oE '^\s*k8s.io/[a-z0-9-]+ => \./staging' "$upstream" | awk '{print $1}' | LC_ALL=C sort |
            while read -r m; do printf '\t%s => %s v0.%s.%s\n' "$m" "$m" "$minor" "$patch"; done
        echo ")"; echo
        echo "tool ("
        for c in "${commands[@]}"; do printf '\tk8s.io/kubernetes/cmd/%s\n' "$c"; done
        printf '\tk8s.io/kubernetes/test/images/agnhost\n'
        echo ")"
    } > "$dir/go.mod"
    (cd "$dir" && go mod tidy)
}

tidy() {
    rm -rf v*/
    write_gomod "$KUBERNETES"; write_gomod "$KUBERNETES_PREVIOUS"
}

# build_version VERSION BIN_DIR: version-stamped as hack/lib/version.sh stamps release builds.
build_version() {
    local v=$1 bin=$2 dir minor when ld="" p
    dir=$(module_folder "$v"); minor=$(echo "$v" | cut -d. -f2)
    pin k8s.io/kubernetes "v$v" "$dir"
    when=$(module_time k8s.io/kubernetes "v$v")
    for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ld+=" -X $p.gitVersion=v$v -X $p.gitMajor=1 -X $p.gitMinor=$minor -X $p.gitTreeState=clean -X $p.buildDate=$when"
    done
    mkdir -p "$bin"
    (cd "$dir" && go build -trimpath -ldflags "-s -w$ld" -o "$bin/" "${commands[@]/#/k8s.io/kubernetes/cmd/}")
}

# agnhost, stamped with its own version as test/images/agnhost/Makefile does.
build_agnhost() {
    local dir version
    dir=$(module_folder "$KUBERNETES")
    version=$(cat "$(module_dir k8s.io/kubernetes "v$KUBERNETES")/test/images/agnhost/VERSION")
    (cd "$dir" && go build -trimpath -ldflags "-s -w -X main.Version=$version" -o "$OUT/bin/agnhost" k8s.io/kubernetes/test/images/agnhost)
    echo "$version" > "$OUT/agnhost.version"
}

release_version() {
    local v=$1 bin=$2 rel stage c
    rel=$OUT/release/kubernetes/v$v
    stage=$(mktemp -d); mkdir -p "$stage/kubernetes/server/bin" "$rel/bin/linux/amd64"
    for c in "${commands[@]}"; do
        cp "$bin/$c" "$stage/kubernetes/server/bin/$c"
        cp "$bin/$c" "$rel/bin/linux/amd64/$c"
        (cd "$rel/bin/linux/amd64" && sha256sum "$c" | cut -d' ' -f1 > "$c.sha256" && sha512sum "$c" | cut -d' ' -f1 > "$c.sha512")
    done
    tgz "$stage" "$rel/kubernetes-server-linux-amd64.tar.gz" kubernetes
    rm -rf "$stage"
    (cd "$rel" && for a in sha256 sha512; do ${a}sum kubernetes-server-linux-amd64.tar.gz | cut -d' ' -f1 > "kubernetes-server-linux-amd64.tar.gz.$a"; done)
}

build() {
    local previous; previous=$(mktemp -d)
    build_version "$KUBERNETES" "$OUT/bin"
    build_version "$KUBERNETES_PREVIOUS" "$previous"
    release_version "$KUBERNETES" "$OUT/bin"
    release_version "$KUBERNETES_PREVIOUS" "$previous"
    rm -rf "$previous"
    build_agnhost
    cp "$(module_dir k8s.io/kubernetes "v$KUBERNETES")/build/pause/linux/pause.c" "$OUT/pause.c"
}
