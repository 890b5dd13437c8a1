"""``kiosk config show [--json]`` and ``kiosk config check [--json]``: the desk's configuration.

``show`` prints the effective value of every key (``kiosk.config.SCHEMA``) and where it came
from: the default, the file, or an environment variable. ``check`` validates the file and the
``KIOSK_*`` environment and prints every problem, translated, naming the key and its source.
Both read ``--file`` instead of the configured file when given.
Exit status: 0 valid, 1 the configuration has errors.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.config import ConfigReport, SourceKind, Value, inspect_config
from kiosk.i18n import tr

EXIT_INVALID = 1


def register(subparsers: Any) -> None:
    """Add ``kiosk config show`` and ``kiosk config check``."""
    parser = subparsers.add_parser(
        "config", help="show or check the configuration", description=__doc__
    )
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show",
        help="effective value of every key and where it came from",
        description="Print every key's effective value and its source (default, file, env).",
    )
    check = actions.add_parser(
        "check",
        help="validate the configuration file and environment",
        description="Validate the file and the KIOSK_* environment. Exit 0 valid, 1 errors.",
    )
    for sub, handler in ((show, run_show), (check, run_check)):
        sub.add_argument("--json", action="store_true", help="machine-readable output")
        sub.add_argument(
            "--file",
            type=Path,
            help="read this TOML file (default: KIOSK_CONFIG or the platform config dir)",
        )
        sub.set_defaults(handler=handler)


def _file_line(report: ConfigReport) -> str:
    key = "config.cli.file" if report.file_exists else "config.cli.file_missing"
    return tr(key, path=str(report.path))


def _print_errors(report: ConfigReport) -> None:
    print(tr("config.cli.problems", count=len(report.errors)), file=sys.stderr)
    for error in report.errors:
        print(f"✗ {error.translated()}", file=sys.stderr)


def _shown(value: Value) -> str:
    raw = value.value
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, tuple | list):
        return json.dumps(list(raw), ensure_ascii=False)
    if isinstance(raw, str):
        return json.dumps(raw, ensure_ascii=False)
    return str(raw)


def run_show(args: argparse.Namespace) -> int:
    """Print every key's effective value and source; returns 0, or 1 when there are errors."""
    report = inspect_config(args.file)
    if args.json:
        out = {
            "file": str(report.path),
            "file_exists": report.file_exists,
            "values": [v.to_json() for v in report.values],
            "errors": [e.to_json() for e in report.errors],
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
    else:
        print(_file_line(report))
        width = max(len(v.setting.key) for v in report.values)
        for value in report.values:
            kind = value.source.kind
            where = value.source.where if kind is SourceKind.ENV else ""
            source = tr(f"config.cli.from.{kind.value}", where=where)
            mark = "  ✗" if value.error is not None else ""
            print(f"{value.setting.key:<{width}} = {_shown(value)}  ({source}){mark}")
        if report.errors:
            _print_errors(report)
    return EXIT_INVALID if report.errors else 0


def run_check(args: argparse.Namespace) -> int:
    """Validate file and environment; print every error translated; returns 0 or 1."""
    report = inspect_config(args.file)
    if args.json:
        out = {
            "file": str(report.path),
            "file_exists": report.file_exists,
            "ok": report.ok,
            "errors": [e.to_json() for e in report.errors],
        }
        print(json.dumps(out, ensure_ascii=False, indent=2))
    elif report.ok:
        print(_file_line(report))
        print(tr("config.cli.ok"))
    else:
        print(_file_line(report), file=sys.stderr)
        _print_errors(report)
    return 0 if report.ok else EXIT_INVALID
