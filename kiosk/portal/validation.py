"""Strict validation of a registration PUT body (portal contract v1, DESIGN.md section 5).

Unknown fields are rejected anywhere in the body: nothing like a BSN can ride along by
accident (DESIGN.md section 7). Types are checked exactly (``true`` is not a number, ``1``
is not a boolean), enums by value, dates as ISO 8601 calendar dates. What needs the
database (organisation, beheerder, enrollment code) is checked by the server afterwards.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from kiosk.model import (
    CheckMethod,
    ChipAccess,
    CloneCheck,
    DocumentType,
    PassiveAuth,
    name_problem,
)

MAX_ID_LENGTH = 64
MAX_NAME_LENGTH = 100
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,6})?(?:Z|[+-]\d{2}:\d{2})$")
# ICAO 9303-3 section 5: three-letter codes, with '<' filler for codes such as "D<<".
_COUNTRY = re.compile(r"^[A-Z][A-Z<]{2}$")
# ICAO 9303 document numbers are up to 9 characters in the MRZ field but can run longer
# (the extended document number, and the 10-digit Dutch driving licence number).
_DOCUMENT_NUMBER = re.compile(r"^[A-Z0-9]{1,20}$")
_CODE = re.compile(r"^[A-Z0-9-]{1,64}$")

REGISTRATION_FIELDS = {
    "organisation_id": True,
    "employee": True,
    "wid_check": True,
    "enrollment_code": False,
}
EMPLOYEE_FIELDS = {"given_names": True, "surname": True, "date_of_birth": True}
WID_CHECK_FIELDS = {
    "document_type": True,
    "issuing_country": True,
    "document_number": True,
    "expiry_date": True,
    "method": True,
    "chip": True,
    "photo_compared": True,
    "checked_at": True,
    "checked_by": True,
    # Optional: the portal's check grant (kiosk.portal.authz), needed with a device token.
    "check_grant": False,
}
CHIP_FIELDS = {"access": True, "passive_auth": True, "clone_check": True}


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a request body: where (dotted path) and what."""

    path: str
    problem: str

    def to_json(self) -> dict[str, str]:
        """Return the problem as it appears in a 422 answer."""
        return {"path": self.path, "problem": self.problem}


def _fields(value: Any, path: str, spec: dict[str, bool], problems: list[Problem]) -> bool:
    """Check that ``value`` is an object with exactly the allowed fields; False if not an object."""
    if not isinstance(value, dict):
        problems.append(Problem(path or "$", "must be an object"))
        return False
    prefix = f"{path}." if path else ""
    for name in value:
        if name not in spec:
            problems.append(Problem(f"{prefix}{name}", "unknown field"))
    for name, required in spec.items():
        if required and name not in value:
            problems.append(Problem(f"{prefix}{name}", "required"))
    return True


def _string(
    value: Any, path: str, problems: list[Problem], *, max_length: int, allow_empty: bool = False
) -> str | None:
    if not isinstance(value, str):
        problems.append(Problem(path, "must be a string"))
        return None
    if not value.strip() and not allow_empty:
        problems.append(Problem(path, "must not be empty"))
        return None
    if len(value) > max_length:
        problems.append(Problem(path, f"longer than {max_length} characters"))
        return None
    if any(ord(ch) < 0x20 or 0x7F <= ord(ch) < 0xA0 or 0xD800 <= ord(ch) < 0xE000 for ch in value):
        problems.append(Problem(path, "contains control characters"))
        return None
    return value


_NAME_PROBLEMS = {
    "hidden_characters": "contains control, bidi, invisible or surrogate characters",
    "too_long": f"longer than {MAX_NAME_LENGTH} characters",
    "empty": "must not be empty",
    "characters": "only Latin letters, marks, spaces, hyphens and apostrophes",
}


def _name(value: Any, path: str, problems: list[Problem], *, allow_empty: bool = False) -> None:
    """A name as a WID holds it (:func:`kiosk.model.name_problem`, the desk's own rule)."""
    if not isinstance(value, str):
        problems.append(Problem(path, "must be a string"))
        return
    if len(value) > 4 * MAX_NAME_LENGTH:
        # Checked before normalising, so a huge string costs nothing more.
        problems.append(Problem(path, f"longer than {MAX_NAME_LENGTH} characters"))
        return
    problem = name_problem(value)
    if problem == "empty" and allow_empty and value == "":
        return
    if problem is not None:
        problems.append(Problem(path, _NAME_PROBLEMS[problem]))


