#!/usr/bin/env bash
# Prove the .deb (./dev deb) installs with apt on a fresh Debian and runs: a minimal root
# (the same cached mmdebstrap/debootstrap tarball as packaging/test-bundle.sh), then
# `apt-get install ./zorgid-kiosk_*.deb` resolves its Depends from the archive, postinst
# makes the user and the store key credential, and `kiosk doctor --json` runs from
# /usr/bin/kiosk. Not part of `./dev test` (minutes, network).
#
#   packaging/debian/test-deb.sh [DEB]      (default: the newest dist/zorgid-kiosk_*.deb)
set -euo pipefail
cd "$(dirname "$0")/../.."
DEB=$(realpath "${1:-$(ls -t dist/zorgid-kiosk_*.deb | head -1)}")
CACHE=${KIOSK_PROOF_CACHE:-/var/tmp/kiosk-proof}
SUITE=${KIOSK_PROOF_SUITE:-bookworm}
TAR=$CACHE/$SUITE-apt.tar
log() { printf '\033[1m[deb]\033[0m %s\n' "$*" >&2; }
fail() { printf '\033[1;31m[deb] FAIL:\033[0m %s\n' "$*" >&2; exit 1; }
[ -s "$TAR" ] || fail "no base root $TAR: run packaging/test-bundle.sh once (it makes it)"
R=$(mktemp -d /var/tmp/kiosk-deb.XXXXXX)
trap 'rm -rf --one-file-system "$R"' EXIT
tar -C "$R" -xf "$TAR"
cp "$DEB" "$R/root/"
in_root() {
  unshare --mount --fork --kill-child=SIGTERM -- /bin/sh -c '
    r=$1; shift
    mount --rbind /dev "$r/dev" && mount -t proc proc "$r/proc" && mount -t tmpfs tmp "$r/tmp"
    cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
    exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 \
      "$@"' in_root "$R" "$@"
}
log "apt-get install ./$(basename "$DEB") into a fresh $SUITE root"
start=$(date +%s)
in_root sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
  apt-get install -y -qq --no-install-recommends /root/$(basename "$DEB")" > "$R.log" 2>&1 \
  || { tail -30 "$R.log" >&2; fail "apt-get install"; }
grep -E "zorgid-kiosk:" "$R.log" >&2 || true
log "installed in $(( $(date +%s) - start )) s: $(in_root dpkg-query -W -f='${Package} ${Version} ${Status}' zorgid-kiosk)"
for py in python3 python; do
  in_root sh -c "! command -v $py >/dev/null" || log "note: a dependency pulled in $py (not used by the kiosk)"
done
in_root getent passwd kiosk >/dev/null || fail "no kiosk user"
in_root test -f /lib/systemd/system/zorgid-kiosk.service || fail "unit not installed"
if in_root test -s /etc/credstore.encrypted/zorgid-kiosk.store-key; then
  log "ok: store key credential /etc/credstore.encrypted/zorgid-kiosk.store-key"
else
  log "note: no store key credential (systemd-creds could not encrypt in this root)"
fi
in_root kiosk --version
rc=0; in_root env KIOSK_PORTAL_URL=http://127.0.0.1:9 kiosk doctor --json > "$R.doctor" || rc=$?
[ "$rc" -le 2 ] || fail "doctor exited $rc"
grep -q '"check": "version"' "$R.doctor" || { cat "$R.doctor" >&2; fail "doctor --json"; }
grep -o '"check": "[a-z]*",\s*"status": "[a-z]*"' "$R.doctor" | tr -d '\n' >&2 || true
sed -n '/"version"/,/}/p' "$R.doctor" | head -4 >&2
log "ok: kiosk doctor --json from the installed package (exit $rc)"
log "PASS: the .deb installs with apt and runs"
rm -f "$R.log" "$R.doctor"
