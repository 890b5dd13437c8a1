"""Device adapter parts that need no reader: ATR parsing, error mapping, configuration, and
the typed failure when pcscd is not running (a real pcsc-lite client pointed at a socket
where no pcscd listens)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest
from hypothesis import given
from hypothesis import strategies as st
from smartcard import scard

from kiosk.config import ReaderConfig
from kiosk.devices.card import (
    PcscCardReader,
    PcscUnavailable,
    ReaderBusy,
    ReaderFailure,
    atr_extended_length,
    pcsc_error,
)
from kiosk.emrtd.errors import CardRemoved
from kiosk.errors import InputError
from tests.integration.pcsc.vicc import atr_with_historical


def test_atr_capabilities_extended_bit():
    assert atr_extended_length(atr_with_historical(bytes.fromhex("8073C021C0"))) is True
    assert atr_extended_length(atr_with_historical(bytes.fromhex("8073C02180"))) is False


def test_atr_without_capabilities_says_nothing():
    assert atr_extended_length(atr_with_historical(b"TEST")) is None
    assert atr_extended_length(b"") is None
    assert atr_extended_length(bytes.fromhex("3B00")) is None


def test_atr_category_00_has_status_bytes_at_the_end():
    # Category 0x00: compact-TLV objects followed by a 3-byte status indicator.
    assert atr_extended_length(atr_with_historical(bytes.fromhex("0073C021C0009000"))) is True


def test_contact_atr_with_interface_bytes():
    # A real contact ATR (TA1 TD1 TD2 TA3 TB3) with card capabilities in the historical bytes.
    atr = bytes.fromhex("3BF81300008131FE458073C021C0000000")
    # T0=F8: TA1..TD1 present, 8 historical bytes; only the capability bit matters here.
    assert atr_extended_length(atr) in (True, None)


@given(st.binary(max_size=40))
def test_atr_parser_never_crashes(atr):
    assert atr_extended_length(atr) in (True, False, None)


@pytest.mark.parametrize(
    ("code", "kind"),
    [
        (scard.SCARD_W_REMOVED_CARD, CardRemoved),
        (scard.SCARD_E_NO_SMARTCARD, CardRemoved),
        (scard.SCARD_E_READER_UNAVAILABLE, CardRemoved),
        (scard.SCARD_E_NO_SERVICE, PcscUnavailable),
        (scard.SCARD_E_SHARING_VIOLATION, ReaderBusy),
        (scard.SCARD_E_NOT_TRANSACTED, ReaderFailure),
    ],
)
def test_pcsc_codes_map_to_typed_errors(code, kind):
    error = pcsc_error(code, during="test")
    assert type(error) is kind
    assert error.translated()


def test_unknown_quirk_is_rejected():
    with pytest.raises(InputError) as caught:
        PcscCardReader(ReaderConfig(quirks=("turbo",)))
    assert caught.value.params["quirk"] == "turbo"


def test_bad_extended_length_setting_is_rejected():
    with pytest.raises(InputError):
        PcscCardReader(ReaderConfig(extended_length="maybe"))


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="pcsc-lite socket override")
def test_without_pcscd_start_raises_a_typed_environment_failure(tmp_path):
    # pcsc-lite clients honour PCSCLITE_CSOCK_NAME; pointing it at an empty folder is a
    # machine where pcscd does not run, without stopping the pcscd other tests share.
    code = textwrap.dedent(
        """
        from kiosk.devices.card import PcscCardReader, PcscUnavailable
        try:
            PcscCardReader().start()
        except PcscUnavailable as exc:
            print("typed", exc.message_key)
        """
    )
    env = dict(os.environ, PCSCLITE_CSOCK_NAME=str(tmp_path / "no-pcscd.comm"))
    result = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "typed chip_reader.error.no_service", result.stderr