def _enum(value: Any, path: str, allowed: tuple[str, ...], problems: list[Problem]) -> None:
    if not isinstance(value, str) or value not in allowed:
        problems.append(Problem(path, "must be one of " + ", ".join(allowed)))


def _date(value: Any, path: str, problems: list[Problem]) -> date | None:
    if not isinstance(value, str) or not _DATE.match(value):
        problems.append(Problem(path, "must be a date YYYY-MM-DD"))
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        problems.append(Problem(path, "is not a calendar date"))
        return None


def _datetime(value: Any, path: str, problems: list[Problem]) -> None:
    if not isinstance(value, str) or not _DATETIME.match(value):
        problems.append(Problem(path, "must be an RFC 3339 date-time with a time zone"))
        return
    try:
        datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        problems.append(Problem(path, "is not a valid date-time"))


def _values(enum: type[Any]) -> tuple[str, ...]:
    return tuple(str(member.value) for member in enum)


def validate_registration(body: Any, today: date) -> list[Problem]:
    """Return every problem with a registration PUT body (empty when it is well-formed)."""
    problems: list[Problem] = []
    if not _fields(body, "", REGISTRATION_FIELDS, problems):
        return problems
    if "organisation_id" in body:
        _string(body["organisation_id"], "organisation_id", problems, max_length=MAX_ID_LENGTH)
    code = body.get("enrollment_code")
    if code is not None and (not isinstance(code, str) or not _CODE.match(code)):
        problems.append(Problem("enrollment_code", "must be null or an enrollment code"))

    employee = body.get("employee")
    if "employee" in body and _fields(employee, "employee", EMPLOYEE_FIELDS, problems):
        if "given_names" in employee:
            # Some people have no given names; the WID then shows none.
            _name(employee["given_names"], "employee.given_names", problems, allow_empty=True)
        if "surname" in employee:
            _name(employee["surname"], "employee.surname", problems)
        if "date_of_birth" in employee:
            born = _date(employee["date_of_birth"], "employee.date_of_birth", problems)
            if born is not None and born > today:
                problems.append(Problem("employee.date_of_birth", "lies in the future"))

    wid = body.get("wid_check")
    if "wid_check" in body and _fields(wid, "wid_check", WID_CHECK_FIELDS, problems):
        _check_wid(wid, problems)
    return problems


def _check_wid(wid: dict[str, Any], problems: list[Problem]) -> None:
    if "document_type" in wid:
        _enum(wid["document_type"], "wid_check.document_type", _values(DocumentType), problems)
    if "issuing_country" in wid:
        country = wid["issuing_country"]
        if not isinstance(country, str) or not _COUNTRY.match(country):
            problems.append(Problem("wid_check.issuing_country", "must be an ICAO 9303 code"))
    if "document_number" in wid:
        number = wid["document_number"]
        if not isinstance(number, str) or not _DOCUMENT_NUMBER.match(number):
            problems.append(Problem("wid_check.document_number", "must be 1-20 of A-Z 0-9"))
    if "expiry_date" in wid:
        _date(wid["expiry_date"], "wid_check.expiry_date", problems)
    if "method" in wid:
        _enum(wid["method"], "wid_check.method", _values(CheckMethod), problems)
    if "chip" in wid:
        chip = wid["chip"]
        if chip is None:
            if wid.get("method") == CheckMethod.CHIP.value:
                problems.append(Problem("wid_check.chip", "required when method is chip"))
        elif _fields(chip, "wid_check.chip", CHIP_FIELDS, problems):
            if "access" in chip:
                _enum(chip["access"], "wid_check.chip.access", _values(ChipAccess), problems)
            if "passive_auth" in chip:
                _enum(
                    chip["passive_auth"],
                    "wid_check.chip.passive_auth",
                    _values(PassiveAuth),
                    problems,
                )
            if "clone_check" in chip:
                _enum(
                    chip["clone_check"], "wid_check.chip.clone_check", _values(CloneCheck), problems
                )
    if "photo_compared" in wid and not isinstance(wid["photo_compared"], bool):
        problems.append(Problem("wid_check.photo_compared", "must be a boolean"))
    if "checked_at" in wid:
        _datetime(wid["checked_at"], "wid_check.checked_at", problems)
    if "checked_by" in wid:
        _string(wid["checked_by"], "wid_check.checked_by", problems, max_length=MAX_ID_LENGTH)
    if wid.get("check_grant") is not None:
        _string(wid["check_grant"], "wid_check.check_grant", problems, max_length=MAX_ID_LENGTH)
