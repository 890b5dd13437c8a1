"""``kiosk chip read`` (read and verify a document chip) and ``kiosk chip emulate``.

``kiosk chip read --reader NAME (--mrz TEXT | --can DIGITS | --doc N --dob YYMMDD
--expiry YYMMDD) [--json] [--photo FILE]`` prints the access protocol, the document data
(never a BSN: the parsers drop it), the passive, active and chip authentication verdicts and
the timings. Exit status: 0 genuine, 1 verification failed, 2 could not read.

``--photo FILE`` writes the chip's face image (JPEG or JPEG 2000, as stored on the chip) to
a file the operator names. It is the only place the kiosk writes a chip photo, and only on
that explicit request (DESIGN.md section 7).

``kiosk chip emulate --port PORT --profile NAME|DIR`` serves an emulated test document to
vpcd (see :mod:`kiosk.emulator`).
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from kiosk.config import load_config
from kiosk.errors import InputError, KioskError
from kiosk.i18n import tr

EXIT_GENUINE = 0
EXIT_NOT_VERIFIED = 1
EXIT_CANNOT_READ = 2


def register(subparsers: Any) -> None:
    """Add ``kiosk chip read`` and ``kiosk chip emulate``."""
    chip = subparsers.add_parser("chip", help="read a document chip, or emulate one")
    commands = chip.add_subparsers(dest="chip_command", metavar="COMMAND", required=True)

    read = commands.add_parser(
        "read",
        help="read and verify a document chip through a PC/SC reader",
        description=(
            "Read a passport, identity card or driving licence chip and verify it. "
            "Exit status: 0 genuine, 1 verification failed, 2 could not read."
        ),
    )
    read.add_argument("--reader", help="PC/SC reader name (or part of it); default: config")
    key = read.add_mutually_exclusive_group(required=True)
    key.add_argument("--mrz", help="the full MRZ (lines separated by newlines or spaces)")
    key.add_argument("--can", help="the 6-digit card access number (PACE)")
    key.add_argument("--doc", help="document number (use with --dob and --expiry)")
    read.add_argument("--dob", help="date of birth YYMMDD (with --doc)")
    read.add_argument("--expiry", help="date of expiry YYMMDD (with --doc)")
    read.add_argument("--json", action="store_true", help="print JSON instead of text")
    read.add_argument(
        "--photo",
        type=Path,
        help="write the chip's face image to this file (the only way a photo is written)",
    )
    read.add_argument(
        "--wait",
        type=float,
        default=10.0,
        help="seconds to wait for a document on the reader (default 10)",
    )
    read.set_defaults(handler=run_read)

    emulate = commands.add_parser(
        "emulate",
        help="serve an emulated test document to vpcd (TEST ONLY documents)",
    )
    emulate.add_argument("--host", default="127.0.0.1", help="vpcd host (default 127.0.0.1)")
    emulate.add_argument("--port", type=int, default=35963, help="vpcd port (default 35963)")
    emulate.add_argument("--profile", default="nl_passport_2024", help="profile name or folder")
    emulate.add_argument("--remove-after", type=int, help="pull the card after N APDUs")
    emulate.add_argument("--delay", type=float, help="seconds of delay per APDU (slow chip)")
    emulate.set_defaults(handler=run_emulate)


def run_emulate(args: argparse.Namespace) -> int:
    """Serve the emulated document until interrupted."""
    from kiosk.emulator import run_emulator

    profile: str | Path = Path(args.profile) if Path(args.profile).is_dir() else args.profile
    return run_emulator(
        args.host, args.port, profile, remove_after=args.remove_after, delay_s=args.delay
    )


def access_secret(args: argparse.Namespace) -> Any:
    """Build the chip access secret from --mrz, --can or --doc/--dob/--expiry."""
    from kiosk.emrtd import access
    from kiosk.mrz import AccessKey, parse_mrz

    if args.can:
        digits = args.can.strip()
        if not digits.isdigit():
            raise InputError("chip_reader.error.can_digits")
        return access.CanSecret(digits)
    if args.mrz:
        text = "\n".join(args.mrz.replace("\\n", "\n").split())
        result = parse_mrz(text)
        if result.access_key is None or not result.valid:
            raise InputError("chip_reader.error.mrz_invalid")
        return result.access_key
    if not (args.dob and args.expiry):
        raise InputError("chip_reader.error.doc_fields")
    try:
        return AccessKey.from_fields(args.doc, args.dob, args.expiry)
    except ValueError as exc:
        raise InputError("chip_reader.error.doc_fields") from exc


def run_read(args: argparse.Namespace, out: TextIO | None = None) -> int:
    """Read the chip on the configured (or named) reader; returns the exit status."""
    import dataclasses

    from kiosk.devices.card import NoCard, PcscCardReader
    from kiosk.devices.ports import REJOIN_S, CardChannel, CardEvent, CardEventKind
    from kiosk.emrtd import reader, trust

    out = out or sys.stdout
    try:
        secret = access_secret(args)
        full_config = load_config()
        config = full_config.reader
        if args.reader:
            config = dataclasses.replace(config, name=args.reader)
        store = trust.TrustStore.for_config(full_config)
        present = threading.Event()

        def on_event(event: CardEvent) -> None:
            if event.kind is CardEventKind.CARD_INSERTED and (
                not config.name or config.name.lower() in event.reader.lower()
            ):
                present.set()

        pin = reader.AccessPin()  # one access decision across a re-read after a field drop

        def job(channel: CardChannel) -> reader.ChipReadResult:
            return reader.read_document(
                channel.transmit,
                secret,
                extended=channel.extended_length,
                trust_store=store,
                now=datetime.now(UTC),
                pin=pin,
            )

        with PcscCardReader(config) as device:
            device.add_listener(on_event)
            device.call(reader.warm_up)  # PACE tables, while the document is being placed
            if not present.wait(args.wait):
                raise NoCard()
            result = device.submit(job, rejoin_s=REJOIN_S).result()
    except KioskError as exc:
        _print_error(exc, args.json, out)
        return EXIT_CANNOT_READ
    photo_path: str | None = None
    if args.photo is not None and result.face is not None:
        # Written only because the operator asked for this file by name.
        args.photo.write_bytes(result.face.image)
        photo_path = str(args.photo)
    if args.json:
        json.dump(result_json(result, photo_path), out, indent=2, ensure_ascii=False)
        out.write("\n")
    else:
        out.write(result_text(result, photo_path))
    return EXIT_GENUINE if result.genuine else EXIT_NOT_VERIFIED


def _print_error(exc: KioskError, as_json: bool, out: TextIO) -> None:
    if as_json:
        json.dump({"error": exc.message_key, "message": exc.translated()}, out, indent=2)
        out.write("\n")
    else:
        out.write(tr("chip_reader.cli.failed", reason=exc.translated()) + "\n")


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def result_json(result: Any, photo_path: str | None = None) -> dict[str, Any]:
    """The ``--json`` form of a :class:`~kiosk.emrtd.reader.ChipReadResult` (no BSN)."""
    doc = result.document
    face = result.face
    return {
        "genuine": result.genuine,
        "access": {
            "protocol": result.access.value,
            "cipher": result.cipher,
            "curve": result.curve,
            "extended_length": result.extended_length,
        },
        "document": {
            "document_type": doc.document_type.value if doc.document_type else None,
            "document_code": doc.document_code,
            "issuing_country": doc.issuing_country,
            "document_number": doc.document_number,
            "surname": doc.surname,
            "given_names": doc.given_names,
            "nationality": doc.nationality,
            "date_of_birth": _iso(doc.birth_date),
            "sex": doc.sex,
            "expiry_date": _iso(doc.expiry_date),
        },
        "data_groups": list(result.data_groups),
        "passive_auth": {
            "verdict": result.passive_auth.value,
            "reason": result.passive_auth_reason,
        },
        "clone_check": {
            "method": result.clone_method,
            "verdict": result.clone_check.value,
            "reason": result.clone_reason,
        },
        "photo": None
        if face is None
        else {
            "format": str(face.format.value) if face.format else None,
            "bytes": len(face.image),
            "written_to": photo_path,
        },
        "apdu_count": result.apdu_count,
        "total_ms": round(result.total_ms, 1),
        "timings": [
            {"step": t.step, "ms": round(t.ms, 1), "apdus": t.apdus} for t in result.timings
        ],
    }


def result_text(result: Any, photo_path: str | None = None) -> str:
    """The human-readable report (translated)."""
    doc = result.document
    lines = [
        tr(
            "chip_reader.cli.access",
            protocol=result.access.value,
            cipher=result.cipher or "-",
            curve=result.curve or "-",
        ),
        tr(
            "chip_reader.cli.document",
            kind=tr(f"chip_reader.doctype.{doc.document_type.value}")
            if doc.document_type
            else doc.document_code,
            country=doc.issuing_country,
            number=doc.document_number,
        ),
        tr("chip_reader.cli.name", surname=doc.surname, given_names=doc.given_names),
        tr(
            "chip_reader.cli.dates",
            birth=_iso(doc.birth_date) or "-",
            expiry=_iso(doc.expiry_date) or "-",
        ),
        tr(
            "chip_reader.cli.passive_auth",
            verdict=tr(f"chip_reader.verdict.pa.{result.passive_auth.value}"),
            reason=tr(result.passive_auth_reason) if result.passive_auth_reason else "",
        ),
        tr(
            "chip_reader.cli.clone_check",
            method=result.clone_method or "-",
            verdict=tr(f"chip_reader.verdict.clone.{result.clone_check.value}"),
            reason=tr(result.clone_reason) if result.clone_reason else "",
        ),
        tr(
            "chip_reader.cli.timing",
            total=f"{result.total_ms:.0f}",
            apdus=result.apdu_count,
            mode=tr(
                "chip_reader.cli.extended" if result.extended_length else "chip_reader.cli.short"
            ),
        ),
    ]
    lines += [f"  {t.step}: {t.ms:.1f} ms, {t.apdus} APDU" for t in result.timings]
    if photo_path:
        lines.append(tr("chip_reader.cli.photo_written", path=photo_path))
    lines.append(tr("chip_reader.cli.genuine" if result.genuine else "chip_reader.cli.not_genuine"))
    return "\n".join(line.rstrip() for line in lines) + "\n"
