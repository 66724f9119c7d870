#!/usr/bin/env bash
# The whole test suite: type check, lint (ESLint, Prettier), unit, tool checks (renderer output
# through the real tools), harness (the test harness itself), integration (the testbed's real hosts).
# As root on a fresh machine it first installs the Debian packages the testbed needs, and it builds
# whatever of the toolchain (Kubernetes, etcd, containerd, ... from Go modules) is not cached yet.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/testbed-prereqs.sh
echo "== toolchain"
bash scripts/toolchain.sh build
# The test engine drives the real Pulumi CLI with the real Kubernetes provider plugin
# (test/support/engine/real.ts).
bash scripts/toolchain.sh build pulumi pulumi-kubernetes
echo "== type check"
npx tsc -p tsconfig.json --noEmit
echo "== lint"
npm run --silent lint
echo "== unit, tool-check, harness and integration tests"
bash scripts/run-tests.sh test/unit test/tool-checks test/harness test/integration
