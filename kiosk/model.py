"""The registration's data model and its JSON form in portal contract v1 (DESIGN.md section 5).

Only what data minimisation allows lives here (DESIGN.md section 7): names, date of birth,
document type, country, number and expiry, the check method and its results, timestamps.
There is deliberately no field for a BSN, a photo, raw MRZ or raw data groups, so none can
be stored or sent by accident. ``repr`` masks the document number.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

from kiosk.errors import InputError
from kiosk.log import mask_document_number, mask_name


class DocumentType(StrEnum):
    """Kinds of legal identity document (WID) the desk accepts."""

    PASSPORT = "passport"
    ID_CARD = "id_card"
    DRIVING_LICENCE = "driving_licence"
    RESIDENCE_DOCUMENT = "residence_document"


class CheckMethod(StrEnum):
    """How the document was read in step 2."""

    CHIP = "chip"
    MRZ_CAMERA = "mrz_camera"
    MRZ_READER = "mrz_reader"
    MRZ_TYPED = "mrz_typed"


class ChipAccess(StrEnum):
    """Access control protocol that opened the chip (ICAO 9303-11 section 4)."""

    PACE = "PACE"
    BAC = "BAC"
    BAP = "BAP"


class PassiveAuth(StrEnum):
    """Verdict of passive authentication (ICAO 9303-11 section 5.1)."""

    VALID = "valid"
    INVALID = "invalid"
    UNTRUSTED = "untrusted"
    NOT_PERFORMED = "not_performed"


class CloneCheck(StrEnum):
    """Verdict of active or chip authentication (ICAO 9303-11 sections 6.1, 6.2)."""

    VALID = "valid"
    INVALID = "invalid"
    NOT_SUPPORTED = "not_supported"
    NOT_PERFORMED = "not_performed"


class RegistrationStatus(StrEnum):
    """Portal-side status of a registration's enrollment."""

    PENDING_ENROLLMENT = "pending_enrollment"
    ENROLLED = "enrolled"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


# What the name fields of a WID can hold (ICAO 9303-3 section 4.6 prints names in the
# Latin alphabet, with national characters on the visual zone): Latin letters, combining
# marks on them, and single spaces, hyphens and apostrophes between the parts ("'t Hart",
# "O'Brien-Müller"). Digits and other symbols are typing errors; control, format (bidi
# overrides, zero-width and other invisible characters), private-use, unassigned and
# surrogate code points are refused outright, because they make a name look like another
# or like nothing at all.
_HIDDEN_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_MARK_BLOCKS = ((0x0300, 0x036F), (0x1AB0, 0x1AFF), (0x1DC0, 0x1DFF))
_APOSTROPHES = frozenset("'\u2019")
# Over the class string of a name: L letter, M mark, S space, H hyphen, P apostrophe.
_NAME_SHAPE = re.compile(r"^P?(?:LM{0,3})+(?:(?:S|H|P|SP)(?:LM{0,3})+)*$")
MAX_NAME_LENGTH = 100
MAX_AGE_YEARS = 130


def normalise_name(value: str) -> str:
    """Collapse whitespace and normalise to NFC, keeping case and diacritics as typed."""
    return " ".join(unicodedata.normalize("NFC", value).split())


def _name_class(ch: str) -> str:
    if ch == " ":
        return "S"
    if ch == "-":
        return "H"
    if ch in _APOSTROPHES:
        return "P"
    category = unicodedata.category(ch)
    if category.startswith("L") and unicodedata.name(ch, "").startswith("LATIN "):
        return "L"
    if category.startswith("M") and any(lo <= ord(ch) <= hi for lo, hi in _MARK_BLOCKS):
        return "M"
    return "?"


def name_problem(value: str) -> str | None:
    """Why ``value`` cannot be a name on a WID, or None when it can (after normalisation).

    Returns ``"hidden_characters"`` (control, bidi, invisible or surrogate code points),
    ``"too_long"`` (over :data:`MAX_NAME_LENGTH` characters), ``"empty"`` (nothing
    visible) or ``"characters"`` (anything else outside letters, marks, spaces,
    hyphens and apostrophes of the Latin script, or in the wrong place). The desk
    (:meth:`Employee.validate`) and the reference portal apply this same rule.
    """
    if any(unicodedata.category(ch) in _HIDDEN_CATEGORIES for ch in value):
        return "hidden_characters"
    name = normalise_name(value)
    if len(name) > MAX_NAME_LENGTH:
        return "too_long"
    if not name:
        return "empty"
    if not _NAME_SHAPE.match("".join(_name_class(ch) for ch in name)):
        return "characters"
    return None


