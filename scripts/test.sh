#!/usr/bin/env bash
# `npm test`: services up, compile, lint, then every unit spec (src/**/*.spec.ts) and
# e2e test (test/**/*.e2e-spec.ts) with node's test runner on the compiled output.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/ensure-services.sh
npx tsc -p .
npx eslint --max-warnings 0 src test bench migrations

mapfile -t files < <(find dist/src dist/test -name '*.spec.js' -o -name '*.e2e-spec.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "no test files found" >&2; exit 1; fi
# Files run one after another: e2e files share the machine's PostgreSQL and ports.
exec node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
