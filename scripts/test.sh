#!/usr/bin/env bash
# The whole test suite: type check, unit, render (real validators), integration (real test hosts).
# As root on a fresh machine it first installs the Debian packages the bench needs.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/bench-prereqs.sh
echo "== type check"
npx tsc -p tsconfig.json --noEmit
echo "== unit, render and integration tests"
bash scripts/run-tests.sh test/unit test/render test/integration
