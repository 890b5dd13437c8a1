"""Logs are structured JSON and never carry personal data."""

from __future__ import annotations

import io
import json
import logging

from kiosk.log import configure_logging, mask_document_number, redact


def test_mask_keeps_last_three():
    assert mask_document_number("SPECI2014") == "******014"
    assert mask_document_number("AB") == "**"
    assert mask_document_number("") == ""


def test_redact_scrubs_mrz_bsn_and_document_numbers():
    text = "line P<NLDDE<BRUIJN<<WILLEKE<LISELOTTE<<<<<<<<<<< bsn 999999990 doc SPECI2014"
    out = redact(text)
    assert "BRUIJN" not in out
    assert "999999990" not in out
    assert "SPECI2014" not in out and "******014" in out


def test_json_handler_redacts_messages_and_extras():
    stream = io.StringIO()
    handler = configure_logging(logging.INFO, stream)
    try:
        log = logging.getLogger("kiosk.test")
        log.info("read %s", "XN5K8R4P1", extra={"note": "bsn 123456782"})
    finally:
        for name in ("kiosk", "ui"):
            logging.getLogger(name).removeHandler(handler)
    entry = json.loads(stream.getvalue().strip().splitlines()[-1])
    assert "XN5K8R4P1" not in stream.getvalue()
    assert "123456782" not in stream.getvalue()
    assert entry["level"] == "INFO" and entry["logger"] == "kiosk.test"
