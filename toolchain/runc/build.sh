# runc, static with seccomp (libseccomp from Debian's libseccomp-dev), released as runc.amd64 with
# the runc.sha256sum file runc publishes. Without the libpathrs tag: that library is Rust, not Go.
tidy() {
    wrapper_gomod "runc $RUNC" "github.com/opencontainers/runc v$RUNC" -- github.com/opencontainers/runc
}

build() {
    local rel=$OUT/release/runc/v$RUNC
    pin github.com/opencontainers/runc "v$RUNC"
    mkdir -p "$rel"
    CGO_ENABLED=1 go build -trimpath -buildmode=pie -tags "seccomp urfave_cli_no_docs netgo osusergo" \
        -ldflags "-s -w -X main.version=$RUNC -linkmode external -extldflags -static-pie" \
        -o "$OUT/bin/runc" github.com/opencontainers/runc
    cp "$OUT/bin/runc" "$rel/runc.amd64"
    sums sha256 "$rel/runc.amd64" > "$rel/runc.sha256sum"
}
