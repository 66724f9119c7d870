#!/usr/bin/env bash
# The whole test suite: type check, unit, render (real validators), integration (real test hosts).
# As root on a fresh machine it first installs the Debian packages the bench needs, and it builds
# whatever of the toolchain (Kubernetes, etcd, containerd, ... from Go modules) is not cached yet.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bench-prereqs.sh
echo "== toolchain"
bash scripts/toolchain.sh build
# The test engine drives the real Pulumi CLI (test/support/engine/real.ts).
bash scripts/toolchain.sh build pulumi
echo "== type check"
npx tsc -p tsconfig.json --noEmit
echo "== unit, render and integration tests"
bash scripts/run-tests.sh test/unit test/render test/integration
