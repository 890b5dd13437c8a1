"""``kiosk app-sim``: enroll the way the ZORG-ID app does, from a QR image or its payload.

``kiosk app-sim (--image PNG | --payload TEXT) --portal URL [--json]`` decodes the QR from
the image's pixels (OpenCV), posts it with a fresh device key and prints the name the app
shows under 'ID'. Exit status: 0 enrolled, 1 the portal refused the code (404 unknown,
410 used/expired/cancelled), 2 no QR found or the portal unreachable, 3 not yet active
(425: an offline pool code whose registration has not reached the portal).
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any, TextIO

from kiosk.errors import KioskError
from kiosk.i18n import tr


def register(subparsers: Any) -> None:
    """Add the ``app-sim`` command."""
    parser = subparsers.add_parser(
        "app-sim",
        help="enroll like the ZORG-ID app from a QR image or payload",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--image", metavar="PNG", help="image file holding the enrollment QR")
    source.add_argument("--payload", metavar="TEXT", help="the QR's text, e.g. zorgid-enroll:v1:…")
    parser.add_argument("--portal", metavar="URL", required=True, help="portal base URL")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.set_defaults(handler=run_app_sim)


def run_app_sim(args: argparse.Namespace, stdout: TextIO | None = None) -> int:
    """Run the simulator; returns the exit status documented in the module docstring."""
    from kiosk.appsim import Outcome, decode_qr_file, enroll

    out = stdout or sys.stdout
    payload: str = args.payload or ""
    if args.image:
        try:
            payload = decode_qr_file(args.image)
        except KioskError as err:
            _report(out, args.json, {"result": "no_qr", "message": err.translated()})
            return int(Outcome.NO_QR_OR_UNREACHABLE)
    result = enroll(args.portal, payload)
    if result.outcome is Outcome.ENROLLED:
        message = tr("app_sim.enrolled", name=result.display_name)
        name = "enrolled"
    elif result.outcome is Outcome.REFUSED:
        message = tr("app_sim.refused", status=result.status, reason=result.reason)
        name = "refused"
    elif result.outcome is Outcome.NOT_YET_ACTIVE:
        message = tr("app_sim.too_early")
        name = "not_yet_active"
    else:
        message = tr("app_sim.unreachable")
        name = "unreachable"
    _report(
        out,
        args.json,
        {
            "result": name,
            "display_name": result.display_name,
            "status": result.status,
            "message": message,
        },
    )
    return int(result.outcome)


def _report(out: TextIO, as_json: bool, data: dict[str, Any]) -> None:
    if as_json:
        out.write(json.dumps(data, ensure_ascii=False) + "\n")
    else:
        out.write(str(data["message"]) + "\n")