@dataclass(frozen=True, slots=True)
class Employee:
    """Step 1: the employee's names and date of birth as printed on the WID."""

    given_names: str
    surname: str
    date_of_birth: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "given_names", normalise_name(self.given_names))
        object.__setattr__(self, "surname", normalise_name(self.surname))

    def __repr__(self) -> str:
        # Names and date of birth are personal data: a repr ends up in logs and tracebacks.
        return (
            f"Employee(given_names={mask_name(self.given_names)}, "
            f"surname={mask_name(self.surname)}, date_of_birth=****-**-**)"
        )

    def validate(self, today: date | None = None) -> list[InputError]:
        """Return every problem with the data (empty when valid); never raises."""
        problems: list[InputError] = []
        today = today or date.today()
        if not self.surname:
            problems.append(InputError("employee.error.surname_required", field="surname"))
        for name, value in (("given_names", self.given_names), ("surname", self.surname)):
            if not value:
                continue
            problem = name_problem(value)
            if problem == "too_long":
                problems.append(
                    InputError("employee.error.name_too_long", field=name, max=MAX_NAME_LENGTH)
                )
            elif problem == "hidden_characters":
                problems.append(InputError("employee.error.name_hidden", field=name))
            elif problem is not None:
                problems.append(InputError("employee.error.name_characters", field=name))
        if self.date_of_birth > today:
            problems.append(InputError("employee.error.birth_in_future", field="date_of_birth"))
        elif today.year - self.date_of_birth.year > MAX_AGE_YEARS:
            problems.append(InputError("employee.error.birth_too_old", field="date_of_birth"))
        return problems

    def to_contract(self) -> dict[str, str]:
        """Return the ``employee`` object of portal contract v1."""
        return {
            "given_names": self.given_names,
            "surname": self.surname,
            "date_of_birth": self.date_of_birth.isoformat(),
        }

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> Employee:
        """Build from the contract's ``employee`` object."""
        return cls(
            given_names=str(data["given_names"]),
            surname=str(data["surname"]),
            date_of_birth=date.fromisoformat(str(data["date_of_birth"])),
        )


@dataclass(frozen=True, slots=True)
class ChipEvidence:
    """What reading the chip proved."""

    access: ChipAccess
    passive_auth: PassiveAuth
    clone_check: CloneCheck

    def to_contract(self) -> dict[str, str]:
        """Return the ``chip`` object of portal contract v1."""
        return {
            "access": self.access.value,
            "passive_auth": self.passive_auth.value,
            "clone_check": self.clone_check.value,
        }

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> ChipEvidence:
        """Build from the contract's ``chip`` object."""
        return cls(
            access=ChipAccess(data["access"]),
            passive_auth=PassiveAuth(data["passive_auth"]),
            clone_check=CloneCheck(data["clone_check"]),
        )


def _utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True, slots=True)
class WidCheck:
    """Step 2: the face-to-face WID check, minimised to what may be kept."""

    document_type: DocumentType
    issuing_country: str
    document_number: str = field(repr=False)
    expiry_date: date
    method: CheckMethod
    chip: ChipEvidence | None
    photo_compared: bool
    checked_at: datetime
    checked_by: str
    # The portal's check grant: proof that checked_by signed in on this kiosk (issued at
    # sign-in, kiosk.portal.authz). A credential, never shown; None when there is none.
    check_grant: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        return (
            f"WidCheck(document_type={self.document_type.value}, "
            f"issuing_country={self.issuing_country}, "
            f"document_number={mask_document_number(self.document_number)}, "
            f"method={self.method.value}, chip={self.chip!r})"
        )

    def to_contract(self) -> dict[str, Any]:
        """Return the ``wid_check`` object of portal contract v1."""
        return {
            "document_type": self.document_type.value,
            "issuing_country": self.issuing_country,
            "document_number": self.document_number,
            "expiry_date": self.expiry_date.isoformat(),
            "method": self.method.value,
            "chip": self.chip.to_contract() if self.chip else None,
            "photo_compared": self.photo_compared,
            "checked_at": _utc(self.checked_at),
            "checked_by": self.checked_by,
            **({"check_grant": self.check_grant} if self.check_grant is not None else {}),
        }

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> WidCheck:
        """Build from the contract's ``wid_check`` object."""
        chip = data.get("chip")
        return cls(
            document_type=DocumentType(data["document_type"]),
            issuing_country=str(data["issuing_country"]),
            document_number=str(data["document_number"]),
            expiry_date=date.fromisoformat(str(data["expiry_date"])),
            method=CheckMethod(data["method"]),
            chip=ChipEvidence.from_contract(chip) if chip else None,
            photo_compared=bool(data["photo_compared"]),
            checked_at=datetime.fromisoformat(str(data["checked_at"]).replace("Z", "+00:00")),
            checked_by=str(data["checked_by"]),
            check_grant=data.get("check_grant"),
        )


