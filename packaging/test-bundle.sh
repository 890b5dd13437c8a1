#!/usr/bin/env bash
# Prove that the one-folder bundle (dist/kiosk/, from `./dev bundle`) runs with no Python and
# no virtual environment: a minimal Debian root (mmdebstrap --variant=apt, or debootstrap
# --variant=minbase) gets only the bundle and the runtime libraries the .deb depends on
# (packaging/debian/runtime-depends), then every command of docs/packaging.md runs in it
# under chroot, in a private mount namespace (unshare), so nothing stays mounted.
#
#   packaging/test-bundle.sh [BUNDLE_DIR]        (default dist/kiosk; needs root)
#
# Not part of `./dev test`: it downloads and unpacks a Debian root (about a minute, longer
# on a cold cache) and CI's time is limited. The base root is cached as a tarball in
# $KIOSK_PROOF_CACHE (default /var/tmp/kiosk-proof); each run unpacks a fresh copy.
# The host only generates the MRZ test image (with the venv) and checks JSON answers.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT_DIR=$(pwd)
BUNDLE=$(realpath "${1:-dist/kiosk}")
CACHE=${KIOSK_PROOF_CACHE:-/var/tmp/kiosk-proof}
SUITE=${KIOSK_PROOF_SUITE:-bookworm}
MIRROR=${KIOSK_PROOF_MIRROR:-http://deb.debian.org/debian}
PY=${KIOSK_PROOF_PYTHON:-$ROOT_DIR/.venv/bin/python}
[ -x "$PY" ] || PY=/work/main/.venv/bin/python
PORT=${KIOSK_PROOF_PORT:-18443}

log() { printf '\033[1m[proof]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1;31m[proof] FAIL:\033[0m %s\n' "$*" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || fail "run as root (chroot, mount namespaces)"
[ -x "$BUNDLE/kiosk" ] || fail "no bundle at $BUNDLE: run ./dev bundle first"
if ! command -v mmdebstrap >/dev/null && ! command -v debootstrap >/dev/null; then
  log "apt-get install mmdebstrap"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends mmdebstrap >/dev/null
fi

# -- a minimal Debian root -----------------------------------------------------------------
base_root_tar() {
  local tar="$CACHE/$SUITE-apt.tar"
  if [ ! -s "$tar" ]; then
    mkdir -p "$CACHE"
    if command -v mmdebstrap >/dev/null; then
      log "mmdebstrap --variant=apt $SUITE (cached in $tar)"
      mmdebstrap --quiet --variant=apt --mode=root "$SUITE" "$tar.part" "$MIRROR" >&2
    else
      command -v debootstrap >/dev/null || fail "install mmdebstrap or debootstrap"
      log "debootstrap --variant=minbase $SUITE (cached in $tar)"
      local tmp; tmp=$(mktemp -d)
      debootstrap --variant=minbase "$SUITE" "$tmp" "$MIRROR" >&2
      tar -C "$tmp" -cf "$tar.part" .
      rm -rf "$tmp"
    fi
    mv "$tar.part" "$tar"
  fi
  echo "$tar"
}

# Run a command inside $R: private mount namespace, /dev and /proc mounted there only;
# stopping unshare stops the command too (--kill-child).
# The host network stays shared, so the host can reach a server started in the root.
in_root() {
  ${exec_in_root:+exec} unshare --mount --fork --kill-child=SIGTERM -- /bin/sh -c '
    r=$1; shift
    mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" && mount -t tmpfs tmp "$r/tmp"
    cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      "$@"' in_root "$R" "$@"
}

R=$(mktemp -d /var/tmp/kiosk-root.XXXXXX)
SERVER_PID=
stop_server() {
  [ -n "$SERVER_PID" ] || return 0
  pkill -TERM -P "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
  SERVER_PID=
}
cleanup() {
  stop_server
  rm -rf --one-file-system "$R"
}
trap cleanup EXIT

tar -C "$R" -xf "$(base_root_tar)"
log "root at $R: $(du -sh "$R" | cut -f1) before the bundle"
for py in python3 python; do
  in_root sh -c "! command -v $py >/dev/null" || fail "the root has $py: not a proof"
done

mapfile -t DEPENDS < <(grep -v '^\s*#' packaging/debian/runtime-depends | sed '/^\s*$/d')
log "apt-get install the runtime libraries: ${DEPENDS[*]}"
in_root sh -c 'apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends "$@" >/dev/null' sh "${DEPENDS[@]}"
for py in python3 python; do
  in_root sh -c "! command -v $py >/dev/null" || fail "a runtime dependency pulled in $py"
done
mkdir -p "$R/opt"
cp -a "$BUNDLE" "$R/opt/zorgid-kiosk"
log "bundle copied: $(du -sh "$BUNDLE" | cut -f1)"

# Every shared library of the bundle resolves inside the root (the bundle's own libraries are
# found through the search path its bootloader sets).
missing=$(in_root env LD_LIBRARY_PATH=/opt/zorgid-kiosk/_internal:/opt/zorgid-kiosk/_internal/PySide6/Qt/lib \
  sh -c 'find /opt/zorgid-kiosk -name "*.so*" -type f -print0 \
  | xargs -0 ldd 2>/dev/null | grep "not found" | sort -u' || true)
[ -z "$missing" ] || fail "unresolved libraries in the root: $missing"
log "ok: every shared library of the bundle resolves"

K=/opt/zorgid-kiosk/kiosk
OUT=$(mktemp -d)
trap 'cleanup; rm -rf "$OUT"' EXIT

# 1. --version and --help, with the cold start time (first run from a fresh root).
start=$(date +%s.%N)
in_root "$K" --version > "$OUT/version"
end=$(date +%s.%N)
log "kiosk --version: $(cat "$OUT/version") (first start $(awk "BEGIN{print $end - $start}") s)"
grep -q '^kiosk [0-9]' "$OUT/version" || fail "--version printed $(cat "$OUT/version")"
start=$(date +%s.%N)
in_root "$K" --help > "$OUT/help"
end=$(date +%s.%N)
grep -q "doctor" "$OUT/help" || fail "--help lists no subcommands"
log "ok: kiosk --help ($(awk "BEGIN{print $end - $start}") s warm)"

# 2. doctor --json: valid JSON with a version line; 1 or 2 here (no reader, no portal).
rc=0; in_root env KIOSK_PORTAL_URL=http://127.0.0.1:9 "$K" doctor --json > "$OUT/doctor.json" || rc=$?
[ "$rc" -le 2 ] || fail "doctor exited $rc"
"$PY" - "$OUT/doctor.json" <<'EOF' || fail "doctor --json is not the expected JSON"
import json, sys
checks = {c["check"]: c for c in json.load(open(sys.argv[1]))}
assert {"version", "reader", "camera", "portal", "trust", "disk", "queue"} <= set(checks), checks
assert checks["version"]["status"] == "ok", checks["version"]
print("  " + "; ".join(f"{k}={v['status']}" for k, v in checks.items()), file=sys.stderr)
EOF
log "ok: kiosk doctor --json (exit $rc: warnings/failures expected without reader and portal)"

# 3. mrz read on a synthetic camera frame (made on the host: the root has no Python).
"$PY" - "$R/root/td3.jpg" "$OUT/expected" <<'EOF'
import sys
sys.path.insert(0, ".")
import cv2
from tests.mrzcorpus.generator import make_sample
sample = make_sample(7, "TD3", "normal")
cv2.imwrite(sys.argv[1], sample.image)
open(sys.argv[2], "w").write("\n".join(sample.lines))
EOF
in_root "$K" mrz read --json /root/td3.jpg > "$OUT/mrz.json" || fail "mrz read failed"
"$PY" - "$OUT/mrz.json" "$OUT/expected" <<'EOF' || fail "mrz read did not read the MRZ"
import json, sys
(entry,) = json.load(open(sys.argv[1]))
line1, line2 = open(sys.argv[2]).read().splitlines()
result = entry["result"]
# The optional-data field is masked in the output (it may hold a BSN, DESIGN.md section 7):
# compare line 1 whole and line 2 up to it, plus the parse.
assert entry["read"] and result["valid"], entry
assert entry["mrz"][0] == line1 and entry["mrz"][1][:28] == line2[:28], (entry["mrz"], line2)
assert result["document_number"] == line2[:9].rstrip("<"), result
EOF
log "ok: kiosk mrz read --json read the TD3 MRZ (line 1 exact, line 2 up to the masked field)"

# 4. portal serve: the host asks /v1/health through the shared loopback.
# exec: $! is then unshare itself. unshare --fork ignores SIGTERM while it waits, so the
# server (its child) is the one to stop; unshare then exits with it.
(exec_in_root=1 in_root "$K" portal serve --port "$PORT" --db /tmp/portal.db) > "$OUT/portal.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 100); do
  curl -fsS "http://127.0.0.1:$PORT/v1/health" > "$OUT/health" 2>/dev/null && break
  sleep 0.2
done
grep -q '"ok"' "$OUT/health" 2>/dev/null || { cat "$OUT/portal.log" >&2; fail "portal not healthy"; }
stop_server
log "ok: kiosk portal serve answered /v1/health: $(cat "$OUT/health")"

# 5. demo, offscreen: --no-gui checks portal, store and sync and exits 0; the GUI demo
#    stays up (and quiet) until it is stopped.
in_root env QT_QPA_PLATFORM=offscreen "$K" demo --no-gui --no-document > "$OUT/demo-nogui" 2>&1 \
  || { cat "$OUT/demo-nogui" >&2; fail "demo --no-gui"; }
log "ok: kiosk demo --no-gui"
rc=0
in_root env QT_QPA_PLATFORM=offscreen timeout -s TERM 20 "$K" demo --no-document \
  > "$OUT/demo" 2>&1 || rc=$?
[ "$rc" -eq 124 ] || { cat "$OUT/demo" >&2; fail "demo (offscreen) ended early with $rc"; }
if grep -q -E "Traceback|Error" "$OUT/demo"; then cat "$OUT/demo" >&2; fail "demo printed an error"; fi
log "ok: kiosk demo (offscreen GUI) ran 20 s until stopped"

log "PASS: the bundle runs in a Debian root without Python ($(du -sh "$R" | cut -f1) in all)"
