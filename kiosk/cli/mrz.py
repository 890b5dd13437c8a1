"""``kiosk mrz parse`` and ``kiosk mrz read``: MRZ tools for operators and integrators.

``parse [--json] [--no-correct] (TEXT | -)`` parses MRZ text (lines joined by newlines or
``|``; ``-`` reads standard input). Exit status: 0 valid, 1 invalid (the reasons are
printed), 2 not an MRZ. The JSON keys are documented in docs/mrz-ocr.md.

``read [--json] PATH...`` reads MRZs from image files; it is implemented by the camera-OCR
pipeline in :mod:`kiosk.mrz.ocr`, imported only when the command runs.
"""

from __future__ import annotations

import argparse
import importlib
import json
import sys
from typing import Any, TextIO

from kiosk.i18n import tr
from kiosk.mrz import MrzSyntaxError, parse_mrz


def register(subparsers: Any) -> None:
    """Add the ``mrz`` command and its ``parse`` and ``read`` actions."""
    parser = subparsers.add_parser(
        "mrz",
        help="parse MRZ text or read MRZs from images",
        description=(
            "MRZ tools. 'parse' checks MRZ text (exit 0 valid, 1 invalid, 2 not an MRZ); "
            "'read' reads MRZs from image files. JSON keys: docs/mrz-ocr.md."
        ),
    )
    actions = parser.add_subparsers(dest="mrz_command", metavar="ACTION", required=True)

    parse = actions.add_parser(
        "parse",
        help="parse and validate MRZ text (exit 0 valid, 1 invalid, 2 not an MRZ)",
    )
    parse.add_argument("--json", action="store_true", help="print the result as JSON")
    parse.add_argument(
        "--no-correct",
        action="store_true",
        help="do not correct OCR confusions (O/0, I/1, B/8, S/5, Z/2, G/6)",
    )
    parse.add_argument(
        "text", metavar="TEXT", help="MRZ lines joined by newlines or '|'; '-' reads stdin"
    )
    parse.set_defaults(handler=run_parse)

    read = actions.add_parser("read", help="read MRZs from image files (camera OCR)")
    read.add_argument("--json", action="store_true", help="print the results as JSON")
    read.add_argument("paths", nargs="+", metavar="PATH", help="image files")
    read.set_defaults(handler=run_read)


def run_parse(
    args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None
) -> int:
    """Parse the MRZ in ``args.text``; returns 0 valid, 1 invalid, 2 not an MRZ."""
    out = stdout or sys.stdout
    text = (stdin or sys.stdin).read() if args.text == "-" else args.text
    try:
        result = parse_mrz(text, correct=not args.no_correct)
    except MrzSyntaxError as err:
        if args.json:
            payload = {
                "valid": False,
                "error": {"key": err.message_key, "reason": err.params.get("reason")},
            }
            print(json.dumps(payload, indent=2), file=out)
        else:
            print(err.translated(), file=out)
        return 2
    if args.json:
        print(json.dumps(result.to_json(), indent=2, ensure_ascii=False), file=out)
    else:
        print(tr("mrz.cli.valid") if result.valid else tr("mrz.cli.invalid"), file=out)
        for key, params in result.problems():
            print(f"  - {tr(key, **params)}", file=out)
        data = result.to_json()
        for name in (
            "format",
            "document_code",
            "document_type",
            "issuing_country",
            "document_number",
            "surname",
            "given_names",
            "nationality",
            "birth_date",
            "sex",
            "expiry_date",
        ):
            print(f"{name}: {data[name] if data[name] is not None else ''}", file=out)
        for fix in result.corrections:
            print(
                f"correction: line {fix.line} column {fix.column} ({fix.field}) "
                f"{fix.from_char} -> {fix.to_char}",
                file=out,
            )
    return 0 if result.valid else 1


def run_read(args: argparse.Namespace) -> int:
    """Hand ``kiosk mrz read`` to the OCR pipeline; 2 with a clear message if it is absent."""
    try:
        ocr = importlib.import_module("kiosk.mrz.ocr")
        command = ocr.read_command
    except (ImportError, AttributeError) as exc:
        print(tr("mrz.cli.ocr_unavailable", reason=f"{type(exc).__name__}: {exc}"), file=sys.stderr)
        return 2
    return int(command(args))
