# Helpers for the families' build.sh files (sourced by scripts/toolchain.sh, in the family's folder).
# A build.sh defines `tidy` (rewrite the wrapper module from the pins) and `build` (fill $OUT/bin
# with the tools and $OUT/release with the upstream release layout and checksum files). A family
# that builds on others lists them in its `deps` file and finds them with `"$TOOLCHAIN_SH" path NAME`.

# pin MODULE VERSION [DIR]: the wrapper module in DIR (default .) must use exactly VERSION.
pin() {
    local got
    got=$(cd "${3:-.}" && go list -m -f '{{if .Replace}}{{.Replace.Version}}{{else}}{{.Version}}{{end}}' "$1")
    [ "$got" = "$2" ] && return 0
    echo "toolchain: ${FAMILY_DIR#"$PWD/"}/${3:-.}/go.mod uses $1 $got, but toolchain/versions.env pins $2: run npm run toolchain -- tidy $(basename "$FAMILY_DIR")" >&2
    return 1
}

# module_dir MODULE VERSION: where the module's source is in the module cache (downloads it).
module_dir() { go mod download -json "$1@$2" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# module_time MODULE VERSION: the release's time as the proxy reports it, for reproducible stamps.
module_time() { go mod download -json "$1@$2" >/dev/null; sed -E 's/.*"Time":"([^"]+)".*/\1/' "$(go env GOMODCACHE)/cache/download/$1/@v/$2.info"; }

# tgz SRC_DIR FILE [MEMBER...]: a reproducible gzip'ed tarball of SRC_DIR's contents, members as upstream names them.
tgz() {
    local members=("${@:3}"); [ ${#members[@]} -gt 0 ] || members=(.)
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C "$1" -cf - "${members[@]}" | gzip -n > "$2"
}

# sums ALGO FILE...: one "<hex>  <name>" line per file, as sha256sum prints it in the file's folder.
sums() { local algo=$1; shift; (cd "$(dirname "$1")" && "${algo}sum" "${@##*/}"); }

# wrapper_gomod NAME "MODULE VERSION"... -- TOOL_PACKAGE...: write ./go.mod requiring each module at
# its pin with a tool directive per package, then let `go mod tidy` write go.sum.
wrapper_gomod() {
    local name=$1; shift
    {
        echo "// $name, built from its Go module by scripts/toolchain.sh (\`tidy\` writes this file)."
        echo "module k8s-binary.invalid/toolchain/$(basename "$FAMILY_DIR")"; echo
        echo "go $(go env GOVERSION | sed 's/^go//')"; echo
        echo "require ("
        while [ "$1" != "--" ]; do printf '\t%s\n' "$1"; shift; done; shift
        echo ")"; echo
        echo "tool ("; for t in "$@"; do printf '\t%s\n' "$t"; done; echo ")"
    } > go.mod
    go mod tidy
}
