#!/usr/bin/env bash
# Makes sure what the test suite talks to is installed and running: PostgreSQL (database
# `test`) and Redis on 127.0.0.1, and the Debian packages the speech tests use (ffmpeg with
# ffprobe, the native espeak-ng, pocketsphinx with its US English model and the recorded
# test clips, and Chromium for the console's browser tests). Idempotent: anything already there is left alone. Where
# apt or root is missing it says so and carries on; the server then uses what ships in npm
# packages (espeak-ng WASM, a static ffmpeg) and tests needing the missing piece fail with a
# clear error.
set -u

log() { printf '[ensure-services] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

pg_up() { (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }
redis_up() { (exec 3<>/dev/tcp/127.0.0.1/6379) 2>/dev/null; }

apt_updated=0
apt_install() {
  command -v apt-get >/dev/null || { log "apt-get not found: install $* yourself"; return 1; }
  if [ $apt_updated = 0 ]; then as_root apt-get update -qq >/dev/null 2>&1 || true; apt_updated=1; fi
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { log "could not install $* (needs root and Debian's package archive)"; return 1; }
}

# --- Debian packages (the speech engines' programs, and what the tests compare against) ---
bash "$(dirname "$0")/install-speech-packages.sh" --test
# The browser the console tests drive (not part of the server image, so not in that list).
bash "$(dirname "$0")/install-test-browser.sh"

# --- PostgreSQL ---
if ! pg_up; then
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    log "installing PostgreSQL"; apt_install postgresql
  fi
  if ls /etc/postgresql/*/main >/dev/null 2>&1; then
    version=$(ls /etc/postgresql | sort -V | tail -n1)
    log "starting PostgreSQL $version"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
      || as_root pg_ctlcluster "$version" main start || log "could not start PostgreSQL"
  fi
  for _ in $(seq 1 30); do pg_up && break; sleep 0.5; done
fi
if pg_up; then
  # Tests connect as the current user over TCP without a password (trust), to database `test`.
  user=$(id -un)
  if command -v psql >/dev/null; then
    if ! psql -h 127.0.0.1 -d test -c 'select 1' >/dev/null 2>&1; then
      log "creating role $user and database test"
      as_root su postgres -c "psql -qc \"DO \\\$\\\$BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname='$user') THEN CREATE ROLE \\\"$user\\\" LOGIN SUPERUSER; END IF; END\\\$\\\$\"" >/dev/null 2>&1 || true
      as_root su postgres -c "createdb -O '$user' test" >/dev/null 2>&1 || true
    fi
  fi
  log "PostgreSQL is up on 127.0.0.1:5432"
else
  log "PostgreSQL is NOT reachable on 127.0.0.1:5432; PostgreSQL tests will fail"
fi

# --- Redis ---
if ! redis_up; then
  command -v redis-server >/dev/null || { log "installing Redis"; apt_install redis-server; }
  if command -v redis-server >/dev/null; then
    log "starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no >/dev/null \
      || log "could not start Redis"
    for _ in $(seq 1 20); do redis_up && break; sleep 0.25; done
  fi
fi
redis_up && log "Redis is up on 127.0.0.1:6379" || log "Redis is NOT reachable on 127.0.0.1:6379"
exit 0
