#!/usr/bin/env bash
# `npm test`: services up, compile, lint, then every unit spec (src/**/*.spec.ts) and
# e2e test (test/**/*.e2e-spec.ts) with node's test runner on the compiled output.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-services.sh
rm -rf dist  # stale output of deleted files must not run
npx tsc -p .
npm run --silent build:ui  # the /ui console the browser tests drive
npx eslint --max-warnings 0 src test bench migrations ui

mapfile -t files < <(find dist/src dist/test -name '*.spec.js' -o -name '*.e2e-spec.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
# Files run one after another: e2e files share the machine's PostgreSQL and ports.
report=$(mktemp)
trap 'rm -f "$report"' EXIT
status=0
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}" | tee "$report" || status=$?
# A plain closing line any CI can read.
passed=$(sed -n 's/^ℹ pass \([0-9]*\)$/\1/p' "$report" | tail -n1)
failed=$(sed -n 's/^ℹ fail \([0-9]*\)$/\1/p' "$report" | tail -n1)
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
