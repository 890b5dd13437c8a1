#!/usr/bin/env bash
# Prove the Linux kiosk session headless: cage on wlroots' headless backend (no GPU, no
# screen, no input devices; pixman renders) runs the bundle's desk on Wayland, grim takes a
# screenshot that must show the sign-in page, then the desk process is killed and must
# come back. systemd is not PID 1 in a container, so packaging/linux/supervise.sh plays
# the unit's Restart=always/RestartSec=2, and $CREDENTIALS_DIRECTORY is laid out by hand
# the way systemd's LoadCredentialEncrypted= leaves it (a 0400 zorgid-store-key).
#
#   [KIOSK_SESSION_MODE=1920x1080] packaging/linux/test-cage-session.sh [BUNDLE_DIR]   (needs cage, grim, gcc)
#
# Screenshots go to $KIOSK_SESSION_OUT (default build/cage-session/). Not part of
# `./dev test` (it needs the bundle, which takes a minute to build).
set -euo pipefail
cd "$(dirname "$0")/../.."
BUNDLE=$(realpath "${1:-dist/kiosk}")
OUT=$(mkdir -p "${KIOSK_SESSION_OUT:-build/cage-session}" && realpath "${KIOSK_SESSION_OUT:-build/cage-session}")
PY=${KIOSK_PROOF_PYTHON:-$(pwd)/.venv/bin/python}
[ -x "$PY" ] || PY=/work/main/.venv/bin/python
PORT=${KIOSK_SESSION_PORT:-18444}
log() { printf '\033[1m[session]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1;31m[session] FAIL:\033[0m %s\n' "$*" >&2; exit 1; }
# The session's packages: the compositor, the screenshot tool, and what the .deb depends on.
mapfile -t want < <(printf '%s\n' cage xwayland grim gcc libc6-dev; grep -v '^\s*#' packaging/debian/runtime-depends | sed '/^\s*$/d')
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
[ -x "$BUNDLE/kiosk" ] || fail "no bundle at $BUNDLE: run ./dev bundle first"

WORK=$(mktemp -d /tmp/kiosk-session.XXXXXX)
mkdir -m 0700 "$WORK/run" "$WORK/creds"
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

# The credential systemd would decrypt at start (install.sh makes the encrypted original);
# systemd makes it 0400, owned by the service's user (chown below).
head -c 32 /dev/urandom | base64 > "$WORK/creds/zorgid-store-key"
chmod 0400 "$WORK/creds/zorgid-store-key"

"$BUNDLE/kiosk" portal serve --port "$PORT" --demo --db "$WORK/portal.db" > "$WORK/portal.log" 2>&1 &
PIDS+=($!)

# The unit's user and environment, and nothing of this shell's (no venv, no PYTHONPATH).
# cage refuses to run as root, like the unit (User=kiosk): here the user is nobody.
RUN_AS=${KIOSK_SESSION_UID:-65534}
# The desk runs fullscreen (desk.fullscreen, as in the unit) on a headless output of the
# desk's screen size (KIOSK_SESSION_MODE, default 1366x768; run again with 1920x1080).
# cage 0.1.4 can neither set the headless mode nor composite a fullscreen view that grim can
# read back (it scans it out directly): cage-headless-shim.c, preloaded into cage only for
# this proof, does both (docs/packaging.md).
MODE=${KIOSK_SESSION_MODE:-1366x768}
gcc -shared -fPIC -O2 -o "$WORK/cage-headless-shim.so" packaging/linux/cage-headless-shim.c -ldl
FULLSCREEN=${KIOSK_SESSION_FULLSCREEN:-true}
chown -R "$RUN_AS:$RUN_AS" "$WORK"
setpriv --reuid="$RUN_AS" --regid="$RUN_AS" --clear-groups -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME="$WORK/home" LANG=C.UTF-8 \
  XDG_RUNTIME_DIR="$WORK/run" XDG_CONFIG_HOME="$WORK/config" XDG_DATA_HOME="$WORK/data" \
  XDG_SESSION_TYPE=wayland QT_QPA_PLATFORM=wayland CREDENTIALS_DIRECTORY="$WORK/creds" \
  WLR_BACKENDS=headless WLR_LIBINPUT_NO_DEVICES=1 WLR_RENDERER=pixman \
  KIOSK_PORTAL_URL="http://127.0.0.1:$PORT" KIOSK_DESK_FULLSCREEN="$FULLSCREEN" \
  KIOSK_HEADLESS_MODE="$MODE" \
  packaging/linux/supervise.sh -s 2 env LD_PRELOAD="$WORK/cage-headless-shim.so" cage -d -m extend -- "$BUNDLE/kiosk" > "$WORK/session.log" 2>&1 &
SUPERVISOR=$!
PIDS+=("$SUPERVISOR")

desk_pid() {  # the kiosk process: the child of the current cage, the supervisor's child
  local cage
  cage=$(pgrep -P "$SUPERVISOR" -x cage | head -1) || return 1
  pgrep -P "$cage" | head -1
}

# Screenshot until the sign-in page is there (first start of a cold bundle takes a while).
shoot_until_sign_in() {  # NAME: writes $OUT/NAME.png, returns 0 once it passes the check
  local name=$1 t0 sock
  t0=$(date +%s.%N)
  for _ in $(seq 150); do
    sock=$(cd "$WORK/run" && ls wayland-* 2>/dev/null | grep -v lock | head -1 || true)
    if [ -n "$sock" ] && XDG_RUNTIME_DIR="$WORK/run" WAYLAND_DISPLAY=$sock \
        grim "$OUT/$name.png" 2>/dev/null \
        && "$PY" packaging/linux/check_screenshot.py --size "$MODE" "$OUT/$name.png" 2>"$WORK/check.log"; then
      log "$name: sign-in page on screen after $(awk "BEGIN{printf \"%.1f\", $(date +%s.%N) - $t0}") s ($OUT/$name.png)"
      return 0
    fi
    sleep 0.4
  done
  cat "$WORK/check.log" "$WORK/session.log" >&2
  return 1
}

shoot_until_sign_in "first-$MODE" || fail "no sign-in page on the cage output"
first=$(desk_pid) || fail "no desk process under cage"
[ -z "$(ls "$WORK/data/zorgid-kiosk/store.key" 2>/dev/null)" ] \
  || fail "the desk made its own key file instead of using the credential"
[ -f "$WORK/data/zorgid-kiosk/kiosk.sqlite3" ] || fail "the desk opened no store"
log "ok: desk pid $first under cage; store opened with the credential's key (no key file)"

log "killing the desk (SIGKILL to pid $first)"
kill -KILL "$first"
for _ in $(seq 50); do
  second=$(desk_pid 2>/dev/null) && [ -n "$second" ] && [ "$second" != "$first" ] && break
  second=; sleep 0.2
done
[ -n "$second" ] || { cat "$WORK/session.log" >&2; fail "the desk did not come back"; }
shoot_until_sign_in "after-restart-$MODE" || fail "no sign-in page after the restart"
grep -q "restarting in 2 s" "$WORK/session.log" || fail "supervisor did not log the restart"
log "ok: the desk came back as pid $second (cage exited with its client, restarted after 2 s)"
log "PASS: cage headless session"
