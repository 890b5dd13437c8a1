"""Compare what a document says about its holder with step 1 (DESIGN.md sections 1 and 4).

This is the one comparison engine of the kiosk: the wizard guard, the step-2 evidence panel
and the chip page all show the :class:`MrzComparison` it returns (held in the flow state,
see :meth:`kiosk.flow.wizard.FlowState.set_evidence`). The document side is a
:class:`DocumentHolder`: taken from an MRZ (typed, reader, camera), from the chip's DG1
(which is the MRZ again) or from an eDL's DG1 (names as printed, ISO/IEC 18013-2).

Each name is compared in MRZ form: both sides are transliterated with every accepted
9303 part 3 alternative (:func:`kiosk.mrz.translit.mrz_variants`, section 6.A) and
separators are normalised (section 4.6: hyphens and spaces are fillers, apostrophes are left
out), so "van der Berg" matches ``VAN<DER<BERG``, "O'Connor" matches ``OCONNOR`` and
"Müller" matches ``MUELLER``, ``MUXXLLER`` and ``MULLER``. Where the two differ, the result
says how, with a message key for the step-2 page:

* ``mrz.compare.transliteration`` - matches through an accepted alternative (accepted)
* ``mrz.compare.truncated`` - the MRZ name was cut to fit the field (accepted)
* ``mrz.compare.particles`` - same words, Dutch particles (van, der, de, ...) placed or
  left out differently: enter the surname as on the document
* ``mrz.compare.given_names_missing`` / ``..._extra`` - number of given names differs
* ``mrz.compare.differs`` - the name differs
* ``mrz.compare.birth_date_differs`` / ``mrz.compare.birth_date_partial`` (unknown day or
  month on the document, the known parts match: accepted)
* ``mrz.compare.not_in_mrz`` - the eDL's one-line MRZ has no names or birth date: compare
  with the chip instead.

Parameters can contain the names and dates themselves: show them, never log them. Dates
in parameters are written as the desk writes them (DD-MM-YYYY).
"""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dc_field
from datetime import date
from typing import Any

from kiosk.model import Employee
from kiosk.mrz.result import MrzFormat, MrzResult
from kiosk.mrz.translit import mrz_variants

# Dutch surname particles (voorvoegsels) as they appear in the MRZ.
PARTICLES = frozenset(
    {
        "VAN",
        "DER",
        "DEN",
        "DE",
        "TER",
        "TEN",
        "TE",
        "HET",
        "T",
        "IN",
        "OP",
        "AAN",
        "VON",
        "D",
        "L",
        "LA",
        "LE",
        "DU",
        "DA",
        "DOS",
        "DEL",
        "DI",
        "UIT",
        "VOOR",
        "BIJ",
        "ONDER",
    }
)


@dataclass(frozen=True, slots=True)
class FieldDifference:
    """How one field of step 1 differs from the MRZ.

    ``accepted`` differences (transliteration alternatives, truncation in the MRZ) still
    match; the others mean step 1 or the document reading must be checked.
    """

    field: str  # 'surname' | 'given_names' | 'date_of_birth'
    message_key: str
    params: dict[str, Any] = dc_field(default_factory=dict)
    accepted: bool = False


@dataclass(frozen=True, slots=True)
class MrzComparison:
    """Result of comparing a document's holder data with the employee data; ``matches``
    when every difference is an accepted one."""

    matches: bool
    differences: list[FieldDifference]

    @property
    def problems(self) -> list[FieldDifference]:
        """The differences that keep step 2 from passing (not accepted)."""
        return [d for d in self.differences if not d.accepted]

    @property
    def notes(self) -> list[FieldDifference]:
        """The accepted differences (another spelling, truncation): shown, not blocking."""
        return [d for d in self.differences if d.accepted]

    def differs(self, field_name: str) -> bool:
        """True when ``field_name`` has a difference that is not accepted."""
        return any(d.field == field_name for d in self.problems)


@dataclass(frozen=True, slots=True)
class DocumentHolder:
    """What a document says about its holder, whatever it was read from.

    ``surname`` and ``given_names`` as on the document (MRZ words, or an eDL DG1's names as
    printed); ``birth_date`` the full date when known and ``birth_raw`` the MRZ's YYMMDD
    (``<`` for unknown parts, 9303 part 3 section 4.7) when there is one; ``name_truncated``
    when the MRZ name field is used to its last character, so the name may have been cut
    (part 3 section 4.6, parts 4-7); ``has_names`` is False for the eDL's one-line MRZ,
    which carries neither names nor a birth date.
    """

    surname: str = dc_field(repr=False)
    given_names: str = dc_field(repr=False)
    birth_date: date | None = dc_field(repr=False)
    birth_raw: str = dc_field(default="", repr=False)
    name_truncated: bool = False
    has_names: bool = True

    @classmethod
    def from_mrz(cls, result: MrzResult) -> DocumentHolder:
        """The holder data of a parsed MRZ (or a chip's DG1, which is parsed as one)."""
        return cls(
            surname=result.surname,
            given_names=result.given_names,
            birth_date=result.birth_date,
            birth_raw=result.access_key.birth_date if result.access_key else "",
            name_truncated=result.name_truncated,
            # The one-line eDL MRZ has no names; an eDL DG1 read from the chip has them.
            has_names=result.format is not MrzFormat.EDL or bool(result.surname),
        )


