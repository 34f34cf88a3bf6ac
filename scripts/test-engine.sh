#!/usr/bin/env bash
# `npm run test:engine -- <adapter>`: compiles, then runs only that adapter's specs
# (src/engines/adapters/<adapter>/*.spec.ts: its contract suite and its own tests), e.g.
# `npm run test:engine -- flite`. No database or other services are needed.
set -euo pipefail
cd "$(dirname "$0")/.."

adapter="${1:-}"
if [ -z "$adapter" ] || [ ! -d "src/engines/adapters/$adapter" ]; then
  echo "usage: npm run test:engine -- <adapter>   (one of: $(cd src/engines/adapters && ls -d -- */ | tr -d / | tr '\n' ' '))" >&2
  exit 2
fi
npx tsc -p .
mapfile -t files < <(find "dist/src/engines/adapters/$adapter" -name '*.spec.js' | sort)
if [ "${#files[@]}" -eq 0 ]; then echo "src/engines/adapters/$adapter has no *.spec.ts" >&2; exit 1; fi
node --test --test-concurrency=1 --test-reporter=spec "${files[@]}"
