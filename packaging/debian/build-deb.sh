#!/bin/sh
# Build the Debian package from the one-folder bundle and the systemd units (./dev deb).
#
#   packaging/debian/build-deb.sh BUNDLE_DIR OUT_DIR
#
# Layout: /opt/zorgid-kiosk (the bundle), /usr/bin/kiosk (a symlink to it), the units in
# /lib/systemd/system, the user in /usr/lib/sysusers.d. Depends: packaging/debian/
# runtime-depends (what ldd found missing in a bare Debian root) plus cage (which refuses to
# start without xwayland) and systemd for
# the kiosk session. postinst makes the user and the store key credential; enabling the
# session is left to the administrator (it takes over tty1).
set -eu
BUNDLE=$1
OUT=$2
HERE=$(cd "$(dirname "$0")" && pwd)
LINUX=$HERE/../linux
VERSION=$("$BUNDLE/kiosk" --version | awk '{print $2}')
ARCH=$(dpkg --print-architecture)
DEB="$OUT/zorgid-kiosk_${VERSION}_${ARCH}.deb"
STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT

mkdir -p "$STAGE/DEBIAN" "$STAGE/opt" "$STAGE/usr/bin" "$STAGE/lib/systemd/system" \
  "$STAGE/usr/lib/sysusers.d" "$STAGE/usr/share/zorgid-kiosk" "$STAGE/usr/share/doc/zorgid-kiosk"
cp -a "$BUNDLE" "$STAGE/opt/zorgid-kiosk"
ln -s /opt/zorgid-kiosk/kiosk "$STAGE/usr/bin/kiosk"
install -m 0644 "$LINUX/zorgid-kiosk.service" "$LINUX/zorgid-kiosk-x11.service" \
  "$STAGE/lib/systemd/system/"
install -m 0644 "$LINUX/zorgid-kiosk.sysusers" "$STAGE/usr/lib/sysusers.d/zorgid-kiosk.conf"
install -m 0755 "$LINUX/install.sh" "$STAGE/usr/share/zorgid-kiosk/install.sh"
install -m 0644 "$HERE/../../docs/packaging.md" "$STAGE/usr/share/doc/zorgid-kiosk/"
printf 'ZORG-ID desk kiosk\nCopyright: proprietary; see the bundled licences in /opt/zorgid-kiosk.\n' \
  > "$STAGE/usr/share/doc/zorgid-kiosk/copyright"

depends=$(grep -v '^\s*#' "$HERE/runtime-depends" | sed '/^\s*$/d' | paste -sd, - | sed 's/,/, /g')
size=$(du -sk "$STAGE" | cut -f1)
cat > "$STAGE/DEBIAN/control" <<CONTROL
Package: zorgid-kiosk
Version: $VERSION
Architecture: $ARCH
Maintainer: ZORG-ID desk kiosk maintainers <kiosk@invalid>
Installed-Size: $size
Depends: $depends, cage, xwayland, systemd (>= 250)
Section: misc
Priority: optional
Description: ZORG-ID Mobiel registration desk kiosk
 Reads identity documents (ICAO 9303 chip over PC/SC, MRZ by camera OCR or reader),
 registers employees at the ZORG-ID Portal, and keeps an encrypted offline queue.
 Self-contained PyInstaller bundle in /opt/zorgid-kiosk (no Python needed) with a
 systemd + cage kiosk session on tty1 (zorgid-kiosk.service).
CONTROL
cat > "$STAGE/DEBIAN/postinst" <<'POSTINST'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
  /usr/share/zorgid-kiosk/install.sh --package
fi
POSTINST
cat > "$STAGE/DEBIAN/prerm" <<'PRERM'
#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
  systemctl stop zorgid-kiosk.service zorgid-kiosk-x11.service 2>/dev/null || true
fi
PRERM
chmod 0755 "$STAGE/DEBIAN/postinst" "$STAGE/DEBIAN/prerm"
mkdir -p "$OUT"
dpkg-deb --root-owner-group -Zxz -z1 --build "$STAGE" "$DEB" >&2
echo "$DEB: $(du -h "$DEB" | cut -f1)"
