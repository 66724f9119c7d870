# pulumi-resource-kubernetes, the Pulumi Kubernetes provider plugin (the real one, unlike the
# command/tls/random stand-ins of test/support/engine/plugins: its module is served). Built as the
# upstream Makefile's k8sprovider target does: `VERSION=X go generate` in cmd/pulumi-resource-kubernetes
# (generate.go writes schema-embed.json and terraform-mapping-embed.json, the schema stamped with the
# version), then CGO_ENABLED=0 go build with -X .../provider/v4/pkg/version.Version=X.
#
# The module proxy refuses the release tag (provider/v4@v4.25.0) and serves the provider module only at
# the pseudo-version of the release commit: `release_module` maps each release to it.
#
# The module zip lacks the two *-embed.json files main.go embeds (generated, not committed), and the
# module cache is read-only (nor may `go build -overlay` add files beneath it): build.sh copies the
# main package's folder as the module ships it (main.go, generate.go, schema.json,
# terraform-mapping.json) into a scratch copy of this wrapper module, runs its go:generate line there
# and builds that folder. Nothing is taken from outside the module.
#
# The provider module replaces github.com/pulumi/pulumi-kubernetes/sdk/v4 with its sibling folder
# (../sdk), which a dependency's go.mod cannot do for its users: the wrapper requires the sdk/v4 module
# of the same release, v$PULUMI_KUBERNETES (served), instead. The provider uses it only in its
# multi-language components (yaml/v2 ConfigGroup, helm/v4 Chart).
pkg=github.com/pulumi/pulumi-kubernetes/provider/v4
sdk=github.com/pulumi/pulumi-kubernetes/sdk/v4

release_module() {
    case $1 in
        4.25.0) echo v4.0.0-20260115033456-f47bc2d6f199 ;;
        *) echo "toolchain: pulumi-kubernetes $1: add its release commit's pseudo-version to toolchain/pulumi-kubernetes/build.sh" >&2; return 1 ;;
    esac
}

# wrapper_gomod's go.mod plus a comment naming the release behind the pseudo-version.
tidy() {
    local v
    v=$(release_module "$PULUMI_KUBERNETES")
    {
        echo "// The Pulumi Kubernetes provider $PULUMI_KUBERNETES, built from its Go module by scripts/toolchain.sh (\`tidy\` writes this file)."
        echo "module k8s-binary.invalid/toolchain/pulumi-kubernetes"; echo
        echo "go $(go env GOVERSION | sed 's/^go//')"; echo
        echo "// $v is pulumi-kubernetes v$PULUMI_KUBERNETES: the pseudo-version of its release commit"
        echo "// (the proxy does not serve the tag). sdk/v4 v$PULUMI_KUBERNETES stands for the provider's ../sdk."
        printf 'require (\n\t%s %s\n\t%s v%s\n)\n\n' "$pkg" "$v" "$sdk" "$PULUMI_KUBERNETES"
        printf 'tool %s/cmd/pulumi-resource-kubernetes\n' "$pkg"
    } > go.mod
    go mod tidy
}

build() {
    local v src
    v=$(release_module "$PULUMI_KUBERNETES")
    pin "$pkg" "$v"
    pin "$sdk" "v$PULUMI_KUBERNETES"
    src=$OUT/src
    mkdir -p "$src"
    # The main package's folder as the module ships it, in a copy of this wrapper module.
    cp go.mod go.sum "$(module_dir "$pkg" "$v")/cmd/pulumi-resource-kubernetes/"* "$src/"
    chmod -R u+w "$src"
    (cd "$src" && VERSION=$PULUMI_KUBERNETES go generate . &&
        go build -trimpath -ldflags "-s -w -X $pkg/pkg/version.Version=$PULUMI_KUBERNETES" \
            -o "$OUT/bin/pulumi-resource-kubernetes" .)
    rm -rf "$src"
}
