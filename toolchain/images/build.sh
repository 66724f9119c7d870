# The cluster's container images, built locally as OCI image-layout tarballs that containerd imports
# (`ctr -n k8s.io images import FILE`): release/images/NAME-TAG.tar, images.json, SHA256SUMS.
# The images carry this toolchain's binaries (deps) under upstream's names, paths and entrypoints;
# main.go lays them out, one reproducible layer each.
#
# In place of the Alpine or distroless bases upstream uses: Debian's static busybox, where a
# manifest runs shell tools (cp, sh, nslookup, wget...), and in flannel's image iptables and nft
# with their shared libraries, copied from this machine's Debian packages.
tidy() {
    {
        echo "// The image builder (main.go), run by build.sh (\`tidy\` writes this file)."
        echo "module k8s-binary.invalid/toolchain/images"; echo
        echo "go $(go env GOVERSION | sed 's/^go//')"; echo
        echo "require github.com/google/go-containerregistry v$GO_CONTAINERREGISTRY"
    } > go.mod
    go mod tidy
}

# with_busybox ROOT: the static busybox as ROOT/bin/busybox, every applet a symlink to it beside it.
with_busybox() {
    local applet
    mkdir -p "$1/bin"
    install -m 0755 /bin/busybox "$1/bin/busybox"
    for applet in $(/bin/busybox --list); do
        [ -e "$1/bin/$applet" ] || ln -s busybox "$1/bin/$applet"
    done
}

# with_libraries ROOT FILE...: each FILE copied to ROOT at its path, with the shared libraries it
# loads (ldd), the dynamic loader among them, at the paths the loader finds them.
with_libraries() {
    local root=$1 libs f; shift
    libs=$(ldd "$@" | awk '$2 == "=>" && $3 ~ /^\// {print $3} $1 ~ /^\// && $2 ~ /^\(/ {print $1}' | LC_ALL=C sort -u)
    for f in "$@" $libs; do
        mkdir -p "$root$(dirname "$f")"
        cp -L "$f" "$root$f"
    done
}

# with_netfilter ROOT: iptables (nft and legacy, as the Debian package ships them) and nft.
# iptables, ip6tables and their -save/-restore are the nft variants, as on a Debian host by
# default: the rules flanneld writes must go where the host's kube-proxy and iptables see them.
with_netfilter() {
    local root=$1 l
    # Extensions (-m comment, -j MASQUERADE...) are loaded at run time from their folder.
    with_libraries "$root" /usr/sbin/xtables-nft-multi /usr/sbin/xtables-legacy-multi /usr/sbin/nft \
        /usr/lib/x86_64-linux-gnu/xtables/*.so
    # The package's names for the two (iptables-nft, iptables-legacy-save, ebtables-nft...).
    for l in $(dpkg -L iptables | grep '^/usr/sbin/'); do
        case $(readlink "$l") in xtables-nft-multi | xtables-legacy-multi) ln -s "$(readlink "$l")" "$root$l" ;; esac
    done
    for l in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
        ln -s xtables-nft-multi "$root/usr/sbin/$l"
    done
    mkdir -p "$root/etc"
    cp /etc/protocols /etc/services "$root/etc/"
}

# stage ROOT: each image's tree under ROOT/NAME, and ROOT/images.json, main.go's SPEC.
stage() {
    local root=$1 kubernetes coredns flannel cni agnhost_version
    kubernetes=$("$TOOLCHAIN_SH" path kubernetes); coredns=$("$TOOLCHAIN_SH" path coredns)
    flannel=$("$TOOLCHAIN_SH" path flannel); cni=$("$TOOLCHAIN_SH" path flannel-cni-plugin)
    agnhost_version=$(cat "$kubernetes/agnhost.version")

    # pause.c as build/pause/Makefile compiles it; its REV (`git describe --contains`) is the release.
    mkdir -p "$root/pause"
    gcc -Os -Wall -Werror -static "-DVERSION=v$PAUSE-v$KUBERNETES" -o "$root/pause/pause" "$kubernetes/pause.c"

    install -D -m 0755 "$coredns/bin/coredns" "$root/coredns/coredns"

    install -D -m 0755 -t "$root/flannel/opt/bin" "$flannel/bin/flanneld" "$flannel/bin/install-conf"
    with_busybox "$root/flannel"
    with_netfilter "$root/flannel"

    install -D -m 0755 "$cni/bin/flannel" "$root/flannel-cni-plugin/flannel"
    with_busybox "$root/flannel-cni-plugin"

    install -D -m 0755 "$kubernetes/bin/agnhost" "$root/agnhost/agnhost"
    with_busybox "$root/agnhost"
    mkdir "$root/agnhost/uploads"
    mkdir -m 1777 "$root/agnhost/tmp"

    # Users, entrypoints and commands as upstream's Dockerfiles (and Alpine's CMD) set them.
    cat > "$root/images.json" <<JSON
[
  {"ref": "registry.k8s.io/pause:$PAUSE", "rootfs": "$root/pause",
   "entrypoint": ["/pause"], "user": "65535:65535"},
  {"ref": "registry.k8s.io/coredns/coredns:v$COREDNS", "rootfs": "$root/coredns",
   "entrypoint": ["/coredns"], "user": "65532:65532", "netBindService": ["/coredns"]},
  {"ref": "ghcr.io/flannel-io/flannel:v$FLANNEL", "rootfs": "$root/flannel",
   "entrypoint": ["/opt/bin/flanneld"]},
  {"ref": "ghcr.io/flannel-io/flannel-cni-plugin:v$FLANNEL_CNI_PLUGIN", "rootfs": "$root/flannel-cni-plugin",
   "cmd": ["/bin/sh"]},
  {"ref": "registry.k8s.io/e2e-test-images/agnhost:$agnhost_version", "rootfs": "$root/agnhost",
   "entrypoint": ["/agnhost"], "cmd": ["pause"]}
]
JSON
}

build() {
    local root
    pin github.com/google/go-containerregistry "v$GO_CONTAINERREGISTRY"
    root=$(mktemp -d)
    stage "$root"
    go run -trimpath . "$root/images.json" "$OUT/release/images"
    rm -rf "$root"
}
