"""Entry point of the ``kiosk`` console script."""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys
from collections.abc import Sequence
from typing import Any

import kiosk.cli
from kiosk import version_string
from kiosk.config import ConfigError

# Exit status of any subcommand that stopped on an invalid configuration.
EXIT_CONFIG = 2


class _VersionAction(argparse.Action):
    """``--version``: like argparse's own, but the commit is looked up only when asked
    (from a source checkout that runs git, which every other command should not wait for)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Any,
        option_string: str | None = None,
    ) -> None:
        print(f"{parser.prog} {version_string()}")  # stdout, like argparse's own action
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """Build the parser with every subcommand module found in :mod:`kiosk.cli`."""
    parser = argparse.ArgumentParser(
        prog="kiosk",
        description=(
            "Registration desk kiosk for ZORG-ID Mobiel. Without a subcommand it starts the "
            "desk application fullscreen."
        ),
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="print the version and build commit, then exit"
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(kiosk.cli.__path__), key=lambda m: m.name):
        if info.name == "main" or info.name.startswith("_"):
            continue
        module = importlib.import_module(f"kiosk.cli.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kiosk`` command; returns the process exit code."""
    # The MRZ classifier multiplies tiny matrices: OpenBLAS threads cost more than they give
    # (several times slower on a busy desk PC). Set before any subcommand imports numpy.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    # OpenCV's own stderr warnings (e.g. probing a missing camera) are not for desk staff:
    # the kiosk reports those failures itself, translated.
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    try:
        if handler is None:
            # No subcommand: the desk application itself.
            from kiosk.cli.desk import run_desk

            return run_desk(args)
        return int(handler(args))
    except ConfigError as exc:
        # A bad configuration value is the operator's to fix: say which key and where it came
        # from, translated, instead of a traceback (``kiosk config check`` lists them all).
        print(exc.translated(), file=sys.stderr)
        return EXIT_CONFIG


if __name__ == "__main__":
    sys.exit(main())
