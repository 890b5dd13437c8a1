"""read_document against the emulator's chips called directly as transports (no pcscd):
every profile's protocol and verdicts, the fail-closed access rule, privacy of the result,
progress reporting and accounting. The same reads through pcscd are in
tests/integration/pcsc/test_read_profiles.py."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from kiosk.emrtd.access import CanSecret
from kiosk.emrtd.errors import UnsupportedProtocol, WrongAccessKey
from kiosk.emrtd.reader import ReadStep, read_document
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.emulator.profiles import CARD_ACCESS_QUIRKS, get_profile
from kiosk.emulator.security import build_chip
from kiosk.model import ChipAccess, CloneCheck, PassiveAuth
from kiosk.mrz import AccessKey, parse_mrz

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def trust():
    return TrustStore.load(TEST_ANCHORS_DIR)


def chip_transport(profile):
    chip = build_chip(profile)
    chip.power_on()
    sent: list[bytes] = []

    def transport(command: bytes) -> bytes:
        sent.append(command)
        return chip.transmit(command)

    return transport, sent


def read(name, trust, secret=None, **kw):
    profile = get_profile(name)
    transport, sent = chip_transport(profile)
    key = secret if secret is not None else parse_mrz(profile.mrz).access_key
    result = read_document(
        transport, key, extended=profile.extended_length, trust_store=trust, now=NOW, **kw
    )
    return result, sent, profile


@pytest.mark.parametrize(
    ("name", "access", "pa", "clone", "method"),
    [
        ("nl_passport_2024", ChipAccess.PACE, PassiveAuth.VALID, CloneCheck.VALID, "CA"),
        ("nl_id_card_2019", ChipAccess.PACE, PassiveAuth.VALID, CloneCheck.VALID, "CA"),
        ("legacy_bac_passport", ChipAccess.BAC, PassiveAuth.VALID, CloneCheck.VALID, "AA"),
        ("nl_driving_licence", ChipAccess.BAP, PassiveAuth.VALID, CloneCheck.NOT_SUPPORTED, None),
        ("bad_dg_hash", ChipAccess.PACE, PassiveAuth.INVALID, CloneCheck.VALID, "CA"),
        ("bad_sod_signature", ChipAccess.PACE, PassiveAuth.INVALID, CloneCheck.NOT_PERFORMED, None),
        ("unknown_csca", ChipAccess.PACE, PassiveAuth.UNTRUSTED, CloneCheck.VALID, "CA"),
        ("expired_ds", ChipAccess.PACE, PassiveAuth.UNTRUSTED, CloneCheck.VALID, "CA"),
        ("clone_aa", ChipAccess.BAC, PassiveAuth.VALID, CloneCheck.INVALID, "AA"),
        ("clone_ca", ChipAccess.PACE, PassiveAuth.VALID, CloneCheck.INVALID, "CA"),
    ],
)
def test_profiles(trust, name, access, pa, clone, method):
    result, _, _ = read(name, trust)
    assert (result.access, result.passive_auth, result.clone_check) == (access, pa, clone)
    assert result.clone_method == method
    assert result.genuine is (pa is PassiveAuth.VALID and clone is not CloneCheck.INVALID)
    assert result.evidence.to_contract()["access"] == access.value


def test_reasons_name_the_failure(trust):
    assert read("bad_dg_hash", trust)[0].passive_auth_reason == "chip.pa.tampered"
    assert read("expired_ds", trust)[0].passive_auth_reason == "chip.pa.expired_signer"
    assert read("unknown_csca", trust)[0].passive_auth_reason == "chip.pa.untrusted_signer"
    assert read("clone_ca", trust)[0].clone_reason == "chip.error.clone_detected"


def test_can_opens_a_pace_chip(trust):
    profile = get_profile("nl_passport_2024")
    result, _, _ = read("nl_passport_2024", trust, secret=CanSecret(profile.can))
    assert result.access is ChipAccess.PACE and result.genuine


def test_can_on_a_bac_only_chip_is_unsupported_not_a_downgrade(trust):
    with pytest.raises(UnsupportedProtocol):
        read("legacy_bac_passport", trust, secret=CanSecret("123456"))


def test_wrong_key_on_pace_only_chip_never_tries_bac(trust):
    wrong = AccessKey.from_fields("XX0000000", "700101", "300101")
    profile = get_profile("nl_passport_2024")
    transport, sent = chip_transport(profile)
    with pytest.raises(WrongAccessKey):
        read_document(transport, wrong, extended=True, trust_store=trust, now=NOW)
    assert not {command[1] for command in sent} & {0x84, 0x82}


def test_no_bsn_anywhere_in_the_result(trust):
    from kiosk.cli.chip import result_json, result_text

    result, _, profile = read("nl_id_card_2019", trust)
    bsn = profile.mrz.splitlines()[0][15:24]
    assert bsn.isdigit()
    everything = json.dumps(result_json(result)) + result_text(result) + repr(result)
    assert bsn not in everything
    assert not hasattr(result, "files") and not hasattr(result, "raw")


def test_progress_and_accounting(trust):
    seen: list[tuple[ReadStep, float]] = []
    result, sent, _ = read("nl_passport_2024", trust, progress=lambda s, f: seen.append((s, f)))
    fractions = [f for _, f in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0
    assert seen[0][0] is ReadStep.CARD_ACCESS and seen[-1][0] is ReadStep.DONE
    assert result.apdu_count == len(sent) == sum(t.apdus for t in result.timings)
    assert result.apdu_count <= 40
    assert [t.step for t in result.timings] == [
        "card_access",
        "access_control",
        "select_application",
        "read_files",
        "passive_auth",
        "clone_check",
    ]


def test_short_apdus_read_the_same_document(trust):
    profile = get_profile("nl_passport_2024")
    transport, _sent = chip_transport(profile)
    key = parse_mrz(profile.mrz).access_key
    short = read_document(transport, key, extended=False, trust_store=trust, now=NOW)
    extended, _, _ = read("nl_passport_2024", trust)
    assert short.genuine and not short.extended_length
    assert short.face.image == extended.face.image
    assert short.apdu_count > extended.apdu_count


def test_mangled_face_is_tampered_data_not_an_unreadable_chip(trust):
    profile = get_profile("nl_passport_2024")
    files = dict(profile.files)
    files[0x0102] = b"\x75\x05\x7f\x61\x02\x02\x01"  # a DG2 that does not parse
    transport, _ = chip_transport(profile.with_changes(files=files))
    key = parse_mrz(profile.mrz).access_key
    result = read_document(transport, key, extended=True, trust_store=trust, now=NOW)
    assert result.passive_auth is PassiveAuth.INVALID
    assert result.face is None
    assert not result.genuine


def test_card_access_without_pace_info_means_bac_inside_the_application(trust):
    # EF.CardAccess may exist without a PACEInfo (an empty SET here): BAC, app selected first.
    profile = get_profile("legacy_bac_passport")
    changed = profile.with_changes(mf_files={0x011C: b"\x31\x00"})
    transport, sent = chip_transport(changed)
    key = parse_mrz(profile.mrz).access_key
    result = read_document(transport, key, extended=False, trust_store=trust, now=NOW)
    assert result.access is ChipAccess.BAC and result.genuine
    assert sent[1][:4] == bytes.fromhex("00A4040C")  # SELECT AID in plain before BAC


def test_driving_licence_names_come_from_dg1_and_identity_from_the_mrz(trust):
    import datetime as dt

    result, _, profile = read("nl_driving_licence", trust)
    doc = result.document
    assert doc.document_number == parse_mrz(profile.mrz).document_number
    assert (doc.surname, doc.given_names, doc.birth_date) == ("Visser", "Daan", dt.date(1995, 1, 9))
    assert doc.expiry_date is not None
    assert result.face is not None  # DG6


@pytest.mark.parametrize("kind", CARD_ACCESS_QUIRKS)
def test_unreadable_card_access_means_pace_not_offered_so_bac(trust, kind):
    # 9303-11 section 4.2 step 1: EF.CardAccess "not available or does not contain parameters
    # for PACE" -> BAC. Real BAC-only chips answer 6982/6986/6A86/6D00/6E00 instead of 6A82,
    # or hold an empty or broken file; each must read like the plain legacy passport.
    result, sent, _ = read(f"legacy_bac_card_access_{kind}", trust)
    assert result.access is ChipAccess.BAC
    assert result.genuine
    challenge = next(i for i, command in enumerate(sent) if command[1] == 0x84)
    # BAC (GET CHALLENGE, EXTERNAL AUTHENTICATE) right after the plain SELECT of the AID.
    assert sent[challenge - 1][:4] == bytes.fromhex("00A4040C")
    assert sent[challenge + 1][1] == 0x82
    assert challenge <= 4  # the EF.CardAccess attempts stay few


def test_the_emulated_quirk_really_answers_the_status_word():
    # Guard for the test above: the quirk profiles must not quietly serve 6A82.
    for kind in ("6982", "6d00"):
        transport, _ = chip_transport(get_profile(f"legacy_bac_card_access_{kind}"))
        answer = transport(bytes.fromhex("00B09C0000"))
        assert answer[-2:] == bytes.fromhex(kind)


def test_pace_offered_and_failing_still_never_falls_back_to_bac(trust):
    # The no-downgrade rule is untouched by the lenient EF.CardAccess read: the 2019 ID card
    # offers PACE and also answers BAC, yet a wrong key ends the read without any BAC.
    wrong = AccessKey.from_fields("XX0000000", "700101", "300101")
    transport, sent = chip_transport(get_profile("nl_id_card_2019"))
    with pytest.raises(WrongAccessKey):
        read_document(transport, wrong, extended=True, trust_store=trust, now=NOW)
    assert not {command[1] for command in sent} & {0x84, 0x82}


def test_a_chip_without_sfi_that_answers_errors_in_plain_is_not_called_a_clone(trust):
    # Chip authentication proves the new keys with one protected command. A chip that takes
    # no SFI and answers errors in plain would fail a READ BINARY by SFI there and look like
    # a clone; the reader probes with a SELECT by file identifier once it learned "no SFI".
    profile = get_profile("quirk_no_sfi_plain_errors")
    chip = build_chip(profile)
    chip.power_on()
    sent: list[bytes] = []
    answers: list[bytes] = []

    def transport(command: bytes) -> bytes:
        sent.append(command)
        answers.append(chip.transmit(command))
        return answers[-1]

    key = parse_mrz(profile.mrz).access_key
    result = read_document(transport, key, extended=True, trust_store=trust, now=NOW)
    assert result.clone_method == "CA"
    assert result.clone_check is CloneCheck.VALID and result.genuine
    # The probe after CA's GENERAL AUTHENTICATE is a SELECT, not a READ BINARY by SFI.
    last_ga = max(i for i, c in enumerate(sent) if c[1] == 0x86)
    assert sent[last_ga + 1][1] == 0xA4


def test_the_sfi_probe_would_have_called_that_chip_a_clone(trust):
    # Guard for the test above: on the same chip, chip authentication with the default
    # probe (READ BINARY by SFI) gets a plain 6986 and reports a clone.
    from kiosk.emrtd import access, ca
    from kiosk.emrtd.apdu import CommandApdu, ResponseApdu
    from kiosk.emrtd.errors import CloneDetected
    from kiosk.emrtd.reader import EMRTD_AID, ChipLink, read_card_access, read_file

    profile = get_profile("quirk_no_sfi_plain_errors")
    chip = build_chip(profile)
    chip.power_on()

    def plain(cmd: CommandApdu) -> ResponseApdu:
        return ResponseApdu.decode(chip.transmit(cmd.encode(True)))

    link = ChipLink(extended=True)
    card_access = read_card_access(plain, extended=True, link=link)
    assert card_access is not None and not link.sfi
    key = parse_mrz(profile.mrz).access_key
    channel = access.establish(chip.transmit, key, card_access, extended=True)
    channel.transmit(CommandApdu(0x00, 0xA4, 0x04, 0x0C, EMRTD_AID)).check()
    dg14 = read_file(channel.transmit, 14, extended=True, link=link)
    assert dg14 is not None
    with pytest.raises(CloneDetected):
        ca.perform_ca(channel, dg14)