@dataclass(frozen=True, slots=True)
class Enrollment:
    """A single-use enrollment code and the QR payload the ZORG-ID app scans."""

    code: str = field(repr=False)
    qr_payload: str = field(repr=False)
    expires_at: datetime

    def to_contract(self) -> dict[str, str]:
        """Return the ``enrollment`` object of portal contract v1."""
        return {
            "code": self.code,
            "qr_payload": self.qr_payload,
            "expires_at": _utc(self.expires_at),
        }

    @classmethod
    def from_contract(cls, data: dict[str, Any]) -> Enrollment:
        """Build from the contract's ``enrollment`` object."""
        return cls(
            code=str(data["code"]),
            qr_payload=str(data["qr_payload"]),
            expires_at=datetime.fromisoformat(str(data["expires_at"]).replace("Z", "+00:00")),
        )


@dataclass(frozen=True, slots=True)
class Registration:
    """Step 3: a new user at an organisation, as queued and as sent to the portal.

    ``registration_id`` is made once, when the kiosk accepts the registration, and reused on
    every retry: the portal's PUT is idempotent on it (DESIGN.md section 5).
    """

    organisation_id: str
    employee: Employee
    wid_check: WidCheck
    enrollment_code: str | None = field(default=None, repr=False)
    registration_id: uuid.UUID = field(default_factory=uuid.uuid4)

    def __repr__(self) -> str:
        return (
            f"Registration(registration_id={self.registration_id}, "
            f"organisation_id={self.organisation_id}, employee={self.employee!r}, "
            f"wid_check={self.wid_check!r}, "
            f"enrollment_code={'****' if self.enrollment_code else None})"
        )

    def to_contract(self) -> dict[str, Any]:
        """Return the PUT body of portal contract v1 (without the id, which is in the URL)."""
        return {
            "organisation_id": self.organisation_id,
            "employee": self.employee.to_contract(),
            "wid_check": self.wid_check.to_contract(),
            "enrollment_code": self.enrollment_code,
        }

    @classmethod
    def from_contract(cls, registration_id: uuid.UUID | str, data: dict[str, Any]) -> Registration:
        """Build from a PUT body."""
        return cls(
            organisation_id=str(data["organisation_id"]),
            employee=Employee.from_contract(data["employee"]),
            wid_check=WidCheck.from_contract(data["wid_check"]),
            enrollment_code=data.get("enrollment_code"),
            registration_id=uuid.UUID(str(registration_id)),
        )

    def with_enrollment_code(self, code: str | None) -> Registration:
        """Return a copy bound to a pre-reserved (offline pool) enrollment code."""
        return replace(self, enrollment_code=code)


@dataclass(frozen=True, slots=True)
class DeviceCredential:
    """The kiosk's own credential for syncing with nobody signed in (DESIGN.md section 6).

    Issued by the portal when a beheerder enrolls the kiosk; kept (token sealed) by the
    store and presented by the sync client. It lives here, below both, so the store need
    not import the sync layer to hold one.
    """

    kiosk_id: str
    device_token: str = field(repr=False)
    #: When the portal stops accepting the token (None: a portal that does not say); the
    #: sync worker rotates it before then.
    expires_at: datetime | None = None
    #: At enrolment only: the enrolling beheerder's check grant on this kiosk (handed to the
    #: desk's session, never stored with the credential).
    check_grant: str | None = field(default=None, repr=False, compare=False)
