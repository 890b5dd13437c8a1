"""``python -m kiosk.emulator --port P --profile NAME|DIR``: serve a test document to vpcd."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from kiosk.emulator.vpcd import DEFAULT_HOST, DEFAULT_PORT
from kiosk.i18n import tr


def build_parser() -> argparse.ArgumentParser:
    """Command-line options of the emulator process."""
    from kiosk.emulator.profiles import PROFILES

    parser = argparse.ArgumentParser(
        prog="python -m kiosk.emulator",
        description="Serve a TEST ONLY emulated identity document to vpcd (pcscd's virtual "
        "reader). Stop it (SIGINT/SIGTERM) to take the document off the reader.",
    )
    parser.add_argument("--host", default=DEFAULT_HOST, help="vpcd host (default %(default)s)")
    parser.add_argument(
        "--port", type=int, default=DEFAULT_PORT, help="vpcd port (default %(default)s)"
    )
    parser.add_argument(
        "--profile",
        default="nl_passport_2024",
        help=f"profile name ({', '.join(PROFILES)}) or a profile directory",
    )
    parser.add_argument(
        "--remove-after",
        type=int,
        default=None,
        metavar="N",
        help="pull the card away after N APDUs",
    )
    parser.add_argument(
        "--delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="delay before every answer (a slow chip)",
    )
    parser.add_argument(
        "--save", metavar="DIR", default=None, help="write the profile to DIR and exit"
    )
    parser.add_argument(
        "-v", "--verbose", action="store_true", help="log every APDU's INS and status word"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the emulator process; returns the exit code."""
    import signal
    import threading
    from pathlib import Path

    from kiosk.emulator.profiles import load_profile
    from kiosk.emulator.server import run_emulator

    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(name)s %(message)s",
    )
    profile = load_profile(args.profile)
    if args.save:
        profile.save(Path(args.save))
        print(tr("emulator.cli.saved", name=profile.name, folder=args.save))
        return 0
    # SIGTERM and Ctrl-C take the document off the reader and end the process with 0, so a
    # test harness can stop it cleanly; the handler only sets a flag the loop polls.
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        del signum, frame
        stop.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    return run_emulator(
        args.host,
        args.port,
        profile,
        remove_after=args.remove_after,
        delay_s=args.delay,
        trace=args.verbose,
        stop=stop,
    )


if __name__ == "__main__":
    sys.exit(main())
