# The Pulumi CLI, stamped with its version as Pulumi's release build does (.goreleaser.yml).
tidy() {
    wrapper_gomod "The Pulumi CLI $PULUMI" "github.com/pulumi/pulumi/pkg/v3 v$PULUMI" "github.com/pulumi/pulumi/sdk/v3 v$PULUMI" -- \
        github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}

build() {
    pin github.com/pulumi/pulumi/pkg/v3 "v$PULUMI"
    go build -trimpath -tags osusergo,grpcnotrace \
        -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI" \
        -o "$OUT/bin/" github.com/pulumi/pulumi/pkg/v3/cmd/pulumi
}
