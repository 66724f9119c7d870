#!/usr/bin/env bash
# Runs the node:test files under the given folders (or the given files), one file at a time (the integration files
# boot systemd test hosts, and the machine has two cores). Node 20's runner does not expand globs.
#
# Every file runs under a timeout (node's --test-timeout bounds each file and each test in it),
# so a hung remote command fails the run instead of hanging CI: 5 minutes for unit, tool-check
# and harness files, 30 for integration files (they boot hosts and deploy several times).
# K8S_BINARY_TEST_TIMEOUT_MS overrides both.
#
# The testbed needs root. Without it the testbed tests fail and say how to run them;
# K8S_BINARY_SKIP_TESTBED=1 skips them instead, and this script's last line says so.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob

timeout_for() {
    if [ -n "${K8S_BINARY_TEST_TIMEOUT_MS:-}" ]; then echo "$K8S_BINARY_TEST_TIMEOUT_MS"
    elif [[ "$1" == *integration* ]]; then echo 1800000
    else echo 300000
    fi
}

status=0
ran=0
for dir in "$@"; do
    if [ -f "$dir" ]; then files=("$dir"); else files=("$dir"/**/*.test.ts); fi
    [ ${#files[@]} -eq 0 ] && continue
    ran=1
    echo "== $dir (timeout per file and per test: $(( $(timeout_for "$dir") / 1000 )) s)"
    node --import tsx --test --test-concurrency=1 --test-timeout="$(timeout_for "$dir")" "${files[@]}" || status=$?
done
if [ "$ran" -eq 0 ]; then echo "no test files under: $*" >&2; exit 1; fi
if [ "${K8S_BINARY_SKIP_TESTBED:-}" = 1 ]; then
    echo "NOTE: K8S_BINARY_SKIP_TESTBED=1 was set: every test that needs the testbed was skipped, not run." >&2
fi
exit "$status"
