#!/usr/bin/env bash
# The browser the console's end-to-end tests drive (test/ui.e2e-spec.ts, through playwright-core):
# Debian's `chromium` package at /usr/bin/chromium. Idempotent: nothing happens when it is there.
# Kept out of install-speech-packages.sh on purpose: that list is what the server image installs.
set -u
log() { printf '[install-test-browser] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if ! command -v apt-get >/dev/null; then
  log "apt-get not found: install Chromium yourself and set CHROMIUM_PATH; the browser tests fail without it"
  exit 0
fi
log "installing chromium (Debian package) for the browser tests"
as_root apt-get update -qq >/dev/null 2>&1 || true
if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
  log "chromium installed at /usr/bin/chromium"
else
  log "could not install chromium (needs root and Debian's package archive); the browser tests will fail"
fi
exit 0