def _tokens(text: str) -> list[str]:
    return text.split()


def _day(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def _truncation_of(mrz: list[str], full: list[str]) -> bool:
    """True when the MRZ words are the entered words cut short (9303 part 3 section 4.6,
    parts 4-7: later components are cut first, possibly to initials, and trailing ones
    dropped)."""
    if not mrz or len(mrz) > len(full):
        return False
    return all(f.startswith(m) for m, f in zip(mrz, full, strict=False))


def _compare_name(
    field_name: str, document_value: str, entered: str, truncated: bool
) -> FieldDifference | None:
    variants = mrz_variants(entered)
    # The document side in MRZ form too: an MRZ name stays as it is, an eDL DG1 name as
    # printed ("Müller") gets every rendering the MRZ would allow.
    document_forms = mrz_variants(document_value)
    mrz_value = document_forms[0]
    mrz_words = _tokens(mrz_value)
    params = {"mrz": document_value, "entered": entered}
    if mrz_value == variants[0]:
        return None
    if any(form in variants for form in document_forms):
        return FieldDifference(field_name, "mrz.compare.transliteration", params, accepted=True)
    for variant in variants:
        if truncated and _truncation_of(mrz_words, _tokens(variant)):
            return FieldDifference(field_name, "mrz.compare.truncated", params, accepted=True)
    if field_name == "surname":
        for variant in variants:
            words = _tokens(variant)
            core_mrz = [w for w in mrz_words if w not in PARTICLES]
            core_entered = [w for w in words if w not in PARTICLES]
            if core_mrz and core_mrz == core_entered:
                return FieldDifference(field_name, "mrz.compare.particles", params)
            if sorted(words) == sorted(mrz_words):
                return FieldDifference(field_name, "mrz.compare.particles", params)
    else:
        for variant in variants:
            words = _tokens(variant)
            if len(words) < len(mrz_words) and mrz_words[: len(words)] == words:
                return FieldDifference(
                    field_name,
                    "mrz.compare.given_names_missing",
                    {**params, "count": len(mrz_words) - len(words)},
                )
            if len(words) > len(mrz_words) and words[: len(mrz_words)] == mrz_words:
                return FieldDifference(
                    field_name,
                    "mrz.compare.given_names_extra",
                    {**params, "count": len(words) - len(mrz_words)},
                )
    return FieldDifference(field_name, "mrz.compare.differs", params)


def _compare_birth(holder: DocumentHolder, entered: date) -> FieldDifference | None:
    raw = holder.birth_raw
    params = {"entered": _day(entered)}
    if holder.birth_date == entered:
        return None
    typed = entered.strftime("%y%m%d")
    if raw == typed:
        return None  # same YYMMDD; the entered century wins over the MRZ's inference
    if len(raw) == 6 and "<" in raw:
        known = all(r in ("<", t) for r, t in zip(raw, typed, strict=True))
        if known:
            return FieldDifference(
                "date_of_birth",
                "mrz.compare.birth_date_partial",
                {**params, "mrz": raw},
                accepted=True,
            )
    shown = _day(holder.birth_date) if holder.birth_date else raw
    return FieldDifference(
        "date_of_birth", "mrz.compare.birth_date_differs", {**params, "mrz": shown}
    )


def compare_holder(holder: DocumentHolder, employee: Employee) -> MrzComparison:
    """Compare surname, given names and date of birth of step 1 with the document."""
    if not holder.has_names:
        differences = [
            FieldDifference(name, "mrz.compare.not_in_mrz")
            for name in ("surname", "given_names", "date_of_birth")
        ]
        return MrzComparison(matches=False, differences=differences)
    found = [
        _compare_name("surname", holder.surname, employee.surname, holder.name_truncated),
        _compare_name(
            "given_names", holder.given_names, employee.given_names, holder.name_truncated
        ),
        _compare_birth(holder, employee.date_of_birth),
    ]
    differences = [d for d in found if d is not None]
    return MrzComparison(matches=all(d.accepted for d in differences), differences=differences)


def compare_with_employee(result: MrzResult, employee: Employee) -> MrzComparison:
    """Compare step 1 with a parsed MRZ (see :func:`compare_holder`)."""
    return compare_holder(DocumentHolder.from_mrz(result), employee)
