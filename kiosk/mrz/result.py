"""What parsing an MRZ yields: the result, its check-digit results, corrections, access key.

Data minimisation (DESIGN.md sections 4 and 7): there is deliberately no field for optional
data or the TD3 personal number. Dutch documents issued before August 2021 carry the BSN
there, so the parser reads those characters only to verify check digits and then drops them.
``repr()`` masks the document number and never contains an MRZ line.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any

from kiosk.errors import InputError
from kiosk.log import mask_document_number
from kiosk.model import DocumentType
from kiosk.mrz.checkdigit import MRZ_ALPHABET, check_digit


class MrzFormat(StrEnum):
    """MRZ layouts: 9303 parts 4 (TD3), 5 (TD1), 6 (TD2), 7 (MRV-A/B); ISO 18013 eDL."""

    TD1 = "TD1"
    TD2 = "TD2"
    TD3 = "TD3"
    MRV_A = "MRV-A"
    MRV_B = "MRV-B"
    EDL = "eDL"


class MrzSyntaxError(InputError):
    """The text is not an MRZ at all (wrong characters, wrong length or shape).

    An MRZ whose check digits fail is *not* a syntax error: it parses to a result with
    ``valid == False``. The ``reason`` parameter is a fixed word (never input text).
    """

    message_key = "mrz.error.not_mrz"


@dataclass(frozen=True, slots=True)
class CheckResult:
    """One check digit: which field it protects, what was printed, what it should be.

    ``field`` is ``document_number``, ``birth_date``, ``expiry_date``, ``personal_number``
    (TD3; the field itself is dropped), ``composite`` or ``mrz_line`` (eDL, whole line).
    """

    field: str
    valid: bool
    found: str
    expected: str


@dataclass(frozen=True, slots=True)
class Correction:
    """One corrected character. ``line`` and ``column`` are 1-based, as in 9303.

    For fields that are dropped because they may carry a BSN, ``from_char`` and ``to_char``
    are ``'*'`` so that not even one character of the personal number leaves the parser.
    """

    line: int
    column: int
    field: str
    from_char: str
    to_char: str

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form used by ``kiosk mrz parse --json``."""
        return {
            "line": self.line,
            "column": self.column,
            "field": self.field,
            "from": self.from_char,
            "to": self.to_char,
        }


def _yymmdd(value: date | str) -> str:
    if isinstance(value, date):
        return value.strftime("%y%m%d")
    text = value.strip().upper()
    if len(text) != 6 or any(c not in "0123456789<" for c in text):
        raise ValueError("a date in an access key is YYMMDD")
    return text


@dataclass(frozen=True, slots=True)
class AccessKey:
    """The chip access key material printed in the MRZ.

    For ICAO documents (BAC, and PACE with an MRZ password): document number, date of birth
    and date of expiry with their check digits *as printed* (9303-11 section 4.3.2: "typed in
    as it appears in the MRZ"). The composite check digit is not part of it, which is why the
    two 9303-11 App. D.2 examples with a wrong composite digit still give the right key.

    For the eDL (ISO/IEC 18013-3 Basic Access Protection) the seed input is taken from the
    one-line MRZ itself; see :meth:`bap_seed_string`.
    """

    document_number: str = field(repr=False)
    document_number_check: str
    birth_date: str = ""
    birth_date_check: str = ""
    expiry_date: str = ""
    expiry_date_check: str = ""
    edl_mrz: str | None = field(default=None, repr=False)

    def __repr__(self) -> str:
        kind = "eDL" if self.edl_mrz else "ICAO"
        return (
            f"AccessKey(kind={kind}, "
            f"document_number={mask_document_number(self.document_number.rstrip('<'))})"
        )

    @property
    def is_edl(self) -> bool:
        """True for a driving-licence (BAP) key."""
        return self.edl_mrz is not None

    @classmethod
    def from_fields(
        cls, document_number: str, birth_date: date | str, expiry_date: date | str
    ) -> AccessKey:
        """Build the key from three typed fields (the beheerder types them off the document).

        The document number is upper-cased, spaces are dropped and it is padded with fillers to
        the 9 characters of the MRZ field (9303-11 section 4.3.2 requires it "as it appears in
        the MRZ"); check digits are computed. Raises :class:`MrzSyntaxError` for characters
        that cannot appear in an MRZ.
        """
        number = "".join(document_number.upper().split())
        if not number or any(c not in MRZ_ALPHABET for c in number):
            raise MrzSyntaxError(reason="document_number")
        number = number.ljust(9, "<")
        try:
            dob, doe = _yymmdd(birth_date), _yymmdd(expiry_date)
        except ValueError:
            raise MrzSyntaxError(reason="date") from None
        return cls(
            document_number=number,
            document_number_check=check_digit(number),
            birth_date=dob,
            birth_date_check=check_digit(dob),
            expiry_date=doe,
            expiry_date_check=check_digit(doe),
        )

    def mrz_information(self) -> str:
        """Return 9303-11 'MRZ_information' (sections 4.3.2 and 9.7.1, App. D.2).

        Document number + check digit + date of birth + check digit + date of expiry + check
        digit. For a document number longer than 9 characters this is the full number (App.
        D.2, "document number exceeds 9 characters").
        """
        if self.edl_mrz is not None:
            raise ValueError("an eDL has no MRZ_information; use bap_seed_string()")
        return (
            self.document_number
            + self.document_number_check
            + self.birth_date
            + self.birth_date_check
            + self.expiry_date
            + self.expiry_date_check
        )

    def bap_seed_string(self) -> str:
        """Return the ISO/IEC 18013-3 BAP (configuration 1) key-seed input of an eDL.

        It is characters 2 to 29 of the one-line MRZ: everything except the constant document
        code ``D`` and the final check digit, i.e. configuration, issuing state, version,
        document number and the random data that makes the key hard to guess. The standard's
        text was not available to us (ISO sells it); this follows our reading of ISO/IEC
        18013-3 Annex B and must be confirmed against a real licence.
        """
        if self.edl_mrz is None:
            raise ValueError("not an eDL key; use mrz_information()")
        return self.edl_mrz[1:29]

    def seed_string(self) -> str:
        """Return whichever key-seed input applies (MRZ_information or the eDL BAP string)."""
        return self.bap_seed_string() if self.edl_mrz is not None else self.mrz_information()

    def key_seed(self) -> bytes:
        """Return K_seed: the 16 most significant bytes of SHA-1 of the seed string.

        9303-11 section 9.7.1 (BAC) / App. D.2 step 4; ISO/IEC 18013-3 BAP uses the same
        construction over its own input string.
        """
        # SHA-1 is what 9303-11 prescribes for this key derivation; not our choice.
        digest = hashlib.sha1(self.seed_string().encode("ascii"))  # noqa: S324
        return digest.digest()[:16]


