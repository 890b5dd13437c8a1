"""``kiosk doctor [--json]``: check reader, camera, portal, clock, trust store, disk, queue."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiosk.config import load_config
from kiosk.errors import KioskError
from kiosk.i18n import tr


def register(subparsers: Any) -> None:
    """Add ``kiosk doctor``."""
    parser = subparsers.add_parser(
        "doctor",
        help="check reader, camera, portal, clock, trust store, disk and queue",
        description="Check whether this desk is ready. Exit 0 all ok, 1 warnings, 2 failures.",
    )
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.set_defaults(handler=run_doctor)


def run_doctor(args: argparse.Namespace) -> int:
    """Run every check and print the report; returns 0, 1 or 2."""
    from kiosk.doctor import exit_code, run_checks

    try:
        checks = run_checks(load_config())
    except KioskError as exc:  # the configuration itself is broken
        print(exc.translated(), file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([c.to_json() for c in checks], ensure_ascii=False, indent=2))
    else:
        for check in checks:
            mark = {"ok": "✓", "warn": "!", "fail": "✗"}[check.status.value]
            print(f"{mark} {tr('doctor.name.' + check.name)}: {check.message()}")
    return exit_code(checks)
