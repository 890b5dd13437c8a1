"""The data model and its contract JSON."""

from __future__ import annotations

from datetime import UTC, date, datetime

from kiosk.model import (
    CheckMethod,
    ChipAccess,
    ChipEvidence,
    CloneCheck,
    DocumentType,
    Employee,
    PassiveAuth,
    Registration,
    WidCheck,
)


def _registration() -> Registration:
    return Registration(
        organisation_id="org-1",
        employee=Employee("Anna  Maria", " Eriksson", date(1974, 8, 12)),
        wid_check=WidCheck(
            document_type=DocumentType.PASSPORT,
            issuing_country="NLD",
            document_number="L898902C3",
            expiry_date=date(2032, 4, 15),
            method=CheckMethod.CHIP,
            chip=ChipEvidence(ChipAccess.PACE, PassiveAuth.VALID, CloneCheck.VALID),
            photo_compared=True,
            checked_at=datetime(2026, 11, 28, 10, 15, tzinfo=UTC),
            checked_by="b-1",
        ),
    )


def test_contract_round_trip_and_shape():
    reg = _registration()
    body = reg.to_contract()
    assert body["employee"] == {
        "given_names": "Anna Maria",
        "surname": "Eriksson",
        "date_of_birth": "1974-08-12",
    }
    assert body["wid_check"]["checked_at"] == "2026-11-28T10:15:00Z"
    assert body["wid_check"]["chip"] == {
        "access": "PACE",
        "passive_auth": "valid",
        "clone_check": "valid",
    }
    assert set(body) == {"organisation_id", "employee", "wid_check", "enrollment_code"}
    assert Registration.from_contract(reg.registration_id, body) == reg


def test_repr_masks_document_number():
    reg = _registration()
    assert "L898902C3" not in repr(reg)
    assert "******2C3" in repr(reg.wid_check)


def test_employee_validation_messages():
    today = date(2026, 11, 28)
    assert Employee("Jan", "de Vries", date(1980, 1, 1)).validate(today) == []
    assert Employee("Zoë", "O'Brien-Müller", date(1980, 1, 1)).validate(today) == []
    keys = {e.message_key for e in Employee("J4n", "", date(2030, 1, 1)).validate(today)}
    assert keys == {
        "employee.error.surname_required",
        "employee.error.name_characters",
        "employee.error.birth_in_future",
    }
    old = Employee("A", "B", date(1800, 1, 1)).validate(today)
    assert [e.message_key for e in old] == ["employee.error.birth_too_old"]