@dataclass(frozen=True, slots=True)
class MrzResult:
    """A parsed MRZ. Never contains optional data or a personal number (BSN).

    ``valid`` is True when every check digit (including the composite) passes and the dates
    are real dates. ``corrections`` lists every character the parser changed; it only
    corrects where the check digits then pass. When more than one correction passes,
    nothing is corrected, ``ambiguous`` is True and ``alternatives`` lists each candidate
    set of corrections: the kiosk never guesses silently.
    """

    format: MrzFormat
    document_code: str
    document_type: DocumentType | None
    issuing_country: str
    document_number: str = field(repr=False)
    surname: str = field(repr=False)
    given_names: str = field(repr=False)
    name_truncated: bool
    nationality: str
    birth_date: date | None = field(repr=False)
    sex: str
    expiry_date: date | None
    checks: tuple[CheckResult, ...]
    valid: bool
    corrections: tuple[Correction, ...] = ()
    alternatives: tuple[tuple[Correction, ...], ...] = ()
    access_key: AccessKey | None = field(default=None, repr=False)
    #: Dutch document-number rules the number breaks (``nl_letter_o``: an O in an NL passport
    #: or identity card number, which never contain the letter O).
    rule_violations: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return (
            f"MrzResult(format={self.format.value}, document_code={self.document_code}, "
            f"issuing_country={self.issuing_country}, "
            f"document_number={mask_document_number(self.document_number)}, "
            f"valid={self.valid}, corrections={len(self.corrections)}, "
            f"ambiguous={self.ambiguous})"
        )

    @property
    def ambiguous(self) -> bool:
        """True when more than one correction would make the check digits pass."""
        return len(self.alternatives) > 1

    def check(self, name: str) -> CheckResult | None:
        """Return the check result for one field, or None when the format has no such check."""
        return next((c for c in self.checks if c.field == name), None)

    def problems(self) -> list[tuple[str, dict[str, Any]]]:
        """Return why the result is not valid, as (message key, params) pairs; empty if valid."""
        # One key per field, so the sentence needs no translated field name; ``field`` and
        # ``rule`` stay in the params for programs.
        found: list[tuple[str, dict[str, Any]]] = [
            (f"mrz.problem.check_digit.{c.field}", {"field": c.field})
            for c in self.checks
            if not c.valid
        ]
        if self.format is not MrzFormat.EDL:
            if self.birth_date is None:
                found.append(("mrz.problem.date.birth_date", {"field": "birth_date"}))
            if self.expiry_date is None:
                found.append(("mrz.problem.date.expiry_date", {"field": "expiry_date"}))
        found.extend((f"mrz.problem.rule.{rule}", {"rule": rule}) for rule in self.rule_violations)
        if self.ambiguous:
            found.append(("mrz.problem.ambiguous", {"count": len(self.alternatives)}))
        return found

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of ``kiosk mrz parse --json`` (keys: docs/mrz-ocr.md)."""
        key = self.access_key
        return {
            "format": self.format.value,
            "valid": self.valid,
            "document_code": self.document_code,
            "document_type": self.document_type.value if self.document_type else None,
            "issuing_country": self.issuing_country,
            "document_number": self.document_number,
            "surname": self.surname,
            "given_names": self.given_names,
            "name_truncated": self.name_truncated,
            "nationality": self.nationality,
            "birth_date": self.birth_date.isoformat() if self.birth_date else None,
            "sex": self.sex,
            "expiry_date": self.expiry_date.isoformat() if self.expiry_date else None,
            "checks": {
                c.field: {"valid": c.valid, "found": c.found, "expected": c.expected}
                for c in self.checks
            },
            "corrections": [c.to_json() for c in self.corrections],
            "ambiguous": self.ambiguous,
            "alternatives": [[c.to_json() for c in alt] for alt in self.alternatives],
            "problems": [{"key": k, "params": p} for k, p in self.problems()],
            "access_key": (
                None
                if key is None
                else {"kind": "bap" if key.is_edl else "bac_pace", "seed": key.seed_string()}
            ),
        }
