"""Every emulator profile read through pcscd + vpcd with the device adapter and
kiosk.emrtd.reader.read_document: the right protocol, verdicts and failures."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kiosk.config import ReaderConfig
from kiosk.devices.card import PcscCardReader
from kiosk.emrtd.errors import CardRemoved, WrongAccessKey
from kiosk.emrtd.reader import ChipReadResult, read_document
from kiosk.model import ChipAccess, CloneCheck, PassiveAuth
from kiosk.mrz import AccessKey, parse_mrz
from tests.integration.pcsc.stack import PcscStack

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def trust_store():
    from kiosk.emrtd import trust

    return trust.TrustStore.load(trust.TEST_ANCHORS_DIR)


def mrz_key(profile) -> AccessKey:
    result = parse_mrz(profile.mrz)
    assert result.access_key is not None
    return result.access_key


def read(stack: PcscStack, profile_name: str, *, secret=None, extended="auto", **options):
    """Place the profile, read it once; return (result, emulator commands, profile)."""
    commands: list[bytes] = []
    with stack.card(profile_name, on_apdu=lambda c, _r: commands.append(c), **options) as emu:
        profile = emu.profile
        key = secret if secret is not None else mrz_key(profile)
        config = ReaderConfig(name=stack.reader, extended_length=extended)
        with PcscCardReader(config) as device:

            def job(channel) -> ChipReadResult:
                return read_document(
                    channel.transmit,
                    key,
                    extended=channel.extended_length,
                    trust_store=trust_store(),
                    now=NOW,
                )

            return device.submit(job).result(timeout=60), commands, profile


def test_nl_passport_2024_pace_only_is_genuine(pcsc_stack):
    result, _commands, _ = read(pcsc_stack, "nl_passport_2024")
    assert result.access is ChipAccess.PACE
    assert result.curve and "320" in result.curve
    assert result.passive_auth is PassiveAuth.VALID
    assert result.clone_method == "CA"
    assert result.clone_check is CloneCheck.VALID
    assert result.genuine
    assert result.extended_length
    assert result.face is not None and len(result.face.image) > 10_000
    assert {1, 2, 14}.issubset(result.data_groups)
    assert result.apdu_count <= 40


def test_nl_id_card_2019_prefers_pace_and_drops_the_bsn(pcsc_stack):
    result, _, profile = read(pcsc_stack, "nl_id_card_2019")
    assert result.access is ChipAccess.PACE  # EF.CardAccess offers PACE: never BAC
    assert result.genuine
    # The BSN sits in the TD1 optional data (line 1, columns 16-30) and DG11: gone.
    optional = profile.mrz.splitlines()[0][15:30].replace("<", "")
    assert optional.isdigit()
    from kiosk.cli.chip import result_json

    text = json.dumps(result_json(result)) + repr(result)
    assert optional not in text


def test_nl_driving_licence_bap(pcsc_stack):
    result, _, _ = read(pcsc_stack, "nl_driving_licence")
    assert result.access is ChipAccess.BAP
    assert result.passive_auth is PassiveAuth.VALID
    assert result.face is not None  # the eDL keeps its face in DG6
    assert 6 in result.data_groups


def test_legacy_bac_passport_with_short_apdus(pcsc_stack):
    result, commands, _ = read(pcsc_stack, "legacy_bac_passport")
    assert result.access is ChipAccess.BAC
    assert not result.extended_length
    assert result.passive_auth is PassiveAuth.VALID
    assert all(len(c) <= 5 + 255 + 1 for c in commands)


@pytest.mark.parametrize(
    ("profile", "verdict"),
    [
        ("bad_dg_hash", PassiveAuth.INVALID),
        ("bad_sod_signature", PassiveAuth.INVALID),
        ("unknown_csca", PassiveAuth.UNTRUSTED),
    ],
)
def test_tampered_and_untrusted_documents(pcsc_stack, profile, verdict):
    result, _, _ = read(pcsc_stack, profile)
    assert result.passive_auth is verdict
    assert result.passive_auth_reason
    assert not result.genuine


def test_expired_document_signer(pcsc_stack):
    result, _, _ = read(pcsc_stack, "expired_ds")
    assert result.passive_auth is not PassiveAuth.VALID
    assert "expired" in (result.passive_auth_reason or "")
    assert not result.genuine


@pytest.mark.parametrize(("profile", "method"), [("clone_aa", "AA"), ("clone_ca", "CA")])
def test_clones_are_detected(pcsc_stack, profile, method):
    result, _, _ = read(pcsc_stack, profile)
    assert result.passive_auth is PassiveAuth.VALID  # the copied data are genuine...
    assert result.clone_method == method
    assert result.clone_check is CloneCheck.INVALID  # ...the chip is not
    assert not result.genuine


def test_card_pulled_mid_read(pcsc_stack):
    kept: list[object] = []
    with pytest.raises(CardRemoved):
        kept.append(read(pcsc_stack, "removed_after_12"))
    assert kept == []  # no partial result escapes


def test_slow_chip_still_reads(pcsc_stack):
    result, _, _ = read(pcsc_stack, "slow_chip")
    assert result.genuine


def test_wrong_mrz_is_a_wrong_access_key(pcsc_stack):
    wrong = AccessKey.from_fields("XX0000000", "700101", "300101")
    with pytest.raises(WrongAccessKey):
        read(pcsc_stack, "nl_id_card_2019", secret=wrong)


def test_pace_only_passport_never_falls_back_to_bac(pcsc_stack):
    wrong = AccessKey.from_fields("XX0000000", "700101", "300101")
    commands: list[bytes] = []
    with (
        pytest.raises(WrongAccessKey),
        pcsc_stack.card("nl_passport_2024", on_apdu=lambda c, _r: commands.append(c)),
        PcscCardReader(ReaderConfig(name=pcsc_stack.reader)) as device,
    ):
        device.submit(
            lambda ch: read_document(
                ch.transmit, wrong, extended=ch.extended_length, trust_store=trust_store(), now=NOW
            )
        ).result(timeout=60)
    ins = {c[1] for c in commands}
    assert 0x86 in ins  # PACE GENERAL AUTHENTICATE was tried...
    assert not ins & {0x84, 0x82}  # ...and no BAC GET CHALLENGE / EXTERNAL AUTHENTICATE


def test_extended_and_short_apdus_read_the_same_document(pcsc_stack):
    extended, _, _ = read(pcsc_stack, "nl_passport_2024", extended="yes")
    short, commands, _ = read(pcsc_stack, "nl_passport_2024", extended="no")
    assert extended.extended_length and not short.extended_length
    assert extended.genuine and short.genuine
    assert extended.document.document_number == short.document.document_number
    assert extended.face.image == short.face.image
    assert short.apdu_count > extended.apdu_count
    assert all(c[4] != 0 or len(c) == 5 for c in commands if len(c) > 5)
