#!/bin/sh
# Stand-in for systemd's Restart=always / RestartSec=2 where systemd is not PID 1 (containers,
# CI): run the command, and whenever it exits, log how and start it again 2 s later, until
# this script gets SIGTERM/SIGINT (then it stops the command too). Used by
# test-cage-session.sh to show the desk coming back; on a desk, zorgid-kiosk.service does this.
#
#   supervise.sh [-s RESTART_SEC] COMMAND [ARG...]
set -u
RESTART_SEC=2
[ "${1:-}" = -s ] && { RESTART_SEC=$2; shift 2; }
child=
stopping=
stop() { stopping=1; [ -n "$child" ] && kill -TERM "$child" 2>/dev/null; }
trap stop TERM INT
starts=0
while [ -z "$stopping" ]; do
  starts=$((starts + 1))
  "$@" &
  child=$!
  echo "supervise: start $starts: pid $child" >&2
  wait "$child"; rc=$?
  # wait returns early when a trapped signal arrives: wait for the child itself to end.
  while kill -0 "$child" 2>/dev/null; do wait "$child"; rc=$?; done
  child=
  [ -n "$stopping" ] && break
  echo "supervise: exited with $rc, restarting in $RESTART_SEC s (Restart=always)" >&2
  sleep "$RESTART_SEC"
done
