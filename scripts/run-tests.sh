#!/usr/bin/env bash
# Runs the node:test files under the given folders, one file at a time (the integration files
# boot systemd test hosts, and the machine has two cores). Node 20's runner does not expand globs.
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s globstar nullglob
files=()
for dir in "$@"; do files+=("$dir"/**/*.test.ts); done
if [ ${#files[@]} -eq 0 ]; then echo "no test files under: $*" >&2; exit 1; fi
exec node --import tsx --test --test-concurrency=1 "${files[@]}"
