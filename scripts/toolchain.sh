#!/usr/bin/env bash
# Builds the project's toolchain from Go modules: every family under toolchain/ (a wrapper module
# and its build.sh), at the versions pinned in toolchain/versions.env, into a cache outside the
# repository keyed by the family's files, the pins, the Go version and the keys of the families it
# builds on. A family already in the cache is not built again.
#
#   scripts/toolchain.sh build [FAMILY...]   build what is missing (default: what the tests use)
#   scripts/toolchain.sh path FAMILY         the family's cache directory (bin/, release/)
#   scripts/toolchain.sh mirror DIR          DIR = every family's release/ tree, as a download mirror
#   scripts/toolchain.sh env                 shell exports that put the built tools first on PATH
#   scripts/toolchain.sh tidy FAMILY         rewrite the family's wrapper module after a pin change
#
# Cache: $K8S_BINARY_TOOLCHAIN_CACHE, else ${XDG_CACHE_HOME:-~/.cache}/k8s-binary/toolchain.
set -euo pipefail
# Go's caches and ours live under HOME; a bare environment (cron, some CI runners) may lack it.
[ -n "${HOME:-}" ] || export HOME=$(getent passwd "$(id -u)" | cut -d: -f6)
# Go's own install location, for shells whose PATH was not set up by a login.
command -v go >/dev/null || [ ! -x /usr/local/go/bin/go ] || export PATH=/usr/local/go/bin:$PATH
repo=$(cd "$(dirname "$0")/.." && pwd)
# The families: toolchain/ (another folder only for the driver's own tests).
toolchain=${K8S_BINARY_TOOLCHAIN_DIR:-$repo/toolchain}
cache=${K8S_BINARY_TOOLCHAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/k8s-binary/toolchain}
# What `npm test` needs and `mirror` serves; pulumi and pulumi-kubernetes (the CLI and the one
# provider plugin that can be built here, for the test engine) build on request.
default_families=(kubernetes etcd containerd runc cni-plugins flannel flannel-cni-plugin coredns cri-tools images)

die() { echo "toolchain: $*" >&2; exit 1; }
family_dir() { [ -f "$toolchain/$1/build.sh" ] || die "no family '$1' (one of: $(ls "$toolchain" | grep -v '\.env$' | tr '\n' ' '))"; echo "$toolchain/$1"; }
deps_of() { local f; f=$(family_dir "$1")/deps; [ -f "$f" ] && grep -v '^#' "$f" || true; }

# The cache key: what the build reads, so a changed pin, module, recipe or Go rebuilds it.
key_of() {
    local dir dep
    dir=$(family_dir "$1")
    {
        echo "family $1"; go env GOVERSION GOARCH
        cat "$toolchain/versions.env" "$toolchain/lib.sh"
        (cd "$dir" && find . -type f | LC_ALL=C sort | xargs sha256sum)
        for dep in $(deps_of "$1"); do echo "dep $dep $(key_of "$dep")"; done
    } | sha256sum | cut -c1-16
}
path_of() { echo "$cache/$1/$(key_of "$1")"; }

build_one() {
    local family=$1 out tmp start dep lock old
    out=$(path_of "$family")
    [ -f "$out/.complete" ] && return 0
    for dep in $(deps_of "$family"); do build_one "$dep"; done
    # One build per key at a time: a second process waits, then finds it built.
    mkdir -p "$(dirname "$out")"
    exec {lock}>"$out.lock"
    flock "$lock"
    if [ -f "$out/.complete" ]; then exec {lock}>&-; return 0; fi
    tmp="$out.partial"
    rm -rf "$tmp"; mkdir -p "$tmp/bin" "$tmp/release"
    echo "== toolchain: building $family (cache $out)"
    start=$(date +%s)
    # A shell of its own, so errexit holds inside build (a subshell in an `||` list would ignore it).
    if ! OUT=$tmp FAMILY_DIR=$(family_dir "$family") TOOLCHAIN=$toolchain TOOLCHAIN_SH=$repo/scripts/toolchain.sh \
        bash -euo pipefail -c '
            set -a; . "$TOOLCHAIN/versions.env"; set +a
            export CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false"
            cd "$FAMILY_DIR"; . "$TOOLCHAIN/lib.sh"; . ./build.sh
            build
            # CPU time of the build'"'"'s processes (user, system): comparable across loads, unlike wall time.
            times > "$OUT/.times"; tail -1 "$OUT/.times" > "$OUT/.build-cpu"; rm "$OUT/.times"'; then
        rm -rf "$tmp"; die "building $family failed"
    fi
    echo "$(( $(date +%s) - start ))" > "$tmp/.build-seconds"
    touch "$tmp/.complete"
    rm -rf "$out"; mv "$tmp" "$out"
    exec {lock}>&-
    # Builds of earlier pins or recipes are never used again: each family keeps its current build.
    for old in "$cache/$family"/*; do
        case $old in "$out" | "$out.lock") ;; *) rm -rf "$old" ;; esac
    done
    echo "== toolchain: $family built in $(cat "$out/.build-seconds") s wall, CPU (user system) $(cat "$out/.build-cpu")"
}

prerequisites() {
    command -v go >/dev/null || die "Go is not installed: install Go 1.26 (the wrapper modules say which) and run again"
    # runc and flanneld link C code statically: gcc, libseccomp's static library, pkg-config. The
    # images carry Debian's static busybox, and flannel's image its iptables and nft.
    local missing=() p
    for p in gcc libc6-dev libseccomp-dev pkg-config busybox-static iptables nftables; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "missing Debian packages: ${missing[*]} (install them, or run as root)"
    echo "== toolchain: installing ${missing[*]}"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

cmd=${1:-build}; shift || true
case "$cmd" in
    build)
        prerequisites
        families=("$@"); [ ${#families[@]} -eq 0 ] && families=("${default_families[@]}")
        for f in "${families[@]}"; do build_one "$f"; done ;;
    path)
        [ $# -eq 1 ] || die "usage: path FAMILY"
        out=$(path_of "$1"); [ -f "$out/.complete" ] || die "$1 is not built: run scripts/toolchain.sh build $1"
        echo "$out" ;;
    mirror)
        [ $# -eq 1 ] || die "usage: mirror DIR"
        mkdir -p "$1"
        for f in "${default_families[@]}"; do
            out=$(path_of "$f"); [ -f "$out/.complete" ] || die "$f is not built: run scripts/toolchain.sh build"
            cp -al "$out/release/." "$1/" 2>/dev/null || cp -a "$out/release/." "$1/"
        done ;;
    env)
        dirs=()
        for f in pulumi pulumi-kubernetes kubernetes etcd cri-tools; do
            out=$(path_of "$f"); [ -f "$out/.complete" ] && dirs+=("$out/bin")
        done
        [ ${#dirs[@]} -gt 0 ] || die "nothing is built yet: run scripts/toolchain.sh build [pulumi]"
        echo "export PATH=$(IFS=:; echo "${dirs[*]}"):\$PATH"
        echo "export PULUMI_SKIP_UPDATE_CHECK=true PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION=true" ;;
    tidy)
        [ $# -eq 1 ] || die "usage: tidy FAMILY"
        (set -a; . "$toolchain/versions.env"; set +a; export FAMILY_DIR=$(family_dir "$1"); cd "$FAMILY_DIR"; . "$toolchain/lib.sh"; . ./build.sh; tidy) ;;
    *) die "unknown command '$cmd' (build, path, mirror, env, tidy)" ;;
esac
