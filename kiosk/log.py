"""Structured, masked logging.

Log records are JSON lines. Personal data never belongs in a log (DESIGN.md section 7): code
logs identifiers only through :func:`mask_document_number` and names only through
:func:`mask_name`, and :class:`RedactingFilter` is a safety net that scrubs anything shaped
like an MRZ line, a BSN, a document number or a labelled name (``surname=...``, an ``extra``
field named ``surname``) that slipped into a message or an ``extra`` field anyway.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# An MRZ line is 30, 36 or 44 characters of [A-Z0-9<]; any run of 20+ such characters that
# contains a filler is treated as MRZ data.
_MRZ_RUN = re.compile(r"[A-Z0-9<]*<[A-Z0-9<]*")
# 8 or 9 digits on their own: BSN-shaped (a BSN is 9 digits, older ones 8 with a leading 0).
_BSN = re.compile(r"(?<![0-9A-Za-z])[0-9]{8,9}(?![0-9A-Za-z])")
# Dutch document numbers: 2 letters, 6 letters/digits, 1 digit (passport/ID card) and the
# general 9303 document number shape of 6-9 alphanumerics with both letters and digits.
_DOCNUM = re.compile(
    r"(?<![0-9A-Za-z])(?=[A-Z0-9]*[A-Z])(?=[A-Z0-9]*[0-9])[A-Z0-9]{6,9}(?![0-9A-Za-z])"
)

# Names: ``extra`` fields with one of these keys are masked whole, and ``key=value`` or
# ``"key": "value"`` pairs with them are masked inside messages (a repr or a JSON dump).
NAME_KEYS = frozenset(
    {"given_names", "surname", "display_name", "full_name", "holder_name", "beheerder_name"}
)
_NAME_PAIR = re.compile(
    r"(?P<key>\b(?:" + "|".join(sorted(NAME_KEYS)) + r")\b['\"]?\s*[:=]\s*)"
    r"(?:(?P<quote>['\"])(?P<quoted>[^'\"\n]*)(?P=quote)"
    # Unquoted: up to a delimiter or the next ``key=``, so "surname=de Vries x=1" works.
    r"|(?P<bare>[^'\",)}\]\n]*?)(?=[,)}\]\n]|\s+\w+\s*[:=]|\s*$))"
)

_STANDARD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {
    "message",
    "asctime",
}


def mask_document_number(number: str | None) -> str:
    """Return a document number masked to its last three characters (``******C36``)."""
    if not number:
        return ""
    keep = number[-3:] if len(number) > 3 else ""
    return "*" * (len(number) - len(keep)) + keep


def mask_name(name: str | None) -> str:
    """Return a name masked to the initial of each part (``A*** M*** E***``)."""
    if not name:
        return ""
    return " ".join(part[:1] + "***" for part in name.split())


def _mask_pairs(text: str) -> str:
    def _masked(match: re.Match[str]) -> str:
        quote = match.group("quote") or ""
        value = match.group("quoted") if quote else match.group("bare")
        return f"{match.group('key')}{quote}{mask_name(value)}{quote}"

    return _NAME_PAIR.sub(_masked, text)


def redact(text: str) -> str:
    """Scrub names given as ``key=value``, MRZ runs, BSN- and document-number-shaped tokens."""

    def _mrz(match: re.Match[str]) -> str:
        run = match.group(0)
        return "[mrz]" if len(run) >= 20 else run

    text = _mask_pairs(text)
    text = _MRZ_RUN.sub(_mrz, text)
    text = _BSN.sub("[number]", text)
    return _DOCNUM.sub(lambda m: mask_document_number(m.group(0)), text)


class RedactingFilter(logging.Filter):
    """Scrub personal-data-shaped content from every record's message and extra fields."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        for key, value in list(vars(record).items()):
            if key in NAME_KEYS and isinstance(value, str):
                setattr(record, key, mask_name(value))
            elif key not in _STANDARD_ATTRS and isinstance(value, str):
                setattr(record, key, redact(value))
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and extra fields."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                plain = isinstance(value, (int, float, bool, type(None)))
                entry[key] = value if plain else str(value)
        if record.exc_info and record.exc_info[0] is not None:
            # Only the exception type: tracebacks can carry local values.
            entry["exception"] = record.exc_info[0].__name__
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(
    level: int | str = logging.INFO, stream: TextIO | None = None
) -> logging.Handler:
    """Install a redacting JSON handler on the ``kiosk`` and ``ui`` loggers; return it."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RedactingFilter())
    for name in ("kiosk", "ui"):
        logger = logging.getLogger(name)
        logger.setLevel(level)
        logger.addHandler(handler)
    return handler
