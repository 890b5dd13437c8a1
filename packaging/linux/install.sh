#!/bin/sh
# Install the desk kiosk as a Linux appliance: the bundle in /opt/zorgid-kiosk, the "kiosk"
# system user, the systemd units, and the store key as an encrypted systemd credential.
#
#   sudo packaging/linux/install.sh [--bundle DIR] [--enable]
#
#   --bundle DIR   copy this one-folder bundle (default dist/kiosk, from ./dev bundle) to
#                  /opt/zorgid-kiosk; the .deb calls it with --package (bundle and units are
#                  already in place, only user and key are made)
#   --enable       also enable pcscd.socket and the cage session on tty1 (getty@tty1 off)
#
# Idempotent: an existing user, credential or key is kept (a new key would make the
# queued registrations unreadable, DESIGN.md section 6).
set -eu
PREFIX=/opt/zorgid-kiosk
UNIT_DIR=/etc/systemd/system
CRED_DIR=/etc/credstore.encrypted
CRED=$CRED_DIR/zorgid-kiosk.store-key
HOME_DIR=/var/lib/zorgid-kiosk
HERE=$(cd "$(dirname "$0")" && pwd)
BUNDLE=$HERE/../../dist/kiosk
PACKAGE=no
ENABLE=no
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE=$2; shift 2 ;;
    --package) PACKAGE=yes; UNIT_DIR=/lib/systemd/system; shift ;;
    --enable) ENABLE=yes; shift ;;
    *) sed -n '2,13p' "$0" >&2; exit 2 ;;
  esac
done
log() { echo "zorgid-kiosk: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { log "run as root"; exit 1; }

if [ "$PACKAGE" = no ]; then
  [ -x "$BUNDLE/kiosk" ] || { log "no bundle at $BUNDLE (./dev bundle)"; exit 1; }
  log "installing $BUNDLE to $PREFIX"
  rm -rf "$PREFIX.new"
  cp -a "$BUNDLE" "$PREFIX.new"
  rm -rf "$PREFIX.old"
  [ -d "$PREFIX" ] && mv "$PREFIX" "$PREFIX.old"
  mv "$PREFIX.new" "$PREFIX" && rm -rf "$PREFIX.old"
  ln -sf "$PREFIX/kiosk" /usr/local/bin/kiosk
  install -m 0644 "$HERE/zorgid-kiosk.service" "$HERE/zorgid-kiosk-x11.service" "$UNIT_DIR/"
  install -D -m 0644 "$HERE/zorgid-kiosk.sysusers" /usr/lib/sysusers.d/zorgid-kiosk.conf
fi

# The user: systemd-sysusers when there is one (same file the .deb ships), else useradd.
if ! getent passwd kiosk >/dev/null; then
  if command -v systemd-sysusers >/dev/null && [ -f /usr/lib/sysusers.d/zorgid-kiosk.conf ]; then
    systemd-sysusers /usr/lib/sysusers.d/zorgid-kiosk.conf
  else
    useradd --system --home-dir "$HOME_DIR" --shell /usr/sbin/nologin \
      --comment "ZORG-ID desk kiosk" --user-group kiosk
    usermod -a -G video kiosk 2>/dev/null || true
  fi
fi
install -d -m 0700 -o kiosk -g kiosk "$HOME_DIR" "$HOME_DIR/.config" "$HOME_DIR/.local" \
  "$HOME_DIR/.local/share" "$HOME_DIR/.config/zorgid-kiosk" "$HOME_DIR/.local/share/zorgid-kiosk"

# The store key as an encrypted credential. An older kiosk's key file is moved into it
# (then removed), so its queue stays readable; otherwise a fresh 256-bit key is made.
if [ ! -s "$CRED" ]; then
  if command -v systemd-creds >/dev/null; then
    old=$HOME_DIR/.local/share/zorgid-kiosk/store.key
    install -d -m 0700 "$CRED_DIR"
    if [ -s "$old" ]; then
      log "moving the existing store key into $CRED"
      systemd-creds encrypt --name=zorgid-store-key "$old" "$CRED"
      rm -f "$old"
    else
      log "making the store key credential $CRED"
      head -c 32 /dev/urandom | base64 | systemd-creds encrypt --name=zorgid-store-key - "$CRED"
    fi
    chmod 0600 "$CRED"
  else
    # No systemd-creds (systemd < 250, or a root without systemd): the unit's
    # LoadCredentialEncrypted= cannot work; the kiosk then keeps its key in a 0600 file in
    # its data dir (kiosk.store.keys), which is what it did before credentials.
    log "systemd-creds not found: the store key stays a 0600 file in the kiosk's data dir"
    # The kiosk refuses a plain key file unless it is chosen explicitly (storage.key_store,
    # docs/configuration.md): choose it for the session units, where nothing better exists.
    for unit in zorgid-kiosk.service zorgid-kiosk-x11.service; do
      install -d -m 0755 "/etc/systemd/system/$unit.d"
      printf '[Service]\nEnvironment=KIOSK_STORAGE_KEY_STORE=file\n' \
        > "/etc/systemd/system/$unit.d/key-file.conf"
    done
  fi
fi

if [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  if [ "$ENABLE" = yes ]; then
    systemctl disable getty@tty1.service || true
    systemctl enable --now pcscd.socket zorgid-kiosk.service
  fi
elif [ "$ENABLE" = yes ]; then
  systemctl enable pcscd.socket zorgid-kiosk.service  # offline (chroot, image build)
  systemctl disable getty@tty1.service || true
fi
log "done. Configure $HOME_DIR/.config/zorgid-kiosk/kiosk.toml (portal.url, desk.kiosk_name)"
[ "$ENABLE" = yes ] || log "start with: systemctl enable --now pcscd.socket zorgid-kiosk.service"
