#!/usr/bin/env bash
# Installs the Debian packages the speech engines use, where root (or sudo) and apt allow:
# pocketsphinx + pocketsphinx-en-us + python3-pocketsphinx (the STT engine), espeak-ng (native TTS for long texts),
# flite (the second local TTS engine) and ffmpeg (decoding uploads, encoding mp3/opus/aac/flac). With --test it also installs
# what the test suite compares against (ffprobe comes with ffmpeg; pocketsphinx-testdata
# holds the recorded clips). Idempotent and quick when everything is there. Without root
# or apt it says what is missing and exits 0: the server still starts, engines that need
# a missing program report themselves unavailable with the same install hint.
# SPEECH_GATEWAY_SKIP_APT=1 skips it entirely.
set -u

log() { printf '[speech-packages] %s\n' "$*"; }
[ "${SPEECH_GATEWAY_SKIP_APT:-0}" = 1 ] && exit 0
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo -n "$@"; else return 1; fi; }

missing=()
command -v ffmpeg >/dev/null && command -v ffprobe >/dev/null || missing+=(ffmpeg)
command -v espeak-ng >/dev/null || missing+=(espeak-ng)
command -v flite >/dev/null || missing+=(flite)
command -v pocketsphinx_continuous >/dev/null || missing+=(pocketsphinx)
[ -f /usr/share/pocketsphinx/model/en-us/en-us.lm.bin ] || missing+=(pocketsphinx-en-us)
# The warm decoder (model loaded once) runs in Debian's own Python with its pocketsphinx bindings.
[ -d /usr/lib/python3/dist-packages/pocketsphinx ] || missing+=(python3-pocketsphinx)
if [ "${1:-}" = --test ]; then
  [ -d /usr/share/pocketsphinx/test/data/librivox ] || missing+=(pocketsphinx-testdata)
fi
[ ${#missing[@]} -eq 0 ] && exit 0

if ! command -v apt-get >/dev/null; then
  log "apt-get not found: install ${missing[*]} yourself (the engines needing them stay unavailable)"
  exit 0
fi
log "installing ${missing[*]}"
as_root apt-get update -qq >/dev/null 2>&1 || true
if as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null 2>&1; then
  log "installed ${missing[*]}"
else
  log "could not install ${missing[*]} (needs root and Debian's package archive); the engines needing them stay unavailable"
fi
exit 0
