"""The headless chip check of step 2 (kiosk.flow.chip_check), without Qt or pcscd.

The reader is :class:`tests.unit.flow.card_port.EmulatedReader`, a card-reader port whose
card is the project's eMRTD emulator; the read is the real ``read_document``.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from kiosk.devices.ports import REJOIN_S
from kiosk.emrtd.access import CanSecret
from kiosk.emrtd.errors import CardRemoved
from kiosk.emrtd.trust import TEST_ANCHORS_DIR, TrustStore
from kiosk.emulator.profiles import get_profile
from kiosk.errors import InputError, KioskError
from kiosk.flow.chip_check import AccessKeyFields, ChipCheck, ChipOutcome
from kiosk.model import CheckMethod, DocumentType, Employee, PassiveAuth
from kiosk.mrz import AccessKey, parse_mrz

from .card_port import EmulatedReader

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def trust() -> TrustStore:
    return TrustStore.load(TEST_ANCHORS_DIR)


def key_fields(mrz: str) -> AccessKeyFields:
    key = parse_mrz(mrz).access_key
    assert key is not None
    return AccessKeyFields(
        document_number=key.document_number.rstrip("<"),
        birth_date=key.birth_date,
        expiry_date=key.expiry_date,
    )


def employee_of(mrz: str, **changes: object) -> Employee:
    parsed = parse_mrz(mrz)
    assert parsed.birth_date is not None
    values: dict[str, object] = {
        "given_names": parsed.given_names,
        "surname": parsed.surname,
        "date_of_birth": parsed.birth_date,
    }
    values.update(changes)
    return Employee(**values)  # type: ignore[arg-type]


def run_read(
    check: ChipCheck, secret, employee=None
) -> tuple[ChipOutcome | None, BaseException | None]:
    finished = threading.Event()
    got: list[tuple[ChipOutcome | None, BaseException | None]] = []
    steps: list[str] = []

    def done(outcome, error):
        got.append((outcome, error))
        finished.set()

    assert check.read(
        secret,
        employee=employee,
        on_progress=lambda step, _f: steps.append(step.value),
        on_done=done,
    )
    assert finished.wait(60)
    assert steps  # progress reached the caller
    return got[0]


# -- access-key rules ----------------------------------------------------------------------
def test_a_can_must_be_six_digits():
    assert isinstance(AccessKeyFields(can="123456").secret(), CanSecret)
    for bad in ("12345", "12345a", "1234567"):
        with pytest.raises(InputError) as info:
            AccessKeyFields(can=bad).secret()
        assert info.value.message_key == "chip_reader.error.can_digits"


def test_the_can_wins_over_the_other_fields_and_completeness_follows_the_chosen_key():
    mrz = get_profile("legacy_bac_passport").mrz
    fields = key_fields(mrz)
    assert fields.complete() and isinstance(fields.secret(), AccessKey)
    both = AccessKeyFields(can="123456", document_number="X")
    assert isinstance(both.secret(), CanSecret)
    assert not AccessKeyFields(can="123").complete()
    assert not AccessKeyFields(document_number="SPECI2021", birth_date="650310").complete()


def test_the_three_mrz_fields_are_all_needed_and_valid():
    with pytest.raises(InputError) as info:
        AccessKeyFields(document_number="SPECI2021", birth_date="650310").secret()
    assert info.value.message_key == "chip_reader.error.doc_fields"
    with pytest.raises(InputError):  # the MRZ rules say which field is wrong
        AccessKeyFields(document_number="SPECI2021", birth_date="65", expiry_date="x").secret()


def test_a_driving_licence_opens_with_its_one_line_mrz():
    mrz = get_profile("nl_driving_licence").mrz
    fields = AccessKeyFields(edl_mrz=mrz.lower())
    assert fields.complete()
    secret = fields.secret()
    assert isinstance(secret, AccessKey) and secret.is_edl
    assert not AccessKeyFields(edl_mrz=mrz[:20]).complete()
    broken = mrz[:-1] + ("0" if mrz[-1] != "0" else "1")
    with pytest.raises(InputError) as info:
        AccessKeyFields(edl_mrz=broken).secret()
    assert info.value.message_key == "chip_reader.error.mrz_invalid"


# -- the read through the port -----------------------------------------------------------
def test_a_genuine_passport_gives_evidence_verdicts_and_the_comparison(trust):
    mrz = get_profile("legacy_bac_passport").mrz
    reader = EmulatedReader()
    check = ChipCheck(reader, trust, now=lambda: NOW)
    check.warm_up().result(timeout=60)
    reader.insert("legacy_bac_passport")
    outcome, error = run_read(check, key_fields(mrz).secret(), employee_of(mrz))
    assert error is None and outcome is not None
    assert outcome.genuine and outcome.usable
    evidence = outcome.evidence
    assert evidence is not None and evidence.method is CheckMethod.CHIP
    assert evidence.chip is not None and evidence.chip.passive_auth is PassiveAuth.VALID
    assert evidence.photo and evidence.photo == outcome.photo  # the face, memory only
    assert [i.message_key for i in outcome.verifications] == [
        "chip_reader.ui.access",
        "chip_reader.ui.pa.valid",
        f"chip_reader.ui.clone.{evidence.chip.clone_check.value}",
    ]
    assert outcome.comparison is not None and outcome.comparison.matches
    assert not check.reading
    # A document shifted mid-read is read again (tests/ui/test_step2_chip.py over pcscd).
    assert reader.rejoin_s == REJOIN_S
    check.close()
    assert reader.closed


def test_differences_with_step_1_come_from_the_one_engine(trust):
    mrz = get_profile("legacy_bac_passport").mrz
    reader = EmulatedReader()
    check = ChipCheck(reader, trust, now=lambda: NOW)
    reader.insert("legacy_bac_passport")
    person = employee_of(mrz, surname="Janssen", date_of_birth=date(1990, 7, 22))
    outcome, _ = run_read(check, key_fields(mrz).secret(), person)
    assert outcome is not None and outcome.comparison is not None
    assert not outcome.comparison.matches
    assert {d.field for d in outcome.comparison.problems} == {"surname", "date_of_birth"}
    assert outcome.comparison.problems[0].message_key.startswith("mrz.compare.")
    check.close()


def test_a_driving_licence_compares_its_dg1_names(trust):
    reader = EmulatedReader()
    check = ChipCheck(reader, trust, now=lambda: NOW)
    reader.insert("nl_driving_licence")
    person = Employee(given_names="Daan", surname="Visser", date_of_birth=date(1995, 1, 9))
    secret = AccessKeyFields(edl_mrz=get_profile("nl_driving_licence").mrz).secret()
    outcome, error = run_read(check, secret, person)
    assert error is None and outcome is not None and outcome.evidence is not None
    assert outcome.evidence.document_type is DocumentType.DRIVING_LICENCE
    assert (outcome.evidence.surname, outcome.evidence.birth_date) == ("Visser", date(1995, 1, 9))
    assert outcome.comparison is not None and outcome.comparison.matches
    assert outcome.photo  # the eDL face from DG6
    check.close()


def test_a_tampered_chip_is_not_genuine(trust):
    mrz = get_profile("bad_dg_hash").mrz
    reader = EmulatedReader()
    check = ChipCheck(reader, trust, now=lambda: NOW)
    reader.insert("bad_dg_hash")
    outcome, error = run_read(check, key_fields(mrz).secret())
    assert error is None and outcome is not None
    assert not outcome.genuine and not outcome.usable  # fail closed
    assert outcome.verifications[1].ok is False
    assert outcome.comparison is None  # no step 1 given
    check.close()


def test_a_wrong_key_and_a_missing_card_are_typed_errors(trust):
    reader = EmulatedReader()
    check = ChipCheck(reader, trust, now=lambda: NOW)
    wrong = AccessKeyFields(document_number="XX0000000", birth_date="700101", expiry_date="300101")
    finished = threading.Event()
    got: list[BaseException | None] = []

    def done(_outcome, error):
        got.append(error)
        finished.set()

    assert check.read(wrong.secret(), on_done=done)
    assert finished.wait(10)
    assert isinstance(got[0], CardRemoved)  # nothing on the reader
    reader.insert("legacy_bac_passport")
    outcome, error = run_read_without_progress(check, wrong.secret())
    assert outcome is None and isinstance(error, KioskError)
    check.close()


def run_read_without_progress(check: ChipCheck, secret):
    finished = threading.Event()
    got: list[tuple[ChipOutcome | None, BaseException | None]] = []

    def done(outcome, error):
        got.append((outcome, error))
        finished.set()

    check.read(secret, on_done=done)
    assert finished.wait(60)
    return got[0]


def test_only_one_read_at_a_time(trust):
    reader = EmulatedReader()
    gate = threading.Event()
    reader.call(gate.wait)  # keep the device thread busy
    check = ChipCheck(reader, trust, now=lambda: NOW)
    secret = AccessKeyFields(can="123456").secret()
    finished = threading.Event()
    assert check.read(secret, on_done=lambda *_a: finished.set())
    assert check.reading
    assert not check.read(secret, on_done=lambda *_a: None)
    gate.set()
    assert finished.wait(10)
    check.close()
